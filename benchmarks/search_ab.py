"""Search speed before and after a change, in one process, on one segmented index.

Usage: .venv/bin/python benchmarks/search_ab.py --index DIR [--base REV] [--questions 30]

DIR is an index of synthetic passages that ``scale_segments.py --keep DIR`` leaves (its 20-segment
index; the stand-in embedder's). The package as it was at git revision REV is unpacked into a
temporary folder as ``assistant_base`` (every import inside the package is relative) and loads
the same index a second time; the same real pooled questions (cached vectors: query embedding
excluded) are searched by both, alternating question by question so the machine's load hits both
alike, each search with the passage caches emptied. Prints p50 / p95 ms for each, and for how many
questions the two hybrid top-10s (passage ids and scores) are identical.
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


def main() -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--base", default="HEAD", help="the git revision to compare with (default HEAD)")
    parser.add_argument("--questions", type=int, default=30)
    args = parser.parse_args()
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

        same = sum([(h.passage.passage_id, h.score) for h in before.search(q, 10)]
                   == [(h.passage.passage_id, h.score) for h in after.search(q, 10)] for q in queries)
        steps = [(f"Searcher.search, {m}", lambda s, q, v, m=m: s.search(q, 10, method=m))
                 for m in ("hybrid", "dense", "bm25")]
        steps += [("index only: dense top-50", lambda s, q, v: s.index.dense.search(v, 50)),
                  ("index only: BM25 scores + match share",
                   lambda s, q, v: (s.index.lexical.scores(q), s.index.lexical.match_share(q)))]
        print(f"| what | {args.base} p50 / p95 ms | working tree p50 / p95 ms |\n|---|---|---|")
        for what, fn in steps:
            ms: dict[str, list[float]] = {"before": [], "after": []}
            for i, (q, v) in enumerate(zip(queries, qvecs, strict=False)):
                pair = (("before", before), ("after", after))
                for label, searcher in pair if i % 2 else pair[::-1]:
                    cold()
                    t = time.perf_counter()
                    fn(searcher, q, v)
                    ms[label].append((time.perf_counter() - t) * 1000)
            print("| " + what + " | " + " | ".join(f"{np.median(ms[k]):.1f} / {np.percentile(ms[k], 95):.1f}"
                                                   for k in ("before", "after")) + " |", flush=True)
    print(f"hybrid top-10 (ids and scores) identical for {same} of {len(queries)} questions; "
          f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
