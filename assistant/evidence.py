"""Where in a passage the answer is: per sentence, how much of the question it holds.

A passage on the right event often mentions the question's words here and there; the passage
that answers has them together, in the sentence that states the answer. ``sentence_shares``
gives each sentence's idf-weighted share of the question's terms; search adds the best share to
a passage's score and, with the sentence vectors (``sentences.py``), picks the evidence sentence
shown in the CLI and UI. Pure functions over analysed text: no model.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from .chunk import split_sentences
from .normalize import analyze


@lru_cache(maxsize=16384)  # the same top passages come back question after question
def _sentence_terms(text: str, start: int, end: int, stem: bool, stopwords: bool
                    ) -> tuple[tuple[int, int, frozenset[str]], ...]:
    return tuple((a, b, frozenset(analyze(text[a:b], stem=stem, stopwords=stopwords)))
                 for a, b in split_sentences(text, start, end))


def sentence_shares(text: str, start: int, end: int, weights: Mapping[str, float], *, stem: bool = True,
                    stopwords: bool = True) -> list[tuple[int, int, float]]:
    """The sentences of ``text[start:end]`` (as ``chunk.split_sentences`` cuts them, so they line up
    with the sentence vectors) and the weighted share of the question's terms each holds (0..1;
    ``weights``: term -> idf). All 0 when the question has no term (an English question over
    Arabic text)."""
    total = sum(weights.values())
    return [(a, b, sum(w for t, w in weights.items() if t in terms) / total if total > 0 else 0.0)
            for a, b, terms in _sentence_terms(text, start, end, stem, stopwords)]
