"""One question on the server path (``Searcher.search``: embed + dense + BM25 + fusion + evidence),
OpenVINO's dynamic model against the compiled question shapes (``question_shapes``), interleaved in
one process, on the same embedder and index.

Usage: .venv/bin/python benchmarks/question_shapes_ab.py --index DIR [--queries 60] [--rounds 2]

``DIR``: any index built with this model (``assistant build``); the pooled eval index gives figures
comparable to the README's. Every question is asked once per round with a different ending, so none
is answered from the query cache, and each variant sees the other's shapes in between (as a server
sees questions of every length). Prints p50/p95 per variant, the model alone, the cosine of the two
vectors, the load and the process's memory before and after the shapes are compiled.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

from perf_common import machine, median, peak_rss_mib, percentile, pooled_corpus


def current_rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sizes", default="", help="compiled sizes, e.g. 32,48 (default: the module's)")
    args = parser.parse_args()
    from assistant.config import Config
    from assistant.embedding.embedder import OpenVINOEmbedder, make_embedder
    from assistant.search import Searcher
    from assistant.store import load_index

    print(f"machine: {machine()}", flush=True)
    embedder = make_embedder(Config.from_env())
    if not isinstance(embedder, OpenVINOEmbedder):
        raise SystemExit(f"the default embedder here is {type(embedder).__name__}, not OpenVINO")
    embedder.cache.size = 0
    searcher = Searcher(load_index(args.index), embedder)
    questions = [q.text for q in pooled_corpus().queries]
    random.Random(3).shuffle(questions)
    questions = questions[:args.queries]
    if args.sizes:
        embedder.ov.shapes.sizes = tuple(int(x) for x in args.sizes.split(","))
    prompted = [embedder.ov.prompts["query"] + q for q in questions]
    lengths = [sum(e.attention_mask) for e in embedder.ov.tokenizer.encode_batch(prompted)]
    rss_before = current_rss_mib()
    t0 = time.perf_counter()
    embedder.use_query_graph(build=True, report=print).join()
    print(f"compiled the question shapes {embedder.ov.shapes.sizes} in {time.perf_counter() - t0:.1f} s; "
          f"RSS {rss_before:.0f} -> {current_rss_mib():.0f} MiB", flush=True)
    shapes = embedder.ov.shapes.ready
    ms = {"dynamic model": [], "question shapes": []}
    alone = {"dynamic model": [], "question shapes": []}
    cosines = []
    for r in range(args.rounds + 1):  # round 0 warms both
        for q in questions:
            q = f"{q} {'؟' * (r + 1)}"
            vecs = {}
            for name in ms:
                embedder.ov.shapes.ready = shapes if name == "question shapes" else {}
                t = time.perf_counter()
                searcher.search(q, 5)
                took = time.perf_counter() - t
                t = time.perf_counter()
                vecs[name] = embedder.embed_queries([q])[0]
                if r:
                    ms[name].append(took * 1000)
                    alone[name].append((time.perf_counter() - t) * 1000)
            cosines.append(float(vecs["dynamic model"] @ vecs["question shapes"]))
    embedder.ov.shapes.ready = shapes
    print(f"\n{len(questions)} pooled questions x {args.rounds} rounds on {args.index}, interleaved")
    print("| variant | question p50 / p95 ms, end to end "
          "| the same question embedded again right after (same shape) p50 ms |\n|---|---|---|")
    for name in ms:
        print(f"| {name} | {median(ms[name]):.1f} / {percentile(ms[name], 0.95):.1f} | {median(alone[name]):.1f} |")
    print(f"RSS at the end {current_rss_mib():.0f} MiB (peak {peak_rss_mib():.0f})")
    print(f"question tokens with the prompt (unpadded): p10 {percentile(lengths, 0.1):.0f}, p50 "
          f"{median(lengths):.0f}, p90 {percentile(lengths, 0.9):.0f}, max {max(lengths)}")
    print(f"cosine of the two vectors of a question: min {min(cosines):.5f}, median {median(cosines):.6f}")
    print(f"machine at the end: {machine()}")


if __name__ == "__main__":
    main()
