"""Cost proportional to the change, at scale (bench_scale.py runs it; alone: --n, --adds).

A segmented index of ``n`` synthetic passages (bench_scale's texts and vectors, 10 passages a
document, one segment, written as `assistant build` writes it but without sentence vectors), then
through the product's own code (corpus.add_paths / remove_documents, store.load_index, Searcher):

- ``adds`` successive `add`s of 100 new documents (about 1,000 passages) each, with the default
  merge policy and with merges off (so the index ends with ``adds`` + 1 segments): seconds beyond
  embedding (the embedder is a stand-in that returns vectors at once; its time is measured and
  subtracted) and bytes written against the index's bytes;
- removing one document: seconds and bytes written;
- search p50 over the index with all its segments, query embedding excluded (the real pooled
  questions' cached vectors), for the default hybrid ranker and for dense / BM25 alone;
- load time, reload after an add (only the new segment is read), peak RSS.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from perf_common import machine, median, peak_rss_mib, timed

PER_DOC = 10


class StandInEmbedder:
    """Vectors at once (a hash-seeded unit vector per text), real questions' vectors by text; the
    time spent inside ``embed_documents`` is kept, to be subtracted from an add's wall time."""

    model_id, weights_hash, precision = "bench-stand-in", "bench0001", "fp32"

    def __init__(self, dim: int, queries: dict[str, np.ndarray]):
        self.dim, self.queries, self.seconds = dim, queries, 0.0

    def embed_documents(self, texts, *, show_progress: bool = False) -> np.ndarray:
        t0 = time.perf_counter()
        out = np.empty((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        self.seconds += time.perf_counter() - t0
        return out

    def embed_queries(self, texts) -> np.ndarray:
        return np.stack([self.queries[t] for t in texts])


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def files_of(path: Path) -> dict[str, int]:
    return {str(p.relative_to(path)): p.stat().st_size for p in path.rglob("*") if p.is_file()}


def written(before: dict[str, int], after: dict[str, int]) -> int:
    """Bytes in files that are new or changed in size (segments and commits are never rewritten)."""
    return sum(size for name, size in after.items() if before.get(name) != size)


def build_base(index_dir: Path, texts: list[str], vectors: np.ndarray, embedder) -> float:
    """One segment of ``texts`` (documents of PER_DOC passages) and its commit; returns seconds."""
    from assistant.lexical import Postings, analyze_texts
    from assistant.records import Passage
    from assistant.segments import SegmentData
    from assistant.store import BuildSettings, commit, new_manifest, write_segment_safely

    t0 = time.perf_counter()
    settings = BuildSettings(sentence_vectors=False)
    rows, passages = [], []
    for d in range(0, len(texts), PER_DOC):
        doc_id, parts, offset, spans = f"base-{d // PER_DOC:07d}", texts[d:d + PER_DOC], 0, []
        for t in parts:
            spans.append((offset, offset + len(t)))
            offset += len(t) + 2
        text = "\n\n".join(parts)
        passages += [Passage(f"{doc_id}:{a}-{b}", doc_id, a, b, text[a:b]) for a, b in spans]
        rows.append({"doc_id": doc_id, "path": f"{doc_id}.txt", "title": "", "outlet": "", "date": "", "url": "",
                     "sha256": hashlib.sha256(text.encode()).hexdigest(), "spans": spans, "text": text,
                     "passages": len(parts)})
    tokens = analyze_texts([f"\n{p.text}" for p in passages], stem=True, stopwords=True, show_progress=True)
    index_dir.mkdir(parents=True)
    data = SegmentData(rows, passages, vectors, None, Postings.from_tokens(tokens))
    commit(index_dir, [(write_segment_safely(index_dir, data), [])], base=new_manifest(embedder, settings, [], ()))
    return time.perf_counter() - t0


def new_docs(folder: Path, texts: list[str], batch: int, n_docs: int = 100) -> Path:
    """A .jsonl file of ``n_docs`` new documents of PER_DOC synthetic passages each."""
    path = folder / f"batch{batch:03d}.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for d in range(n_docs):
            body = "\n\n".join(f"{t}." for t in texts[(d * PER_DOC) % len(texts):][:PER_DOC])
            f.write(json.dumps({"id": f"new-{batch:03d}-{d:03d}", "title": "", "text": body},
                               ensure_ascii=False) + "\n")
    return path


def run(n: int, adds: int, texts: list[str], vectors: np.ndarray, queries: list[str], qvecs: np.ndarray,
        timed_queries: int = 30, keep: Path | None = None) -> None:
    from assistant import merge
    from assistant.corpus import add_paths, remove_documents
    from assistant.lock import index_lock
    from assistant.search import Searcher
    from assistant.store import load_index

    embedder = StandInEmbedder(vectors.shape[1], dict(zip(queries, qvecs, strict=True)))
    with tempfile.TemporaryDirectory(prefix="bench-segments-") as tmp:
        index, files = Path(tmp) / "index", Path(tmp) / "files"
        files.mkdir()
        t_build = build_base(index, texts, vectors, embedder)
        base_bytes = folder_bytes(index)
        print(f"\nSegments: {n:,} passages in one segment, {base_bytes / 2**20:,.0f} MiB on disk "
              f"(built in {t_build:.0f} s; no sentence vectors)", flush=True)
        t_load, loaded = timed(load_index, index)
        print(f"load: {t_load:.1f} s", flush=True)
        rng = np.random.default_rng(1)
        pool = [texts[i] for i in rng.choice(len(texts), min(len(texts), 20_000), replace=False)]
        print("| add # | policy | segments after | wall s | embedding s | beyond embedding s | written MiB "
              "| written / index |\n|---|---|---|---|---|---|---|---|", flush=True)
        nomerge, index_one = Path(tmp) / "nomerge", Path(tmp) / "base"
        for copy in (nomerge, index_one):  # the base, for the second run and the one-segment comparison
            shutil.copytree(index, copy, ignore=shutil.ignore_patterns(".lock"))
        saved = merge.MERGE_FACTOR, merge.MAX_SEGMENTS
        results: dict[str, list[tuple[float, float]]] = {"default": [], "no merges": []}
        for policy, folder in (("default", index), ("no merges", nomerge)):
            if policy == "no merges":
                merge.MERGE_FACTOR, merge.MAX_SEGMENTS = 10 ** 9, 10 ** 9
            for i in range(adds):
                before, size = files_of(folder), folder_bytes(folder)
                embedder.seconds = 0.0
                path = new_docs(files, pool[i * 1000 % len(pool):] + pool, i + (500 if policy != "default" else 0))
                wall, _ = timed(add_paths, folder, [path], lambda: embedder)
                w = written(before, files_of(folder))
                segs = len(json.loads((folder / (folder / "CURRENT").read_text().strip()).read_text())["segments"])
                results[policy].append((wall - embedder.seconds, w / size))
                print(f"| {i + 1} | {policy} | {segs} | {wall:.2f} | {embedder.seconds:.2f} "
                      f"| {wall - embedder.seconds:.2f} | {w / 2**20:.1f} | {100 * w / size:.2f}% |", flush=True)
        for policy, rows in results.items():
            beyond = [r[0] for r in rows]
            print(f"{policy}: add beyond embedding median {median(beyond):.2f} s, max {max(beyond):.2f} s; "
                  f"written median {100 * median([r[1] for r in rows]):.2f}%, max {100 * max(r[1] for r in rows):.2f}%")
        index = nomerge  # merges still off: it has adds + 1 segments
        t_reload, loaded = timed(load_index, index, loaded)
        segments = len(loaded.manifest["segments"])
        print(f"reload after the adds (base segment reused): {t_reload:.1f} s; {segments} segments, "
              f"{len(loaded.passages):,} passages", flush=True)
        search_table(Searcher(loaded, embedder), Searcher(load_index(index_one), embedder), segments,
                     queries[:timed_queries], qvecs[:timed_queries])
        del loaded
        if keep is not None:  # the index of adds + 1 segments, for search_ab.py
            shutil.copytree(index, keep, ignore=shutil.ignore_patterns(".lock"))
            print(f"kept a copy of the {segments}-segment index in {keep}", flush=True)
        before = files_of(index)
        t_remove, _ = timed(remove_documents, index, ["base-0000003"])
        print(f"\nremove one document ({segments} segments, merges off): {t_remove:.2f} s, "
              f"{written(before, files_of(index)) / 1024:.0f} KiB written", flush=True)
        merge.MERGE_FACTOR, merge.MAX_SEGMENTS = saved
        before = files_of(index)
        with index_lock(index):
            t_merge, counts = timed(merge.auto_merge, index)
        print(f"the automatic merge the next change would run (default policy): {t_merge:.1f} s, "
              f"{written(before, files_of(index)) / 2**20:.1f} MiB written, "
              f"{counts['segments'] if counts else segments} segments after", flush=True)
    print(f"peak RSS of this process: {peak_rss_mib():.0f} MiB; {machine()}")


def cold() -> None:
    """Empty the caches search keeps of passages' analysed sentences and shingles."""
    from assistant import evidence, reprints

    evidence._sentence_terms.cache_clear()
    reprints.shingles.cache_clear()


def search_table(many, one, segments: int, queries: list[str], qvecs: np.ndarray) -> None:
    """p50/p95 of the same questions on the segmented index and on its base segment alone,
    alternating the two question by question (a shared machine's load then hits both alike), each
    search with cold passage caches (as for a question whose passages were never shown)."""
    print(f"\nSearch, query embedding excluded ({len(queries)} real questions, alternating the two indexes)\n"
          "| index | what | p50 ms | p95 ms |\n|---|---|---|---|")
    labels = (f"{segments} segments", "1 segment (the base alone)")
    steps = [(f"Searcher.search, {m}", lambda s, q, v, m=m: s.search(q, 10, method=m))
             for m in ("hybrid", "dense", "bm25")]
    steps += [("index only: dense top-50", lambda s, q, v: s.index.dense.search(v, 50)),
              ("index only: BM25 scores + match share",
               lambda s, q, v: (s.index.lexical.scores(q), s.index.lexical.match_share(q)))]
    for what, fn in steps:
        ms: dict[str, list[float]] = {label: [] for label in labels}
        for q, v in zip(queries, qvecs, strict=True):
            for label, searcher in zip(labels, (many, one), strict=True):
                cold()  # the search's own caches would favour whichever index comes second
                ms[label].append(timed(fn, searcher, q, v)[0] * 1000)
        for label in labels:
            print(f"| {label} | {what} | {median(ms[label]):.1f} | {np.percentile(ms[label], 95):.1f} |", flush=True)


def main() -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as bench_scale and the product set it, before FAISS loads
    from bench_scale import base_vectors, synth_texts, synth_vectors
    from perf_common import pooled_corpus

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--adds", type=int, default=19,
                        help="adds of 100 documents (the index ends with adds+1 segments)")
    parser.add_argument("--keep", type=Path, help="copy the index of adds+1 segments to this new folder")
    args = parser.parse_args()
    corpus = pooled_corpus()
    base, qvecs = base_vectors(corpus)
    texts = synth_texts([p.text for p in corpus.passages], args.n)
    run(args.n, args.adds, texts, synth_vectors(base, args.n), [q.text for q in corpus.queries], qvecs,
        keep=args.keep)


if __name__ == "__main__":
    main()
