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

from collections.abc import Callable, Mapping, Sequence
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

    @staticmethod
    def own_rows(spans: np.ndarray, passages: int, plain: Sequence[bool] | None = None) -> np.ndarray:
        """Which sentence rows need a vector of their own: all but the sentence that is a whole
        passage the model read as it is (``plain[i]``: passage ``i``'s vector is of its text alone,
        not with its headline; all when None); that sentence keeps the passage's vector."""
        counts = np.bincount(spans[:, 0], minlength=passages) if len(spans) else np.zeros(passages, int)
        whole = counts[spans[:, 0]] == 1
        if plain is not None and len(spans):
            whole &= np.asarray(plain, dtype=bool)[spans[:, 0]]
        return ~whole

    @classmethod
    def build(cls, passages: list[Passage], documents: dict[str, Document], passage_vectors: np.ndarray,
              embed: Callable[[list[str]], np.ndarray], plain: Sequence[bool] | None = None) -> SentenceIndex:
        """Embed every sentence with ``embed`` (texts -> unit vectors); a passage that is a single
        sentence, embedded as it is, keeps its passage vector (the same text; see ``own_rows``)."""
        spans = cls.spans_of(passages, documents)
        vectors = np.zeros((len(spans), passage_vectors.shape[1]), dtype=np.float32)
        own = cls.own_rows(spans, len(passages), plain)
        if len(spans):
            vectors[~own] = passage_vectors[spans[~own, 0]]
        todo = np.flatnonzero(own)
        if len(todo):
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


class _Rows:
    """``vectors[a:b]`` of a SentenceView: one passage's sentences, read from its segment."""

    def __init__(self, view: SentenceView):
        self.view = view

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.view.ptr[-1]), self.view.dim)

    def __getitem__(self, key: slice) -> np.ndarray:
        v = self.view
        a, b = int(key.start), int(key.stop)
        if b <= a:
            return np.zeros((0, v.dim), np.float16)
        g = int(np.searchsorted(v.ptr, a, side="right")) - 1
        if not isinstance(key, slice) or key.step not in (None, 1) or g < 0 or b > v.ptr[g + 1]:
            raise IndexError("a SentenceView slices the sentences of one passage at a time")
        start = int(v.start[g]) + (a - int(v.ptr[g]))
        return v.parts[int(v.part[g])].vectors[start:start + (b - a)]


class SentenceView:
    """The sentences of several segments' live passages, addressed like one SentenceIndex:
    ``ptr`` over index rows, ``vectors[ptr[i]:ptr[i + 1]]`` = the sentence vectors of row i.

    Args:
        positions: per part, the index row of each of its passages (-1: deleted).
    """

    def __init__(self, parts: list[SentenceIndex], positions: list[np.ndarray], rows: int):
        self.parts = parts
        self.dim = int(parts[0].vectors.shape[1]) if parts else 0
        self.start = np.zeros(rows, np.int64)
        self.part = np.zeros(rows, np.int32)
        counts = np.zeros(rows, np.int64)
        for i, (p, pos) in enumerate(zip(parts, positions, strict=True)):
            local = np.flatnonzero(pos >= 0)
            at = pos[local]
            self.start[at], self.part[at] = p.ptr[local], i
            counts[at] = p.ptr[local + 1] - p.ptr[local]
        self.ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.vectors = _Rows(self)
        self.positions = positions

    @property
    def spans(self) -> np.ndarray:
        """(m, 3) int32 rows (index row, start, end) in index order, as ``SentenceIndex.spans``."""
        out = []
        for part, pos in zip(self.parts, self.positions, strict=True):
            rows = pos[part.spans[:, 0]]
            spans = part.spans[rows >= 0].copy()
            spans[:, 0] = rows[rows >= 0]
            out.append(spans)
        spans = np.concatenate(out) if out else np.zeros((0, 3), np.int32)
        return spans[np.argsort(spans[:, 0], kind="stable")]

    @classmethod
    def of(cls, parts: list[SentenceIndex], positions: list[np.ndarray], rows: int):
        """The one part itself when the index is exactly it, in its own order; else a view."""
        if len(parts) == 1 and np.array_equal(positions[0], np.arange(rows)):
            return parts[0]
        return cls(parts, positions, rows)

    def __len__(self) -> int:
        return int(self.ptr[-1])
