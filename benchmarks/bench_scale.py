"""A million passages on one machine: dense index chosen by size, and BM25, against exact search.

Usage: .venv/bin/python benchmarks/bench_scale.py [--n 1000000] [--queries 200]

The collection is the pooled eval corpus (real EmbeddingGemma vectors, real Arabic text)
replicated with perturbation: each synthetic passage is a real one's vector plus up to half of
another passage's vector plus Gaussian noise, re-normalised; its text is the real passage's
words with 20% dropped, 10% replaced by words of the other passage, in shuffled order. The
first rows are the real passages themselves; queries are real pooled questions.

Prints build time, index memory, search p50 (query embedding excluded) and recall@10 against
exact search for our index (assistant.dense, type chosen by size) at several nprobe, and
BM25 at that size; beside them the plain baseline (sentence-transformers util.semantic_search
over the NumPy matrix; bm25s with default settings) and the ratios. Then (scale_segments.py) a
segmented index of that size: 19 adds of 100 documents, a remove, search over 20 segments.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import tempfile
import time
from pathlib import Path

import numpy as np
from perf_common import cached_vectors, machine, median, peak_rss_mib, pooled_corpus, timed

CHUNK = 100_000


def base_vectors(corpus) -> tuple[np.ndarray, np.ndarray]:
    """Cached default-precision vectors of the pooled passages and questions (model loaded only
    when the cache misses)."""
    from assistant.embedding.cpu import resolve_precision
    from assistant.embedding.embedder import SentenceTransformerEmbedder, _identify
    from assistant.embedding.model_store import resolve_model_path

    class Key:  # what cached_vectors needs to find the files
        model_id, weights_hash = _identify(resolve_model_path(None))
        dim = 768

    docs, queries = [p.text for p in corpus.passages], [q.text for q in corpus.queries]
    for precision in dict.fromkeys((resolve_precision("auto"), "fp32", "bf16")):
        Key.precision = precision
        try:
            return cached_vectors(Key, "documents", docs), cached_vectors(Key, "queries", queries)
        except AttributeError:  # Key cannot embed: not cached in this precision
            continue
    emb = SentenceTransformerEmbedder()
    return cached_vectors(emb, "documents", docs), cached_vectors(emb, "queries", queries)


def synth_vectors(base: np.ndarray, n: int, sigma: float = 0.02, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m, dim = base.shape
    out = np.empty((n, dim), np.float32)
    out[:m] = base[: min(m, n)]
    for start in range(m, n, CHUNK):
        rows = min(CHUNK, n - start)
        v = base[rng.integers(0, m, rows)] + rng.uniform(0, 0.5, (rows, 1)).astype(np.float32) * \
            base[rng.integers(0, m, rows)] + rng.normal(0, sigma, (rows, dim)).astype(np.float32)
        out[start:start + rows] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def synth_texts(texts: list[str], n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = [t.split() for t in texts]
    out = list(texts[:n])
    for _ in range(len(out), n):
        own, other = words[rng.randrange(len(words))], words[rng.randrange(len(words))]
        kept = [w if rng.random() > 0.1 else rng.choice(other) for w in own if rng.random() > 0.2]
        rng.shuffle(kept)
        out.append(" ".join(kept))
    return out


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    scores = np.concatenate([queries @ vectors[s:s + CHUNK].T for s in range(0, len(vectors), CHUNK)], axis=1)
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    return np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, 1), axis=1), 1)


def recall(got: np.ndarray, exact: np.ndarray) -> float:
    k = exact.shape[1]
    return float(np.mean([len(set(g[:k]) & set(e)) / k for g, e in zip(got, exact, strict=True)]))


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="passages in the synthetic collection")
    parser.add_argument("--queries", type=int, default=200, help="real pooled questions to search")
    parser.add_argument("--timed", type=int, default=30, help="single-query searches timed per variant")
    parser.add_argument("--skip-bm25", action="store_true")
    parser.add_argument("--skip-segments", action="store_true", help="skip the add/remove/search-over-segments part")
    parser.add_argument("--adds", type=int, default=19, help="adds of 100 documents in the segments part")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # As assistant.embedding.embedder does for the product; set before torch and faiss load OpenMP.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import bm25s
    import torch
    from sentence_transformers import util

    from assistant.dense import DenseIndex
    from assistant.lexical import LexicalIndex, top_rows

    print(f"machine: {machine()}; torch threads {torch.get_num_threads()}", flush=True)
    corpus = pooled_corpus()
    base, qvecs = base_vectors(corpus)
    queries = [q.text for q in corpus.queries][: args.queries]
    qvecs = qvecs[: args.queries]
    t_synth, vectors = timed(synth_vectors, base, args.n)
    print(f"{args.n:,} passages from {len(base)} real ones ({t_synth:.0f} s to synthesise); "
          f"{len(queries)} real questions; mean cosine of a synthetic vector to its nearest real one "
          f"{float(np.mean(np.max(vectors[len(base):len(base) + 1000] @ base.T, axis=1))):.3f}", flush=True)
    t_exact, exact = timed(exact_top, vectors, qvecs, 10)
    timed_q = qvecs[: args.timed]

    # Baseline: util.semantic_search over the NumPy matrix (exact, torch matmul + top-k).
    corpus_t = torch.from_numpy(vectors)
    base_ms = [timed(util.semantic_search, torch.from_numpy(q[None]), corpus_t, top_k=10)[0] * 1000
               for q in timed_q]
    print(f"\nDense, {args.n:,} x {vectors.shape[1]} (exact top-10 of {len(queries)} questions: {t_exact:.1f} s)")
    print("| index | build s | memory MiB | search p50 ms | p95 ms | p50 / baseline p50 | recall@10 |\n"
          "|---|---|---|---|---|---|---|")
    dot_ms = [timed(util.semantic_search, torch.from_numpy(q[None]), corpus_t, top_k=10,
                    score_function=util.dot_score)[0] * 1000 for q in timed_q]
    print(f"| baseline: semantic_search over fp32 matrix | 0 | {vectors.nbytes / 2**20:.0f} "
          f"| {median(base_ms):.1f} | {np.percentile(base_ms, 95):.1f} | 1.00x | 1.000 |")
    print(f"| same, score_function=dot_score (no re-normalising) | 0 | {vectors.nbytes / 2**20:.0f} "
          f"| {median(dot_ms):.1f} | {np.percentile(dot_ms, 95):.1f} | {median(dot_ms) / median(base_ms):.3f}x "
          "| 1.000 |", flush=True)
    t_build, dense = timed(DenseIndex.build, vectors)
    info = dense.describe()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        dense.save(Path(tmp) / "dense.faiss")
        mem = size_of(Path(tmp) / "dense.faiss")
    default_nprobe = info.get("nprobe", 0)
    for nprobe in sorted({default_nprobe, default_nprobe // 2, default_nprobe * 2} - {0}) or [0]:
        dense.set_nprobe(nprobe)
        ms = [timed(dense.search, q, 10)[0] * 1000 for q in timed_q]
        _, got = dense.search_many(qvecs, 10)
        label = info["type"] + (f" nlist {info['nlist']} nprobe {nprobe}" if nprobe else "")
        label += " (default)" if nprobe == default_nprobe else ""
        print(f"| {label} | {t_build:.0f} | {mem / 2**20:.0f} | {median(ms):.2f} | {np.percentile(ms, 95):.2f} "
              f"| {median(ms) / median(base_ms):.3f}x | {recall(got, exact):.3f} |", flush=True)
    dense.set_nprobe(default_nprobe)
    ms50 = [timed(dense.search, q, 50)[0] * 1000 for q in timed_q]
    print(f"(k=50, the depth the searcher fuses: p50 {median(ms50):.2f} ms)")
    del corpus_t, dense

    if not args.skip_bm25:
        texts = synth_texts([p.text for p in corpus.passages], args.n)
        del vectors
        t_ours, lex = timed(LexicalIndex.build, texts)
        def bm25_top(query: str):  # what search does: score, then the best of the rows holding a term
            scores, rows = lex.scored(query)
            return top_rows(rows, scores[rows], 50)

        ours_ms = [timed(bm25_top, q)[0] * 1000 for q in queries[: args.timed]]
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            lex.save(Path(tmp) / "bm25")
            lex_mem = size_of(Path(tmp) / "bm25")
        del lex
        t_base = time.perf_counter()
        bm = bm25s.BM25()
        bm.index(bm25s.tokenize(texts, show_progress=False), show_progress=False)
        t_base = time.perf_counter() - t_base
        base_bm = [timed(lambda q=q: bm.retrieve(bm25s.tokenize([q], show_progress=False), k=10,
                                                 show_progress=False))[0] * 1000 for q in queries[: args.timed]]
        print(f"\nBM25, {args.n:,} passages\n| index | build s | on disk MiB | query p50 ms | p95 ms "
              f"| p50 / baseline p50 |\n|---|---|---|---|---|---|")
        print(f"| baseline: bm25s defaults | {t_base:.0f} | - | {median(base_bm):.1f} "
              f"| {np.percentile(base_bm, 95):.1f} | 1.00x |")
        print(f"| ours (Arabic analysis, scores + top-50) | {t_ours:.0f} | {lex_mem / 2**20:.0f} "
              f"| {median(ours_ms):.1f} | {np.percentile(ours_ms, 95):.1f} "
              f"| {median(ours_ms) / median(base_bm):.2f}x |")
    print(f"\npeak RSS of this process (synthetic matrix, exact baseline and both BM25 indexes "
          f"included): {peak_rss_mib():.0f} MiB")
    if not args.skip_segments:  # cost proportional to the change (README "Index format")
        from scale_segments import run

        run(args.n, args.adds, synth_texts([p.text for p in corpus.passages], args.n), synth_vectors(base, args.n),
            [q.text for q in corpus.queries], base_vectors(corpus)[1])


if __name__ == "__main__":
    main()
