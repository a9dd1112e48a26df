"""One reprint detector: a text that another outlet printed near-verbatim is one result, not two.

Two texts from different documents are one reprinted text when at least half of the smaller one's
character 5-grams are in the other (on the seeds, a statement reprinted by two outlets with
different chunk boundaries scores 0.5-0.6, unrelated passages on the same event < 0.45) and the
smaller is at least half the size of the larger: a short sentence that a long one happens to
contain is a different statement, not a reprint of it. Two texts must also share a clause
(``MIN_SHARED``), so two short texts that only share a place name are not one. Search results (``fold_hits``) and
answer sentences (``answer.compose``) both use this one rule.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from .normalize import normalize_arabic
from .records import Hit, Reprint

REPRINT_CONTAINMENT = 0.5
MIN_SIZE_RATIO = 0.5
MIN_SHARED = 40  # 5-grams in common: about 45 identical characters, a clause rather than a phrase
_SHINGLE = 5
_NON_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=8192)  # search folds the same top passages question after question
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
    if small < MIN_SIZE_RATIO * large:  # cheap: no set intersection for texts of unlike size
        return False
    shared = len(a & b)
    return shared >= MIN_SHARED and shared >= threshold * small


def fold_hits(hits: list[Hit], k: int | None = None, threshold: float = REPRINT_CONTAINMENT) -> list[Hit]:
    """Fold each hit into the first better-ranked hit from another document that it nearly repeats
    (listed in that hit's ``also_in``, with its own offsets); return at most ``k`` hits, re-ranked.

    Hits past the first ``k`` kept ones are still read, so a reprint ranked lower is still named.
    """
    kept: list[tuple[Hit, frozenset[str], list[Reprint]]] = []
    for hit in hits:
        sh = shingles(hit.passage.text)
        for first, first_sh, also in kept:
            if first.passage.doc_id != hit.passage.doc_id and is_reprint(sh, first_sh, threshold):
                also.append(Reprint(hit.source, hit.passage.start, hit.passage.end))
                break
        else:
            if k is None or len(kept) < k:
                kept.append((hit, sh, []))
    return [replace(h, rank=i, also_in=h.also_in + tuple(also)) for i, (h, _, also) in enumerate(kept, 1)]
