"""Core pipeline benchmark on the seeds: build time, passages/s, warm query latency, peak RSS.

Usage: .venv/bin/python benchmarks/bench_core.py [--source seeds] [--queries 30] [--repeats 3]
Prints medians; these machines are shared and noisy, so compare ratios within one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "كم عدد قتلى قوات سوريا الديمقراطية؟", "كم سيارة مفخخة استخدمت في الهجوم؟",
    "كم عدد السجناء الذين فروا من السجن؟", "متى بدأ الهجوم على سجن الصناعة؟",
    "من هو قائد قسد؟", "ماذا قالت وكالة أعماق عن الهجوم؟", "How many prisoners escaped?",
    "أين يقع سجن غويران؟", "لماذا هاجم داعش السجن؟", "ما دور التحالف الدولي في المعركة؟",
]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed_queries(searcher, n: int) -> list[float]:
    """ms per search for ``n`` questions cycled from QUESTIONS, after one warm-up."""
    searcher.search(QUESTIONS[0], 5)
    latencies = []
    for i in range(n):
        q = QUESTIONS[i % len(QUESTIONS)] + ("" if i < len(QUESTIONS) else f" {i}")
        t0 = time.perf_counter()
        searcher.search(q, 5)
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT / "seeds")
    parser.add_argument("--queries", type=int, default=30, help="timed queries (cycled from a fixed list)")
    parser.add_argument("--repeats", type=int, default=3, help="index builds to take the median of")
    args = parser.parse_args()

    from assistant.embedding.embedder import SentenceTransformerEmbedder
    from assistant.search import Searcher
    from assistant.sources import read_documents
    from assistant.store import build_index, load_index

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}")
    t0 = time.perf_counter()
    embedder = SentenceTransformerEmbedder()
    load_s = time.perf_counter() - t0
    docs = read_documents([args.source])

    build_times, n_passages = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            index_dir = Path(tmp) / f"index{i}"
            t0 = time.perf_counter()
            build_index(docs, embedder, index_dir)
            build_times.append(time.perf_counter() - t0)
        index = load_index(index_dir)
        n_passages = len(index.passages)
        searcher = Searcher(index, embedder)
        embedder.cache.size = 0  # every timed question goes through the model
        latencies = timed_queries(searcher, args.queries)
        t0 = time.perf_counter()
        embedder.use_query_graph(build=True, report=print).join()  # what `assistant serve` does
        graph_s = time.perf_counter() - t0
        graph_latencies = timed_queries(searcher, args.queries) if embedder.graph else []

    build_s = statistics.median(build_times)
    print(f"documents: {len(docs)}, passages: {n_passages}")
    print(f"model load: {load_s:.1f} s")
    print(f"index build (median of {args.repeats}): {build_s:.2f} s, {n_passages / build_s:.1f} passages/s")
    print(f"warm query latency end to end, eager (n={args.queries}): p50 {statistics.median(latencies):.1f} ms, "
          f"p95 {percentile(latencies, 0.95):.1f} ms")
    if graph_latencies:
        print(f"warm query latency end to end, compiled query path (the server's; ready after {graph_s:.0f} s): "
              f"p50 {statistics.median(graph_latencies):.1f} ms, p95 {percentile(graph_latencies, 0.95):.1f} ms")
    else:
        print(f"compiled query path: {embedder.graph_status}")
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
