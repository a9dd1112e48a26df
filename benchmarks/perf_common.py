"""Shared pieces of the performance benchmarks: corpora, cached vectors, MRR, timing helpers.

Vectors for quality figures come through the project's embedding cache
(~/.cache/arabic-assistant/embeddings/, shared with `make eval`): they are deterministic, so
only the first run pays for them. Every speed figure is measured afresh in each run.

``python benchmarks/perf_common.py --warm`` fills the cache (slow: the whole pooled corpus
once per precision).
"""

from __future__ import annotations

import os
import platform
import random
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Corpus:
    name: str
    docs: list  # Document
    passages: list  # Passage
    queries: list  # EvalQuery (text, gold_ids); empty for the seeds


def seeds_corpus() -> Corpus:
    from assistant.chunk import chunk_document
    from assistant.sources import read_documents

    docs = read_documents([ROOT / "seeds"])
    return Corpus("seeds", docs, [p for d in docs for p in chunk_document(d)], [])


def pooled_corpus(n_queries: int = 600, seed: int = 7) -> Corpus:
    """xquad_ar + tydiqa_goldp_ar passages in one collection; a fixed sample of their questions
    (half from each set) for quality figures."""
    from assistant.chunk import chunk_document
    from assistant.evaluate import EVAL_SETS, find_eval_dir, load_queries
    from assistant.sources import read_documents

    folder = find_eval_dir()
    docs = read_documents([folder / s / "corpus.jsonl" for s in EVAL_SETS])
    queries = []
    for s in EVAL_SETS:
        qs = load_queries(folder / s / "queries.jsonl")
        queries += random.Random(seed).sample(qs, min(len(qs), n_queries // len(EVAL_SETS)))
    return Corpus("pooled eval", docs, [p for d in docs for p in chunk_document(d)], queries)


def cached_vectors(embedder, kind: str, texts: list[str]) -> np.ndarray:
    """``embedder``'s vectors for ``texts`` (kind "documents" or "queries") through the project's
    embedding cache (the one `make eval` fills too), so only texts never embedded with this
    model, precision and dim reach the model. ``embedder`` needs model_id, weights_hash,
    precision and dim; its embed methods are looked up only when something is missing."""
    from assistant.embedding.cache import EmbeddingCache

    cache = EmbeddingCache.for_embedder(embedder)
    if kind == "documents":
        def embed(todo):
            return embedder.embed_documents(todo, show_progress=True)
    else:
        def embed(todo):
            return embedder.embed_queries(todo)
    t0, known = time.perf_counter(), len(cache.vectors(kind))
    vecs = cache.embed(kind, texts, embed)
    if len(cache.vectors(kind)) > known:
        cache.save()
        print(f"  (embedded {len(cache.vectors(kind)) - known} {kind} in {embedder.precision}: "
              f"{time.perf_counter() - t0:.0f} s; cached)", flush=True)
    return vecs


class VectorTable:
    """An embedder stand-in that answers from precomputed query vectors (for quality runs)."""

    def __init__(self, like, texts: list[str], vectors: np.ndarray):
        self.model_id, self.weights_hash, self.dim = like.model_id, like.weights_hash, vectors.shape[1]
        self.rows = {t: i for i, t in enumerate(texts)}
        self.vectors = vectors

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.vectors[[self.rows[t] for t in texts]]


def mrr_at_10(search, queries) -> float:
    """Mean reciprocal rank of the first gold document in the top 10 (document level)."""
    from assistant.metrics import dedupe_docs, reciprocal_rank

    total = 0.0
    for q in queries:
        ranked = dedupe_docs(h.passage.doc_id for h in search(q.text))
        total += reciprocal_rank(ranked, set(q.gold_ids))
    return total / max(1, len(queries))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would carry a parent's peak across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    """CPU model, cores, flags that matter, memory, load: enough to read the figures by."""
    model, flags = platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    have = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16") if f in flags]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{model}, {os.cpu_count()} cores, {mem:.0f} GiB, {' '.join(have)}; "
            f"python {platform.python_version()}; load average {load:.1f} at start (shared machine)")


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


if __name__ == "__main__" and "--warm" in sys.argv:
    from assistant.embedding.embedder import SentenceTransformerEmbedder

    corpus = pooled_corpus()
    for precision in sys.argv[sys.argv.index("--warm") + 1:] or ["fp32", "bf16"]:
        emb = SentenceTransformerEmbedder(precision=precision)
        cached_vectors(emb, "queries", [q.text for q in corpus.queries])
        cached_vectors(emb, "documents", [p.text for p in corpus.passages])
        del emb
