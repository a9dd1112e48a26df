"""One question end to end, and document embedding, for the default embedder against another OpenVINO
model file (an earlier int8 scheme), interleaved in one process.

Usage: .venv/bin/python benchmarks/int8_ab.py --index DIR --before OLD.xml [--queries 30] [--doc-sample 48]

``DIR`` is any index built with this model (``assistant build``): the timing does not depend on which
vectors it holds. Prints, per variant: the server-path question p50/p95 (``Searcher.search``), where
its time goes (tokenising and token lookup, OpenVINO's inference, the rest of the embedding call, and
the search after the embedding: dense + BM25 + fusion + evidence re-ranking + reprint folding), and
passages/s against the plain sentence-transformers fp32 baseline of the same run; then the default
alone in the process (what a server holds), questions back to back and 0.2 s apart.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from perf_common import machine, median, percentile, pooled_corpus, timed


def parts(embedder, searcher, question: str) -> dict[str, float]:
    """ms of each stage of one fresh question on ``embedder``'s OpenVINO path."""
    from assistant.embedding.openvino_runtime import lookup, token_batch

    ov = embedder.ov
    text = ov.prompts.get("query", "") + question
    t0 = time.perf_counter()
    ids, mask = token_batch(ov.tokenizer, [text])
    embeds = lookup(ov.table, ids, ov.meta)
    t1 = time.perf_counter()
    ov.encoder.infer(embeds, mask)
    t2 = time.perf_counter()
    size = embedder.cache.size
    embedder.cache.size = 256
    embedder.embed_queries([question])  # the whole embedding call, now cached for the search below
    t3 = time.perf_counter()
    searcher.search(question, 5)  # the query vector from the cache: the search alone
    t4 = time.perf_counter()
    embedder.cache.size = size
    return {"tokenise + lookup": (t1 - t0) * 1000, "inference": (t2 - t1) * 1000,
            "embedding call": (t3 - t2) * 1000, "search after embedding": (t4 - t3) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--before", type=Path, required=True, help="the other OpenVINO model file (.xml)")
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--doc-sample", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import logging

    from assistant.config import Config
    from assistant.embedding.embedder import OpenVINOEmbedder, SentenceTransformerEmbedder, make_embedder
    from assistant.embedding.openvino_runtime import OpenVINOEncoder
    from assistant.search import Searcher
    from assistant.store import load_index

    logging.basicConfig(level=logging.WARNING)
    print(f"machine: {machine()}", flush=True)
    after = make_embedder(Config.from_env())
    print(f"default: {after.precision} on {after.runtime}", flush=True)
    before = OpenVINOEmbedder(precision=after.precision, query_cache=0)
    before.ov.encoder = OpenVINOEncoder(args.before, after.precision)
    after.cache.size = before.cache.size = 0
    variants = {f"before ({args.before.name})": before, "after (default)": after}
    index = load_index(args.index)
    searchers = {name: Searcher(index, e) for name, e in variants.items()}
    corpus = pooled_corpus()
    questions = [q.text for q in corpus.queries[:: max(1, len(corpus.queries) // args.queries)]][:args.queries]
    for s in searchers.values():
        s.search(questions[0] + " ؟", 5)
    total = {name: [] for name in variants}
    split = {name: [] for name in variants}
    for r in range(2):
        for q in questions:
            for name, s in searchers.items():
                total[name].append(timed(s.search, q + " " + "؟" * (r + 1), 5)[0] * 1000)
                split[name].append(parts(variants[name], s, q + " " + "،" * (r + 1)))
    baseline = SentenceTransformerEmbedder(precision="fp32", query_cache=0).model
    rng = np.random.default_rng(11)
    sample = [corpus.passages[i].text for i in rng.choice(len(corpus.passages), args.doc_sample, replace=False)]
    rates = {"baseline": [], **{name: [] for name in variants}}
    for _ in range(args.repeats):
        t, _ = timed(baseline.encode_document, sample, normalize_embeddings=True)
        rates["baseline"].append(len(sample) / t)
        for name, e in variants.items():
            rates[name].append(len(sample) / timed(e.embed_documents, sample)[0])
    print(f"\n{len(questions)} pooled questions x 2 rounds on {args.index} ({len(index.passages)} passages), "
          f"documents: {args.doc_sample} pooled passages, median of {args.repeats}")
    print("| variant | question p50 / p95 ms, end to end | tokenise + lookup | inference | rest of the embedding "
          "call | search after embedding | documents passages/s (vs baseline) |\n|---|---|---|---|---|---|---|")
    base = median(rates["baseline"])
    for name in variants:
        p = {k: median([d[k] for d in split[name]]) for k in split[name][0]}
        rest = p["embedding call"] - p["inference"] - p["tokenise + lookup"]
        print(f"| {name} | {median(total[name]):.1f} / {percentile(total[name], 0.95):.1f} | "
              f"{p['tokenise + lookup']:.2f} | {p['inference']:.1f} | {rest:.2f} | {p['search after embedding']:.1f} | "
              f"{median(rates[name]):.2f} ({median(rates[name]) / base:.2f}x) |")
    print(f"| baseline: sentence-transformers fp32 | | | | | | {base:.2f} (1.00x) |")
    # The server holds one model: the default alone, questions back to back and 0.2 s apart (an idle
    # moment between users), so no other model's work sits between two of its questions.
    del searchers, variants, before
    import gc

    gc.collect()
    searcher = Searcher(index, after)
    alone: dict[str, list[float]] = {"back to back": [], "0.2 s apart": []}
    for r in range(2):
        for q in questions:
            for how, pause in (("back to back", 0.0), ("0.2 s apart", 0.2)):
                time.sleep(pause)
                alone[how].append(timed(searcher.search, q + " " + "!" * (r + 1) + how[0], 5)[0] * 1000)
    for how, ms in alone.items():
        print(f"the default alone in the process, {how}: question p50 {median(ms):.1f} ms, "
              f"p95 {percentile(ms, 0.95):.1f}")
    print(f"\nmachine at the end: {machine()}")


if __name__ == "__main__":
    main()
