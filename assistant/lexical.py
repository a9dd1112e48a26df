"""BM25 over Arabic-analysed text (bm25s scoring; our own normaliser, stopwords and stemmer).

``match_share`` reads bm25s's term-by-passage matrix (``retriever.scores``: CSC ``indptr`` and
``indices`` per term id, ``num_docs``), which is not public API: pyproject pins bm25s to the
0.3 series, and tests/test_fusion.py checks that layout, so an upgrade that changes it fails
there and not in a user's search.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .normalize import analyze

BM25_PARAMS = {"k1": 1.5, "b": 0.75, "method": "lucene"}


class LexicalIndex:
    def __init__(self, retriever, *, stem: bool = True, stopwords: bool = True):
        self.retriever = retriever
        self.stem = stem
        self.stopwords = stopwords

    @classmethod
    def build(cls, texts: list[str], *, stem: bool = True, stopwords: bool = True,
              show_progress: bool = False) -> LexicalIndex:
        """Analyse ``texts`` (our Arabic pipeline, never bm25s's defaults) and index them; at a
        million passages this takes minutes, so it shows progress when asked."""
        import bm25s
        from tqdm.auto import tqdm

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        retriever = bm25s.BM25(**BM25_PARAMS)
        corpus_tokens = [analyze(t, stem=stem, stopwords=stopwords)
                         for t in tqdm(texts, desc="BM25 analysis", unit="passage", disable=not show_progress)]
        retriever.index(corpus_tokens, show_progress=show_progress)
        return cls(retriever, stem=stem, stopwords=stopwords)

    def query_terms(self, query: str) -> list[str]:
        return analyze(query, stem=self.stem, stopwords=self.stopwords)

    def scores(self, query: str) -> np.ndarray:
        terms = [t for t in self.query_terms(query) if t in self.retriever.vocab_dict]
        if not terms:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(terms), dtype=np.float32)

    def _postings(self, term: str) -> np.ndarray:
        """Row ids of the passages that contain ``term`` (empty when it is not in the corpus)."""
        csc, tid = self.retriever.scores, self.retriever.vocab_dict.get(term)
        indices = csc["indices"]
        return indices[csc["indptr"][tid]:csc["indptr"][tid + 1]] if tid is not None else indices[:0]

    def term_weights(self, query: str) -> dict[str, float]:
        """The question's distinct terms and their Lucene idf; a term absent from the corpus gets the
        highest idf, so it counts fully against any passage (it is in none)."""
        n = self.size
        return {t: float(np.log(1.0 + (n - len(docs) + 0.5) / (len(docs) + 0.5)))
                for t in dict.fromkeys(self.query_terms(query)) for docs in [self._postings(t)]}

    def match_share(self, query: str, weights: dict[str, float] | None = None) -> np.ndarray:
        """Per passage, the idf-weighted share of the question's distinct terms it contains.

        Terms missing from the corpus count in the denominator with the highest idf, so an
        English question over Arabic text matches nothing (all zeros). Term frequency and
        passage length are ignored on purpose: this says *how much of the question* a passage
        covers, on a scale (0..1) that is comparable across questions, unlike raw BM25.
        """
        share = np.zeros(self.size, dtype=np.float32)
        weights = self.term_weights(query) if weights is None else weights  # the caller's, when it has them
        total = sum(weights.values())
        if not weights or not self.size or total <= 0:
            return share
        for term, idf in weights.items():
            share[self._postings(term)] += idf
        return share / total

    @property
    def size(self) -> int:
        return int(self.retriever.scores["num_docs"])

    def save(self, folder: Path) -> None:
        self.retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, *, stem: bool, stopwords: bool) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25.load(str(folder), show_progress=False, allow_pickle=False)
        return cls(retriever, stem=stem, stopwords=stopwords)
