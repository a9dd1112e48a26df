"""One reprint detector: a text that another outlet printed near-verbatim is one result, not two.

Two texts from different documents are one reprinted text when at least half of the smaller one's
character 5-grams are in the other (on the seeds, a statement reprinted by two outlets with
different chunk boundaries scores 0.5-0.6, unrelated passages on the same event < 0.45) and the
smaller is at least half the size of the larger: a short sentence that a long one happens to
contain is a different statement, not a reprint of it. Two texts must also share a clause
(``MIN_SHARED``), so two short texts that only share a place name are not one. Search results (``fold_hits``) and
answer sentences (``answer.compose``) both use this one rule.

``fold_hits`` compares a question's hits all at once (``Overlaps``): each 5-gram becomes one
integer (its characters ranked within these texts, so two 5-grams get the same integer exactly when
they are the same string), and every pair's count of shared 5-grams comes from one sort, not from a
set intersection per pair: the same counts as ``shingles`` and ``is_reprint``, for a tenth of the time.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

import numpy as np

from .normalize import FOLD_TABLE, normalize_arabic
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


def reprinted(size_a: int, size_b: int, shared: int, threshold: float = REPRINT_CONTAINMENT) -> bool:
    """The rule, on counts: two texts of ``size_a`` and ``size_b`` distinct 5-grams, ``shared`` in common."""
    small, large = sorted((size_a, size_b))
    return small >= MIN_SIZE_RATIO * large and shared >= MIN_SHARED and shared >= threshold * small


def is_reprint(a: frozenset[str], b: frozenset[str], threshold: float = REPRINT_CONTAINMENT) -> bool:
    """True when the texts behind shingle sets ``a`` and ``b`` are one text printed twice."""
    small, large = sorted((len(a), len(b)))
    if small < MIN_SIZE_RATIO * large:  # cheap: no set intersection for texts of unlike size
        return False
    return reprinted(len(a), len(b), len(a & b), threshold)


@lru_cache(maxsize=1)
def _word_chars() -> np.ndarray:
    """Which code points of the Basic Multilingual Plane ``_NON_WORD`` does not match (re's ``\\w``
    but ``_``: ``str.isalnum``); a character above it is looked up one by one (``_is_word``)."""
    return np.array([chr(c).isalnum() for c in range(0x10000)], dtype=bool)


def _is_word(codes: np.ndarray) -> np.ndarray:
    table = _word_chars()
    word = table[np.minimum(codes, len(table) - 1)]
    for i in np.flatnonzero(codes >= len(table)):  # rare: characters outside the BMP
        word[i] = chr(int(codes[i])).isalnum()
    return word


_DELETED = np.uint32(0xFFFFFFFF)  # above every code point


@lru_cache(maxsize=1)
def _fold_table() -> np.ndarray:
    """``normalize.FOLD_TABLE`` as code points (``_DELETED`` for a character it deletes)."""
    return np.array([_DELETED if c is None else ord(c) if isinstance(c, str) else c for c in FOLD_TABLE], np.uint32)


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)


def _normalized(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``normalize_arabic`` of every text, as one array of code points, and each text's length in it:
    the table applied to all at once, then one casefold."""
    codes, table = _codes("".join(texts)), _fold_table()
    codes = np.where(codes < len(table), table[np.minimum(codes, len(table) - 1)], codes)
    kept = codes != _DELETED
    folded = codes[kept].tobytes().decode("utf-32-le", "surrogatepass")
    lower = folded.casefold()
    if len(lower) != len(folded):  # a character that casefolds to several ("ß"): text by text
        normal = [normalize_arabic(t) for t in texts]
        return _codes("".join(normal)), np.array([len(t) for t in normal], np.intp)
    owner = np.repeat(np.arange(len(texts)), [len(t) for t in texts])
    return _codes(lower), np.bincount(owner[kept], minlength=len(texts))


def _flat_codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """What ``shingles`` slices, for every text at once: the normalised texts' code points with each
    run of non-word characters one space and no space at either end (``_NON_WORD.sub(" ", …).strip()``),
    concatenated; and each text's length in it."""
    codes, lengths = _normalized(texts)
    ends = np.cumsum(lengths)
    owner = np.repeat(np.arange(len(texts)), lengths)
    word = _is_word(codes)
    at = np.flatnonzero(word)
    # each text's last word character (-1 for none): a non-word run is kept only where a word follows
    last = np.searchsorted(at, ends) - 1
    last = np.where(last >= 0, at[np.maximum(last, 0)] if len(at) else -1, -1)
    before = np.zeros(len(codes), bool)
    before[1:] = word[:-1] & (owner[1:] == owner[:-1])  # a word character just before, in the same text
    keep = word | (before & (np.arange(len(codes)) < last[owner]))
    flat = np.where(word, codes, np.uint32(ord(" ")))[keep]
    return flat, np.bincount(owner[keep], minlength=len(texts))


def _distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)``: sorted, each once (a plain sort, faster here than its hashing)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def _ranks(codes: np.ndarray) -> np.ndarray:
    """Each code's rank among the distinct codes, from 1."""
    top = int(codes.max(initial=0))
    if top < 0x10000:  # a table up to the highest code: no sort
        seen = np.zeros(top + 1, np.uint64)
        seen[codes] = 1
        return np.cumsum(seen)[codes]
    return np.searchsorted(_distinct(codes), codes).astype(np.uint64) + np.uint64(1)


class Overlaps:
    """For a list of texts: how many distinct ``shingles`` each has (``sizes``), and, for any one of
    them, how many it shares with each (``shared_with``): the same counts as the sets give.

    Exact: the characters of these texts are ranked, and each n-gram with its text's number packed
    into one integer; ``of`` returns None when that does not fit in 64 bits (then compare sets).
    """

    def __init__(self, sizes: np.ndarray, gram: np.ndarray, text: np.ndarray):
        self.sizes, self._gram, self._text = sizes, gram, text  # (n-gram id, text): each pair once

    @classmethod
    def of(cls, texts: list[str], n: int = _SHINGLE) -> Overlaps | None:
        flat, lengths = _flat_codes(texts)
        ranks = _ranks(flat)  # 1.. (0 pads)
        bits, text_bits = int(ranks.max(initial=0)).bit_length(), max(1, (len(texts) - 1).bit_length())
        if n * bits + text_bits > 64:
            return None
        # each text's ranks, then n zeros: a text shorter than n is one padded n-gram, as in shingles
        padded = np.zeros(len(flat) + n * len(texts), np.uint64)
        padded[np.arange(len(flat)) + n * np.repeat(np.arange(len(texts)), lengths)] = ranks
        keys = np.zeros(len(padded) - n + 1, np.uint64)
        for m in range(n):
            keys = (keys << np.uint64(bits)) | padded[m:len(padded) - n + 1 + m]
        counts = np.maximum(lengths - n + 1, 1)
        owner = np.repeat(np.arange(len(texts), dtype=np.uint64), counts)
        starts = np.cumsum(lengths + n) - lengths - n
        at = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
        pairs = _distinct((keys[at] << np.uint64(text_bits)) | owner)  # sorted by n-gram, then text
        gram = pairs >> np.uint64(text_bits)
        text = (pairs & np.uint64((1 << text_bits) - 1)).astype(np.intp)
        ids = np.cumsum(np.r_[True, gram[1:] != gram[:-1]]) - 1 if len(gram) else gram.astype(np.intp)
        return cls(np.bincount(text, minlength=len(texts)), ids, text)

    def shared_with(self, j: int) -> np.ndarray:
        """How many n-grams each text shares with text ``j``."""
        held = np.zeros(len(self._gram) and int(self._gram[-1]) + 1, bool)
        held[self._gram[self._text == j]] = True
        return np.bincount(self._text[held[self._gram]], minlength=len(self.sizes))


def fold_hits(hits: list[Hit], k: int | None = None, threshold: float = REPRINT_CONTAINMENT) -> list[Hit]:
    """Fold each hit into the first better-ranked hit from another document that it nearly repeats
    (listed in that hit's ``also_in``, with its own offsets); return at most ``k`` hits, re-ranked.

    Hits past the first ``k`` kept ones are still read, so a reprint ranked lower is still named.
    """
    overlaps = Overlaps.of([h.passage.text for h in hits]) if hits else None
    if overlaps is None:
        sets = [shingles(h.passage.text) for h in hits]

        def same(i: int, j: int) -> bool:
            return is_reprint(sets[i], sets[j], threshold)
    else:
        sizes, shared = overlaps.sizes.tolist(), {}  # a kept hit's column of shared counts

        def same(i: int, j: int) -> bool:
            if j not in shared:
                shared[j] = overlaps.shared_with(j).tolist()
            return reprinted(sizes[i], sizes[j], shared[j][i], threshold)
    kept: list[tuple[int, list[Reprint]]] = []
    for i, hit in enumerate(hits):
        for j, also in kept:
            if hits[j].passage.doc_id != hit.passage.doc_id and same(i, j):
                also.append(Reprint(hit.source, hit.passage.start, hit.passage.end))
                break
        else:
            if k is None or len(kept) < k:
                kept.append((i, []))
    return [replace(hits[j], rank=r, also_in=hits[j].also_in + tuple(also)) for r, (j, also) in enumerate(kept, 1)]
