"""Calibrate the answer module's gates on seeds_qa: the answerable questions that get an answer holding
one of their answers, the unanswerable ones declined, and who-says-what on conflicts.jsonl, at the
shipped values and across a grid of the two sentence gates (coverage of the question's words,
closeness by the embedding model).

    python benchmarks/answer_threshold.py --index index     # an index of seeds/ (else built in a temp dir)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from assistant.answer import compose
from assistant.answer.evaluation import CONFLICTS, evaluate_answers, load_conflicts
from assistant.config import Config
from assistant.evaluate import EVIDENCE_SET, find_eval_dir, load_evidence_queries


def _searcher(index: Path | None, tmp: str):
    from assistant.search import open_searcher
    from assistant.sources import read_documents
    from assistant.store import build_index

    cfg = Config.from_env()
    if index is None:
        from assistant.embedding.embedder import make_embedder

        embedder = make_embedder(cfg)
        index = Path(tmp)
        build_index(read_documents([find_eval_dir(cfg).parent / "seeds"]), embedder, index)
        return open_searcher(Config.from_env(index_dir=index), embedder)
    return open_searcher(Config.from_env(index_dir=index))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=None, help="an index of the seed articles")
    ap.add_argument("--no-grid", action="store_true", help="only the shipped values")
    args = ap.parse_args()
    folder = find_eval_dir() / EVIDENCE_SET
    queries = load_evidence_queries(folder / "queries.jsonl")
    conflicts = load_conflicts(folder / CONFLICTS)
    with tempfile.TemporaryDirectory() as tmp:
        searcher = _searcher(args.index, tmp)
        t0 = time.perf_counter()
        result = evaluate_answers(searcher, queries, conflicts)
        seconds = time.perf_counter() - t0
        print(f"shipped: MIN_COVERAGE={compose.MIN_COVERAGE} MIN_SENTENCE_COSINE={compose.MIN_SENTENCE_COSINE} "
              f"({seconds / (len(queries) + len(conflicts)):.2f} s per question)")
        for line in result.lines():
            print("  " + line)
        if args.no_grid:
            return
        shipped = compose.MIN_COVERAGE, compose.MIN_SENTENCE_COSINE
        print("grid (answered / declined / right agreement):")
        for coverage in (0.4, 0.5, 0.6):
            for cosine in (0.5, 0.55, 0.6, 1.0):
                compose.MIN_COVERAGE, compose.MIN_SENTENCE_COSINE = coverage, cosine
                r = evaluate_answers(searcher, queries, conflicts)
                print(f"  coverage>={coverage:.2f} cosine>={cosine:.2f}: answered {r.answered}/{r.answerable}, "
                      f"declined {r.declined}/{r.unanswerable}, agreement {r.agreement_right}/{r.conflicts}, "
                      f"files {r.files_found}/{r.files}")
        compose.MIN_COVERAGE, compose.MIN_SENTENCE_COSINE = shipped


if __name__ == "__main__":
    main()
