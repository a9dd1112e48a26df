"""The real model through Ray against the same model on this machine: vectors and eval figures.

Usage: .venv/bin/python benchmarks/ray_check.py --ray ADDRESS [--docs N] [--no-cache] [--json]

Builds the pooled eval corpus (xquad_ar + tydiqa_goldp_ar; ``--docs N``: its first N documents,
alternating the sets, and the questions whose gold document is among them) twice with the real
model: once through ``RayEmbedder`` on the running cluster at ADDRESS (every passage and sentence
embedded on the cluster: nothing reused), once locally. The local build takes its vectors from the
embedding cache `make eval` fills (the same model, precision and dimension; texts missing from it
are embedded here) unless ``--no-cache``. Prints the worst row cosine between the two builds'
passage vectors and sentence vectors, and the `make eval` figures (MRR@10, top-k, ...) of each
build for bm25, dense and hybrid on the same questions (their vectors from the local model).
tests/test_distributed.py runs it on a small subset with ``--no-cache``.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from pathlib import Path

import numpy as np
from perf_common import machine

METHODS = ("bm25", "dense", "hybrid")


def corpus(n_docs: int | None):
    """(documents, questions) of the pooled eval sets, the first ``n_docs`` documents alternating the sets."""
    from assistant.evaluate import EVAL_SETS, find_eval_dir, load_queries
    from assistant.sources import read_documents

    folder = find_eval_dir()
    per_set = [read_documents([folder / s / "corpus.jsonl"]) for s in EVAL_SETS]
    docs = [d for group in zip(*per_set, strict=False) for d in group] + \
        [d for group in per_set for d in group[min(map(len, per_set)):]]
    docs = docs[:n_docs] if n_docs else docs
    ids = {d.doc_id for d in docs}
    queries = [q for s in EVAL_SETS for q in load_queries(folder / s / "queries.jsonl") if q.gold_ids & ids]
    return docs, queries


def compare(address: str, n_docs: int | None, *, use_cache: bool, block: int) -> dict:
    from assistant.config import Config
    from assistant.embedding.cache import CachedQueryEmbedder, EmbeddingCache
    from assistant.embedding.distributed import make_ray_embedder
    from assistant.evaluate import _score_method  # what make eval scores with
    from assistant.metrics import TOP_KS
    from assistant.search import Searcher
    from assistant.store import BuildSettings, build_index, live_vectors, load_index

    docs, queries = corpus(n_docs)
    config = Config.from_env(ray_min_texts=1, ray_block=block)
    settings = BuildSettings.from_config(config)
    with tempfile.TemporaryDirectory(prefix="ray-check-") as tmp:
        ray_embedder = make_ray_embedder(config, address, Path(tmp) / "ray")
        local = ray_embedder.local  # the driver's model: precision and runtime resolved as the cluster's
        cache = EmbeddingCache.for_embedder(local)
        build_index(docs, ray_embedder, Path(tmp) / "ray", settings=settings)
        ray_embedder.close()
        reference = CachedQueryEmbedder(local, cache) if use_cache else local
        build_index(docs, reference, Path(tmp) / "local", settings=settings,
                    reuse=cache.vectors("documents") if use_cache else None)
        if use_cache:
            cache.save()
        a, b = load_index(Path(tmp) / "ray"), load_index(Path(tmp) / "local")
        if [p.passage_id for p in a.passages] != [p.passage_id for p in b.passages]:
            raise SystemExit("the two builds hold different passages")
        passage_cos = np.sum(live_vectors(a) * live_vectors(b), axis=1)
        sa = np.concatenate([a.sentences.vectors[a.sentences.ptr[i]:a.sentences.ptr[i + 1]]
                             for i in range(len(a.passages))]).astype(np.float32)
        sb = np.concatenate([b.sentences.vectors[b.sentences.ptr[i]:b.sentences.ptr[i + 1]]
                             for i in range(len(b.passages))]).astype(np.float32)
        sentence_cos = np.sum(sa * sb, axis=1) / np.linalg.norm(sa, axis=1) / np.linalg.norm(sb, axis=1)
        questions = CachedQueryEmbedder(local, cache)  # both searched with the same question vectors
        figures, top10 = {}, {}
        for name, index in (("ray", a), ("local", b)):
            searcher = Searcher(index, questions, config)
            figures[name] = {m: _score_method(searcher, queries, m, config.candidates, TOP_KS).scores.to_dict()
                             for m in METHODS}
            top10[name] = [[h.passage.passage_id for h in hits]
                           for hits in searcher.search_many([q.text for q in queries], 10)]
        cache.save()
    same = sum(x == y for x, y in zip(top10["ray"], top10["local"], strict=True))
    return {"documents": len(docs), "passages": len(passage_cos), "sentences": len(sentence_cos),
            "questions": len(queries), "precision": ray_embedder.precision, "ray_texts": ray_embedder.remote,
            "ray_nodes": len(ray_embedder.nodes), "min_passage_cosine": float(passage_cos.min()),
            "min_sentence_cosine": float(sentence_cos.min()), "same_hybrid_top10": same,
            "figures": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ray", required=True, help="the cluster's address (host:port) or auto")
    parser.add_argument("--docs", type=int, default=0, help="only the first N documents (0: all)")
    parser.add_argument("--block", type=int, default=64, help="texts per Ray block")
    parser.add_argument("--no-cache", action="store_true", help="embed the local build afresh too")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    out = compare(args.ray, args.docs or None, use_cache=not args.no_cache, block=args.block)
    if args.json:
        print(json.dumps(out))
        return
    print(f"{machine()}\n{out['documents']} documents, {out['passages']} passages, {out['sentences']} sentences, "
          f"{out['questions']} questions; precision {out['precision']}; {out['ray_texts']} texts embedded on "
          f"{out['ray_nodes']} Ray nodes")
    print(f"worst row cosine, Ray vs local: passages {out['min_passage_cosine']:.7f}, "
          f"sentences {out['min_sentence_cosine']:.7f}; hybrid top-10 identical for {out['same_hybrid_top10']} "
          f"of {out['questions']} questions")
    print("| method | build | " + " | ".join(out["figures"]["ray"]["bm25"]) + " |")
    for m in METHODS:
        for name in ("ray", "local"):
            print(f"| {m} | {name} | " + " | ".join(f"{v:.4f}" if isinstance(v, float) else str(v)
                                                   for v in out["figures"][name][m].values()) + " |")


if __name__ == "__main__":
    main()
