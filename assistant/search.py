"""Hybrid search: dense and BM25 rankings, fused; the one entry point the CLI, UI and API use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import DEFAULTS, Config
from .errors import QueryError
from .filters import Filters
from .records import Hit
from .store import Index, check_model, load_index

METHODS = ("hybrid", "dense", "bm25")


def check_query(query: str, max_chars: int = DEFAULTS.max_query_chars) -> str:
    """The question, stripped; QueryError (with ``reason`` "empty" or "too_long") when it cannot
    be searched. Every interface calls this, before loading the model where it can."""
    if not isinstance(query, str) or not query.strip():
        raise QueryError("the question is empty; type a question in Arabic or English", "empty")
    if len(query) > max_chars:
        raise QueryError(f"the question is {len(query)} characters long; the limit is {max_chars}",
                         "too_long", length=len(query), limit=max_chars)
    return query.strip()


@dataclass(frozen=True)
class Ranking:
    """One retriever's candidates, best first."""

    ids: np.ndarray
    scores: np.ndarray


def rank_top(scores: np.ndarray, depth: int) -> Ranking:
    depth = min(depth, len(scores))
    if depth <= 0:
        return Ranking(np.zeros(0, np.int64), np.zeros(0, np.float32))
    top = np.argpartition(-scores, depth - 1)[:depth]
    top = top[np.argsort(-scores[top], kind="stable")]
    return Ranking(top, scores[top])


# Weight of the lexical match share against the cosine. Chosen on the two development sets
# (xquad_ar, tydiqa_goldp_ar) as the value whose worst set is best; see README "Retrieval quality".
MATCH_WEIGHT = 0.25


def fuse_scores(dense: Ranking, lexical: Ranking, match: np.ndarray, weight: float = MATCH_WEIGHT
                ) -> list[tuple[int, float]]:
    """Score fusion over the union of both candidate lists, best first.

    ``fused(p) = cosine(q, p) + weight * match(p)`` where ``match`` is the idf-weighted share of
    the question's terms that passage p contains (``LexicalIndex.match_share``, 0..1). Both
    terms are on absolute scales, so the lexical side moves a passage only as far as the
    question's words really are in it, and it overturns the dense order only when the dense
    margin is smaller than ``weight`` times the lexical margin. A passage outside the dense list
    takes the list's lowest cosine (its true cosine is at most that).
    """
    cos = dict(zip(dense.ids.tolist(), dense.scores.tolist(), strict=True))
    floor = float(dense.scores.min()) if len(dense.scores) else 0.0
    order = list(dict.fromkeys(dense.ids.tolist() + lexical.ids.tolist()))  # ties keep dense order
    fused = [(i, cos.get(i, floor) + weight * float(match[i])) for i in order]
    return sorted(fused, key=lambda kv: -kv[1])


class Searcher:
    """Answers questions against one loaded index with one embedder."""

    def __init__(self, index: Index, embedder, config: Config = DEFAULTS, *, match_weight: float = MATCH_WEIGHT):
        check_model(index.manifest, embedder, index.folder.parent)
        self.index = index
        self.embedder = embedder
        self.candidates = config.candidates
        self.match_weight = match_weight
        self.max_query_chars = config.max_query_chars

    def search(self, query: str, k: int = DEFAULTS.top_k, *, method: str = "hybrid",
               filters: Filters | None = None) -> list[Hit]:
        """Return the top ``k`` passages for ``query``.

        Args:
            method: "hybrid" (default), "dense" or "bm25".
            filters: only passages of the documents these admit (by id, outlet, date range).
        """
        if method not in METHODS:
            raise QueryError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        query = check_query(query, self.max_query_chars)
        if k < 1:
            raise QueryError("k must be at least 1")
        allowed = filters.allowed(self.index.documents) if filters else None
        keep = allowed.__contains__ if allowed is not None else None
        n = len(self.index.passages)
        # A filter needs deeper lists (its documents may rank low); all of a small index, and a
        # bounded depth for a large one, where an approximate index scans only part anyway.
        depth = min(n, max(self.candidates * 20, k)) if keep else max(self.candidates, k)
        per_method: dict[str, np.ndarray] = {}
        if method in ("hybrid", "dense"):
            qvec = self.embedder.embed_queries([query])[0]
            scores, ids = self.index.dense.search(qvec, depth)
            dense_scores = np.full(n, -1.0, np.float32)
            dense_scores[ids] = scores
            per_method["dense"] = dense_scores
            dense = Ranking(ids, scores)
        if method in ("hybrid", "bm25"):
            lex = self.index.lexical.scores(query)
            per_method["bm25"] = lex
            ranking = rank_top(lex, depth)
            nonzero = ranking.scores > 0
            lexical = Ranking(ranking.ids[nonzero], ranking.scores[nonzero])
        if method == "dense":
            ordered = list(zip(dense.ids.tolist(), dense.scores.tolist(), strict=True))
        elif method == "bm25":
            ordered = list(zip(lexical.ids.tolist(), lexical.scores.tolist(), strict=True))
        else:
            # An English question over Arabic text matches no term: match is all zeros and the
            # dense order stands unchanged.
            match = self.index.lexical.match_share(query)
            per_method["match"] = match
            ordered = fuse_scores(dense, lexical, match, self.match_weight)
        hits: list[Hit] = []
        for idx, score in ordered:
            passage = self.index.passages[idx]
            if keep and not keep(passage.doc_id):
                continue
            hits.append(Hit(rank=len(hits) + 1, score=score, passage=passage,
                            source=self.index.source(passage.doc_id),
                            scores={m: float(s[idx]) for m, s in per_method.items()}))
            if len(hits) == k:
                break
        return hits


def open_searcher(config: Config, embedder=None) -> Searcher:
    """A Searcher on ``config.index_dir``; the index is checked before the model is loaded."""
    index = load_index(config.index_dir)
    if embedder is None:
        from .embedding.embedder import make_embedder  # lazily: torch is heavy

        embedder = make_embedder(config)
    return Searcher(index, embedder, config)
