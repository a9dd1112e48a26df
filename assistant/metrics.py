"""Standard retrieval metrics over one ranked list per question.

Gold labels name documents, while search returns passages (chunks of documents), so a
passage ranking is first turned into a document ranking: each document takes the rank of
its best passage (``dedupe_docs``). All metrics use binary relevance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .normalize import tokenize

TOP_KS = (1, 5, 20)
CUTOFF = 10  # for MRR@10 and nDCG@10


def dedupe_docs(doc_ids: Iterable[str]) -> list[str]:
    """Document ranking from a passage ranking: first occurrence wins, order kept."""
    seen: dict[str, None] = {}
    for d in doc_ids:
        seen.setdefault(d, None)
    return list(seen)


def first_gold_rank(ranked: Sequence[str], gold: set[str]) -> int | None:
    """1-based rank of the first relevant document, or None."""
    for i, d in enumerate(ranked, 1):
        if d in gold:
            return i
    return None


def hit_at(ranked: Sequence[str], gold: set[str], k: int) -> float:
    """Top-k accuracy for one question: 1 when a relevant document is in the first k."""
    rank = first_gold_rank(ranked, gold)
    return float(rank is not None and rank <= k)


def reciprocal_rank(ranked: Sequence[str], gold: set[str], cutoff: int = CUTOFF) -> float:
    """1/rank of the first relevant document within the cutoff, else 0."""
    rank = first_gold_rank(ranked, gold)
    return 1.0 / rank if rank is not None and rank <= cutoff else 0.0


def ndcg(ranked: Sequence[str], gold: set[str], cutoff: int = CUTOFF) -> float:
    """Binary-relevance nDCG: sum 1/log2(i+1) over relevant ranks i, over the ideal ranking's."""
    if not gold:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 1) for i, d in enumerate(ranked[:cutoff], 1) if d in gold)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(gold), cutoff) + 1))
    return dcg / ideal


def normalize_answer(text: str) -> str:
    """Arabic-normalised tokens joined by single spaces (diacritics, alef forms, digits, case)."""
    return " ".join(tokenize(text))


def contains_answer(passage_text: str, answers: Iterable[str]) -> bool:
    """True when a normalised answer string occurs in the normalised passage text."""
    hay = normalize_answer(passage_text)
    return any(a and a in hay for a in (normalize_answer(x) for x in answers))


def answer_hit_at(passage_texts: Sequence[str], answers: Sequence[str], k: int) -> float:
    """Answer-string top-k: 1 when one of the first k passages contains an answer."""
    return float(any(contains_answer(t, answers) for t in passage_texts[:k]))


@dataclass(frozen=True)
class Scores:
    """Mean metrics over the questions of one run."""

    n: int
    top: dict[int, float]  # k -> top-k accuracy
    mrr: float
    ndcg: float
    answer_top: dict[int, float]  # k -> answer-string top-k

    def to_dict(self) -> dict:
        return {"n": self.n, **{f"top{k}": v for k, v in self.top.items()}, "mrr@10": self.mrr,
                "ndcg@10": self.ndcg, **{f"answer_top{k}": v for k, v in self.answer_top.items()}}


def score_run(doc_rankings: Sequence[Sequence[str]], golds: Sequence[set[str]],
              passage_texts: Sequence[Sequence[str]], answers: Sequence[Sequence[str]],
              ks: Sequence[int] = TOP_KS) -> Scores:
    """Average every metric over questions (all inputs aligned by question)."""
    n = len(doc_rankings)
    if not n:
        return Scores(0, {k: 0.0 for k in ks}, 0.0, 0.0, {k: 0.0 for k in ks})

    def mean(values) -> float:
        return sum(values) / n

    return Scores(
        n=n,
        top={k: mean(hit_at(r, g, k) for r, g in zip(doc_rankings, golds, strict=True)) for k in ks},
        mrr=mean(reciprocal_rank(r, g) for r, g in zip(doc_rankings, golds, strict=True)),
        ndcg=mean(ndcg(r, g) for r, g in zip(doc_rankings, golds, strict=True)),
        answer_top={k: mean(answer_hit_at(t, a, k) for t, a in zip(passage_texts, answers, strict=True))
                    for k in ks},
    )
