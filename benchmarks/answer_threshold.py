"""Calibrate the answer module's relevance gate and measure its span extraction.

Part A (no model): on the eval sets' gold passages, how much of a question the sentence that
holds its answer covers (``coverage``), and how often the typed span (figure for كم, date for
متى) contains the answer string.
Part B (real model, seeds index): eval questions asked of the seeds (they cannot be answered
there, so any answer is a false positive) versus seed questions with known answers: the best
passage cosine and whether an answer was returned.

    .venv/bin/python benchmarks/answer_threshold.py --index index --sample 100
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
from pathlib import Path

from assistant.answer import compose as answer
from assistant.answer.compose import MIN_COVERAGE
from assistant.answer.figures import figure_spans
from assistant.answer.lexicon import fold, tokens
from assistant.answer.question import coverage, parse_question
from assistant.answer.spans import typed_spans
from assistant.chunk import split_sentences
from assistant.evaluate import find_eval_dir
from assistant.normalize import normalize_arabic

SEED_QUESTIONS = [
    "كم عدد قتلى قوات سوريا الديمقراطية؟", "كم عدد قتلى داعش؟", "كم عدد السيارات المفخخة؟",
    "كم عدد السجناء الذين فروا من السجن؟", "متى بدأ الهجوم على سجن الصناعة؟",
    "من هو قائد قسد؟", "كم عدد الرهائن الذين حررتهم قسد؟", "كم عدد عناصر داعش الذين استسلموا؟",
    "كم سجينا يضم سجن غويران؟", "كم عدد المدنيين الذين قتلوا؟", "لماذا أحرق المهاجمون صهاريج النفط؟",
    "أين يقع سجن الصناعة؟", "كم عدد الجرحى من قسد؟", "How many SDF fighters were killed?",
]


def _load(name: str):
    folder = find_eval_dir() / name
    corpus = {r["id"]: r["text"] for r in map(json.loads, open(folder / "corpus.jsonl", encoding="utf-8"))}
    queries = [json.loads(line) for line in open(folder / "queries.jsonl", encoding="utf-8")]
    return corpus, queries


def part_a(name: str) -> None:
    corpus, queries = _load(name)
    covs, typed = [], {"figure": [0, 0], "date": [0, 0]}
    for rec in queries:
        text = corpus[rec["gold_ids"][0]]
        answers = [normalize_arabic(a) for a in rec["answers"] if a.strip()]
        q = parse_question(rec["text"])
        for a, b in split_sentences(text, 0, len(text)):
            if not any(ans in normalize_arabic(text[a:b]) for ans in answers):
                continue
            f = fold(text[a:b], a)
            toks = tokens(f)
            covs.append(coverage(q, toks))
            if q.kind in typed:
                spans = figure_spans(q, f, toks, frozenset()) if q.kind == "figure" else typed_spans(q, f, toks)
                typed[q.kind][1] += 1
                typed[q.kind][0] += any(any(ans in normalize_arabic(s.value) or normalize_arabic(s.value) in ans
                                            for ans in answers) for s in spans[:1])
            break
    covs.sort()
    print(f"{name}: answer sentences {len(covs)}; coverage median {statistics.median(covs):.2f}, "
          f"share >= {MIN_COVERAGE}: {sum(c >= MIN_COVERAGE for c in covs) / len(covs):.2f}, "
          f"p10 {covs[len(covs) // 10]:.2f}; share >= 0.4: {sum(c >= 0.4 for c in covs) / len(covs):.2f}")
    for kind, (ok, n) in typed.items():
        print(f"  {kind} questions: top span holds the answer in {ok}/{n} ({ok / max(1, n):.2f})")


def part_b(index_dir: Path, sample: int) -> None:
    from assistant.config import Config
    from assistant.search import open_searcher

    searcher = open_searcher(Config.from_env(index_dir=index_dir))
    rng = random.Random(0)
    negatives = []
    for name in ("xquad_ar", "tydiqa_goldp_ar"):
        negatives += rng.sample(_load(name)[1], sample)
    rows = []
    answer.MIN_COVERAGE = 0.0  # record the best coverage; the gate is applied below
    for label, questions in (("seed", SEED_QUESTIONS), ("eval", [r["text"] for r in negatives])):
        for text in questions:
            hits = searcher.search(text, 16)
            best = max(h.scores.get("dense", -1) for h in hits)
            q = parse_question(text)
            cands = [c for h in hits for c in answer._candidates(q, h, searcher.index.documents[h.passage.doc_id])]
            top = max((coverage(q, tokens(fold(searcher.index.documents[c.hit.passage.doc_id].text[c.start:c.end])))
                       for c in cands), default=0.0)
            rows.append((label, best, top))
    for label in ("seed", "eval"):
        sel = [r for r in rows if r[0] == label]
        dense = sorted(r[1] for r in sel)
        print(f"{label}: n={len(sel)}; best cosine min {dense[0]:.3f} median {statistics.median(dense):.3f} "
              f"max {dense[-1]:.3f}")
        for d in (0.05, 0.10, 0.15, 0.20):
            for c in (0.3, 0.4, 0.5, 0.6):
                print(f"  cosine>={d:.2f} coverage>={c:.1f}: answered {sum(r[1] >= d and r[2] >= c for r in sel)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=Path("index"))
    ap.add_argument("--sample", type=int, default=100)
    ap.add_argument("--skip-model", action="store_true")
    args = ap.parse_args()
    for name in ("xquad_ar", "tydiqa_goldp_ar"):
        part_a(name)
    if not args.skip_model:
        part_b(args.index, args.sample)


if __name__ == "__main__":
    main()
