"""Search speed before and after a change, in one process, on one segmented index; or, with
--pooled, whether the two give the same hits for every pooled eval question.

Usage: .venv/bin/python benchmarks/search_ab.py --index DIR [--base REV] [--questions 30]
       .venv/bin/python benchmarks/search_ab.py --pooled [--base REV]

DIR is an index of synthetic passages that ``scale_segments.py --keep DIR`` leaves (its 20-segment
index; the stand-in embedder's). The package as it was at git revision REV is unpacked into a
temporary folder as ``assistant_base`` (every import inside the package is relative) and loads
the same index a second time; the same real pooled questions (cached vectors: query embedding
excluded) are searched by both, alternating question by question so the machine's load hits both
alike, each search with the passage caches emptied. Prints p50 / p95 ms of wall time for each, and
p50 of the searching thread's CPU time (what the search itself costs, whatever the machine's load),
and for how many questions the two give the same hits (passages, scores, evidence, folded reprints);
then each stage's mean wall and CPU time per hybrid question (``STAGES``), for both.

--pooled builds the pooled eval corpus's index as ``make eval`` does (its vectors from the
embedding cache ``make eval`` fills) and compares both packages' hits, top 10 and top
``Config.candidates`` (the eval's depth), for every pooled question and every method.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
from perf_common import ROOT, machine, pooled_corpus

BASE = "assistant_base"


def base_package(rev: str, folder: Path):
    """The ``assistant`` package at ``rev``, importable as ``assistant_base``."""
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "assistant"], capture_output=True, check=True)
    tarfile.open(fileobj=io.BytesIO(tar.stdout)).extractall(folder, filter="data")
    (folder / "assistant").rename(folder / BASE)
    sys.path.insert(0, str(folder))
    return {name: importlib.import_module(f"{BASE}.{name}") for name in ("store", "search", "evidence", "reprints")}


STAGES = (("BM25 scores", "lexical", "scored"), ("match share", "lexical", "match_share"),
          ("dense search", "dense", "search_many"), ("BM25 top rows", "module", "top_rows"),
          ("fusion", "module", "fuse_scores"), ("evidence re-ranking", "searcher", "_refine"),
          ("reprint folding", "module", "fold_hits"))


def timed_stages(searcher, module, into: dict[str, list[float]]) -> None:
    """Wrap the hybrid search's stages (``STAGES``) of ``searcher`` so each call adds its wall and
    CPU seconds to ``into[stage]``."""
    owners = {"lexical": searcher.index.lexical, "dense": searcher.index.dense, "module": module,
              "searcher": searcher}
    for label, owner, name in STAGES:
        fn = getattr(owners[owner], name)

        def wrapped(*a, _fn=fn, _label=label, **kw):
            t, c = time.perf_counter(), time.thread_time()
            try:
                return _fn(*a, **kw)
            finally:
                into.setdefault(_label, [0.0, 0.0])
                into[_label][0] += time.perf_counter() - t
                into[_label][1] += time.thread_time() - c
        setattr(owners[owner], name, wrapped)


def signature(hits) -> list[tuple]:
    """Everything a hit shows: passage, rank, score, signals, evidence sentence, folded reprints."""
    return [(h.rank, h.passage.passage_id, h.score, sorted(h.scores.items()), h.evidence,
             [(r.source.doc_id, r.start, r.end) for r in h.also_in]) for h in hits]


def pooled(rev: str) -> None:
    """Both packages' hits on the pooled eval corpus, every question, every method."""
    from assistant.config import Config
    from assistant.embedding.cache import CachedQueryEmbedder, EmbeddingCache
    from assistant.embedding.embedder import make_embedder
    from assistant.evaluate import EVAL_SETS, find_eval_dir, load_queries
    from assistant.search import Searcher
    from assistant.sources import read_documents
    from assistant.store import BuildSettings, build_index, load_index

    config = Config.from_env()
    folder = find_eval_dir(config)
    questions = [q.text for s in EVAL_SETS for q in load_queries(folder / s / "queries.jsonl")]
    embedder = make_embedder(config)
    cache = EmbeddingCache.for_embedder(embedder)
    cached = CachedQueryEmbedder(embedder, cache)
    with tempfile.TemporaryDirectory(prefix="search-ab-") as tmp:
        old = base_package(rev, Path(tmp) / "base")
        docs = read_documents([folder / s / "corpus.jsonl" for s in EVAL_SETS])
        build_index(docs, cached, Path(tmp) / "index", settings=BuildSettings.from_config(config),
                    reuse=cache.vectors("documents"))
        after = Searcher(load_index(Path(tmp) / "index"), cached, config)
        before = old["search"].Searcher(old["store"].load_index(Path(tmp) / "index"), cached, config)
        print(f"pooled eval corpus: {len(after.index.passages):,} passages, {len(questions)} questions; {machine()}")
        for method in ("hybrid", "dense", "bm25"):
            for k in (10, config.candidates):
                same = sum(signature(a) == signature(b) for a, b in zip(
                    before.search_many(questions, k, method=method), after.search_many(questions, k, method=method),
                    strict=True))
                print(f"{method}, top {k}: the same hits for {same} of {len(questions)} questions", flush=True)


def main() -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path)
    parser.add_argument("--pooled", action="store_true", help="compare the hits on the pooled eval corpus")
    parser.add_argument("--base", default="HEAD", help="the git revision to compare with (default HEAD)")
    parser.add_argument("--questions", type=int, default=30)
    args = parser.parse_args()
    if args.pooled:
        return pooled(args.base)
    if args.index is None:
        parser.error("give --index DIR (or --pooled)")
    from bench_scale import base_vectors
    from scale_segments import StandInEmbedder

    from assistant import evidence, reprints
    from assistant.search import Searcher
    from assistant.store import load_index

    corpus = pooled_corpus()
    _, qvecs = base_vectors(corpus)
    queries = [q.text for q in corpus.queries][: args.questions]
    embedder = StandInEmbedder(qvecs.shape[1], dict(zip(queries, qvecs, strict=False)))
    with tempfile.TemporaryDirectory(prefix="search-ab-") as tmp:
        old = base_package(args.base, Path(tmp))
        t0 = time.perf_counter()
        after = Searcher(load_index(args.index), embedder)
        t1 = time.perf_counter()
        before = old["search"].Searcher(old["store"].load_index(args.index), embedder)
        print(f"{len(after.index.passages):,} passages, {len(after.index.segments)} segments; loaded in "
              f"{time.perf_counter() - t1:.0f} s ({args.base}) and {t1 - t0:.0f} s (working tree); {machine()}")

        def cold() -> None:
            for module in (evidence, old["evidence"]):
                module._sentence_terms.cache_clear()
            for module in (reprints, old["reprints"]):
                module.shingles.cache_clear()

        same = sum(signature(before.search(q, 10)) == signature(after.search(q, 10)) for q in queries)
        steps = [(f"Searcher.search, {m}", lambda s, q, v, m=m: s.search(q, 10, method=m))
                 for m in ("hybrid", "dense", "bm25")]
        steps += [("index only: dense top-50", lambda s, q, v: s.index.dense.search(v, 50)),
                  ("index only: BM25 scores + match share",
                   lambda s, q, v: (s.index.lexical.scores(q), s.index.lexical.match_share(q)))]
        print(f"| what | {args.base} p50 / p95 ms (CPU p50) | working tree p50 / p95 ms (CPU p50) |\n|---|---|---|")
        for what, fn in steps:
            ms: dict[str, list[float]] = {"before": [], "after": []}
            cpu: dict[str, list[float]] = {"before": [], "after": []}
            for i, (q, v) in enumerate(zip(queries, qvecs, strict=False)):
                pair = (("before", before), ("after", after))
                for label, searcher in pair if i % 2 else pair[::-1]:
                    cold()
                    t, c = time.perf_counter(), time.thread_time()
                    fn(searcher, q, v)
                    ms[label].append((time.perf_counter() - t) * 1000)
                    cpu[label].append((time.thread_time() - c) * 1000)
            print("| " + what + " | " + " | ".join(f"{np.median(ms[k]):.1f} / {np.percentile(ms[k], 95):.1f} "
                                                   f"({np.median(cpu[k]):.1f})" for k in ("before", "after")) + " |",
                  flush=True)
        # where a hybrid question's time goes, each stage's mean per question (both again alternating)
        spent: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
        timed_stages(before, old["search"], spent["before"])
        timed_stages(after, sys.modules["assistant.search"], spent["after"])
        for i, q in enumerate(queries):
            pair = (("before", before), ("after", after))
            for _label, searcher in pair if i % 2 else pair[::-1]:
                cold()
                searcher.search(q, 10)
        print(f"\n| hybrid, mean per question | {args.base} ms (CPU) | working tree ms (CPU) |\n|---|---|---|")
        for label, _, _ in STAGES:
            print(f"| {label} | " + " | ".join(f"{1000 * spent[k][label][0] / len(queries):.1f} "
                                               f"({1000 * spent[k][label][1] / len(queries):.1f})"
                                               for k in ("before", "after")) + " |")
    print(f"hybrid top-10 identical (passages, scores, evidence, reprints) for {same} of {len(queries)} questions; "
          f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
