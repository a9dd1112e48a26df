"""The focus and source re-ranking signals (README "Evidence first"), measured in one process.

Builds the seeds_qa index, its distractor run (the seeds among the pooled Wikipedia passages) and the
pooled Wikipedia index once (document vectors from the embedding cache), then, for each weight
setting, prints evidence@1 / @5 / English at rank 1 on both seeds runs and hybrid MRR@10 / top-1 on
the pooled questions; last, the search-side cost of the signals (question vectors cached, the
question-dependent caches cleared before each search, with and without the signals interleaved).

    python benchmarks/evidence_signals.py [--weights 0,0 0.12,0.1 ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import assistant.asked_source as asked_source
import assistant.focus as focus
import assistant.search as search_module
from assistant.config import Config
from assistant.embedding.cache import CachedQueryEmbedder, EmbeddingCache
from assistant.embedding.cpu import cpu_class
from assistant.embedding.embedder import make_embedder
from assistant.evaluate import (
    EVAL_SETS,
    EVIDENCE_SET,
    _score_method,
    evidence_rank,
    find_eval_dir,
    load_evidence_queries,
    load_queries,
)
from assistant.search import Searcher
from assistant.sources import read_documents
from assistant.store import BuildSettings, build_index, load_index

QUESTION_CACHES = (focus.question_focus, focus.sentence_focus, asked_source.question_source,
                   asked_source.attribution_words, asked_source._attribution, asked_source.headline_hold,
                   asked_source.sentence_hold)


def evidence(searcher: Searcher, queries) -> str:
    at1 = at5 = en = 0
    for q in queries:
        rank = evidence_rank(searcher, searcher.search(q.text, 5), q)
        at1 += rank == 1
        at5 += rank is not None
        en += rank == 1 and q.lang == "en"
    n = len(queries)
    return f"{at1} ({at1 / n:.3f}) | {at5} ({at5 / n:.3f}) | {en}/{sum(q.lang == 'en' for q in queries)}"


def search_ms(searcher: Searcher, texts: list[str], signals: bool) -> float:
    search_module.question_focus = focus.question_focus if signals else (lambda q: focus.NO_FOCUS)
    search_module.question_source = asked_source.question_source if signals else (lambda q: ())
    times = []
    for text in texts:
        for f in QUESTION_CACHES:
            f.cache_clear()
        t0 = time.perf_counter()
        searcher.search(text, 5)
        times.append(1000 * (time.perf_counter() - t0))
    search_module.question_focus, search_module.question_source = focus.question_focus, asked_source.question_source
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", nargs="*", default=["0,0", "0.12,0", "0,0.15", "0.12,0.1", "0.1,0.15", "0.12,0.15",
                                                     "0.15,0.15", "0.12,0.2"], help="focus,source weight pairs")
    args = ap.parse_args()
    config = Config.from_env()
    defaults = search_module.FOCUS_WEIGHT, search_module.SOURCE_WEIGHT
    eval_dir = find_eval_dir(config)
    embedder = make_embedder(config)
    cache = EmbeddingCache.for_embedder(embedder)
    cached = CachedQueryEmbedder(embedder, cache)
    queries = [q for q in load_evidence_queries(eval_dir / EVIDENCE_SET / "queries.jsonl") if q.answers]
    wiki = [q for name in EVAL_SETS for q in load_queries(eval_dir / name / "queries.jsonl")]
    cached.embed_queries([q.text for q in queries + wiki])
    seeds, corpora = eval_dir.parent / "seeds", [eval_dir / name / "corpus.jsonl" for name in EVAL_SETS]
    print(f"cpu {cpu_class()}, load average {os.getloadavg()[0]:.1f}, embedder {type(embedder).__name__}")
    with tempfile.TemporaryDirectory(prefix="evidence-signals-") as tmp:
        searchers = {}
        for name, roots in (("seeds", [seeds]), ("distractors", [seeds, *corpora]), ("pooled", corpora)):
            build_index(read_documents(roots), cached, Path(tmp) / name, settings=BuildSettings.from_config(config),
                        reuse=cache.vectors("documents"))
            searchers[name] = Searcher(load_index(Path(tmp) / name), cached, config)
        cache.save()
        print("| focus weight, source weight | seeds_qa @1 | @5 | en @1 | + distractors @1 | @5 | en @1 "
              "| pooled MRR@10 (top-1) |")
        print("|---|---|---|---|---|---|---|---|")
        for pair in args.weights:
            search_module.FOCUS_WEIGHT, search_module.SOURCE_WEIGHT = (float(w) for w in pair.split(","))
            pooled = _score_method(searchers["pooled"], wiki, "hybrid", config.candidates, (1, 5, 10)).scores
            print(f"| {pair} | {evidence(searchers['seeds'], queries)} | {evidence(searchers['distractors'], queries)}"
                  f" | {pooled.mrr:.3f} ({pooled.top[1]:.3f}) |", flush=True)
        search_module.FOCUS_WEIGHT, search_module.SOURCE_WEIGHT = defaults
        for name, texts in (("seeds", [q.text for q in queries]), ("pooled", [q.text for q in wiki[:300]])):
            on, off = [], []
            for _ in range(3):  # interleaved, so both see the same load
                on.append(search_ms(searchers[name], texts, True))
                off.append(search_ms(searchers[name], texts, False))
            print(f"{name}: search-side p50 (query vectors cached) with the signals {statistics.median(on):.2f} ms, "
                  f"without {statistics.median(off):.2f} ms (weights {defaults})")


if __name__ == "__main__":
    main()
