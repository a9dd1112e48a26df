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

    def match_share(self, query: str) -> np.ndarray:
        """Per passage, the idf-weighted share of the question's distinct terms it contains.

        Terms missing from the corpus count in the denominator with the highest idf, so an
        English question over Arabic text matches nothing (all zeros). Term frequency and
        passage length are ignored on purpose: this says *how much of the question* a passage
        covers, on a scale (0..1) that is comparable across questions, unlike raw BM25.
        """
        n = self.size
        share = np.zeros(n, dtype=np.float32)
        terms = list(dict.fromkeys(self.query_terms(query)))
        if not terms or not n:
            return share
        vocab, csc = self.retriever.vocab_dict, self.retriever.scores
        indptr, indices = csc["indptr"], csc["indices"]
        total = 0.0
        for term in terms:
            tid = vocab.get(term)
            docs = indices[indptr[tid]:indptr[tid + 1]] if tid is not None else indices[:0]
            idf = float(np.log(1.0 + (n - len(docs) + 0.5) / (len(docs) + 0.5)))  # Lucene idf
            share[docs] += idf
            total += idf
        return share / total if total > 0 else share

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
