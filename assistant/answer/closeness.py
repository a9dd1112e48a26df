"""How close each sentence of a passage is to the question, by the embedding model: the index
already holds a vector per sentence (``sentences.SentenceIndex``), so a sentence that says the
same thing in other words ("منذ مساء الأمس" for "متى بدأ الهجوم") is found without sharing them.
"""

from __future__ import annotations

import numpy as np

from ..records import Hit

_ROWS: dict[int, tuple[object, dict[str, int]]] = {}  # cache: id(passages) -> (passages, id -> row)


def _rows(index) -> dict[str, int]:
    key = id(index.passages)
    cached = _ROWS.get(key)
    if cached is None or cached[0] is not index.passages:
        cached = (index.passages, {p.passage_id: i for i, p in enumerate(index.passages)})
        _ROWS.clear()
        _ROWS[key] = cached
    return cached[1]


class SentenceCloseness:
    """Cosine of each indexed sentence with the question; empty when the index or embedder has none."""

    def __init__(self, searcher, question: str):
        index = getattr(searcher, "index", None)
        self.sentences = getattr(index, "sentences", None)
        self.qvec = None
        if self.sentences is not None and hasattr(searcher, "embedder"):
            self.qvec = np.asarray(searcher.embedder.embed_queries([question])[0], np.float32)
            self.rows = _rows(index)

    def of(self, hit: Hit) -> dict[tuple[int, int], float]:
        """(start, end) of each sentence of the hit's passage -> its cosine with the question."""
        if self.qvec is None:
            return {}
        row = self.rows.get(hit.passage.passage_id)
        if row is None:
            return {}
        a, b = int(self.sentences.ptr[row]), int(self.sentences.ptr[row + 1])
        cos = self.sentences.vectors[a:b].astype(np.float32) @ self.qvec
        return {(int(s), int(e)): float(c) for (_, s, e), c in zip(self.sentences.spans[a:b], cos, strict=True)}
