"""Sentence vectors: every sentence of every passage embedded at build time, so a question can be
matched against the one sentence that answers it, not only against the whole passage.

A passage on the right event is close to any question about that event; the sentence that states
the answer is closer still. Search scores a passage by its best sentence as well as by itself
(``search.Searcher``), and that sentence is the hit's evidence. Embedding sentences at build time
costs about as much again as embedding the passages (the same text, cut smaller); a question
costs one small matrix product over its candidates' sentences.

On disk: ``sentences.npy`` (float16 vectors, one row per sentence, passage by passage) and
``sentence_spans.npy`` (int32 rows: passage row, start, end in the document).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from .chunk import split_sentences
from .records import Document, Passage

VECTORS, SPANS = "sentences.npy", "sentence_spans.npy"


class SentenceIndex:
    def __init__(self, spans: np.ndarray, vectors: np.ndarray, passages: int):
        self.spans = spans  # (m, 3) int32: passage row, start, end
        self.vectors = vectors  # (m, dim) float16, unit rows
        self.ptr = np.searchsorted(spans[:, 0], np.arange(passages + 1)).astype(np.int64)

    @staticmethod
    def spans_of(passages: list[Passage], documents: dict[str, Document]) -> np.ndarray:
        rows = [(i, a, b) for i, p in enumerate(passages)
                for a, b in split_sentences(documents[p.doc_id].text, p.start, p.end)]
        return np.asarray(rows, dtype=np.int32).reshape(-1, 3)

    @classmethod
    def build(cls, passages: list[Passage], documents: dict[str, Document], passage_vectors: np.ndarray,
              embed: Callable[[list[str]], np.ndarray]) -> SentenceIndex:
        """Embed every sentence with ``embed`` (texts -> unit vectors); a passage that is a single
        sentence keeps its passage vector (the same text)."""
        spans = cls.spans_of(passages, documents)
        counts = np.bincount(spans[:, 0], minlength=len(passages)) if len(spans) else np.zeros(len(passages), int)
        vectors = np.zeros((len(spans), passage_vectors.shape[1]), dtype=np.float32)
        todo = []
        for j, i in enumerate(spans[:, 0]):
            if counts[i] == 1:
                vectors[j] = passage_vectors[i]
            else:
                todo.append(j)
        if todo:
            texts = [documents[passages[spans[j][0]].doc_id].text[spans[j][1]:spans[j][2]] for j in todo]
            vectors[todo] = embed(texts)
        return cls(spans, vectors.astype(np.float16), len(passages))

    def texts_and_vectors(self, passages: list[Passage], texts: Mapping[str, str]):
        """(sentence text, vector) pairs, for reusing vectors of unchanged text; ``texts``: doc_id -> text."""
        for (i, a, b), vec in zip(self.spans, self.vectors, strict=True):
            yield texts[passages[i].doc_id][a:b], vec.astype(np.float32)

    def save(self, folder: Path) -> None:
        np.save(folder / VECTORS, self.vectors, allow_pickle=False)
        np.save(folder / SPANS, self.spans, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, passages: int) -> SentenceIndex:
        return cls(np.load(folder / SPANS, allow_pickle=False), np.load(folder / VECTORS, allow_pickle=False),
                   passages)
