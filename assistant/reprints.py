"""One reprint detector: a text that another outlet printed near-verbatim is one result, not two.

Two texts from different documents are one reprinted text when at least half of the smaller one's
character 5-grams are in the other (on the seeds, a statement reprinted by two outlets with
different chunk boundaries scores 0.5-0.6, unrelated passages on the same event < 0.45) and the
smaller is at least half the size of the larger: a short sentence that a long one happens to
contain is a different statement, not a reprint of it. Search results (``fold_hits``) and
answer sentences (``answer.compose``) both use this one rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import normalize_arabic
from .records import Hit

REPRINT_CONTAINMENT = 0.5
MIN_SIZE_RATIO = 0.5
_SHINGLE = 5
_NON_WORD = re.compile(r"[\W_]+")


def shingles(text: str, n: int = _SHINGLE) -> frozenset[str]:
    """Character n-grams of the normalised text, punctuation and spacing folded to one space."""
    flat = _NON_WORD.sub(" ", normalize_arabic(text)).strip()
    return frozenset(flat[i:i + n] for i in range(max(1, len(flat) - n + 1)))


def containment(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def is_reprint(a: frozenset[str], b: frozenset[str], threshold: float = REPRINT_CONTAINMENT) -> bool:
    """True when the texts behind shingle sets ``a`` and ``b`` are one text printed twice."""
    small, large = sorted((len(a), len(b)))
    return small >= MIN_SIZE_RATIO * large and containment(a, b) >= threshold


@dataclass(frozen=True)
class ResultGroup:
    """One shown result and the near-identical passages from other documents it stands for."""

    hit: Hit
    also: tuple[Hit, ...] = ()


def fold_hits(hits: list[Hit], threshold: float = REPRINT_CONTAINMENT) -> list[ResultGroup]:
    """Fold each hit into the first better-ranked hit from another document that it nearly repeats."""
    kept: list[tuple[Hit, frozenset[str], list[Hit]]] = []
    for hit in hits:
        sh = shingles(hit.passage.text)
        for first, first_sh, also in kept:
            if first.passage.doc_id != hit.passage.doc_id and is_reprint(sh, first_sh, threshold):
                also.append(hit)
                break
        else:
            kept.append((hit, sh, []))
    return [ResultGroup(h, tuple(also)) for h, _, also in kept]
