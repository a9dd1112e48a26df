"""Hybrid search: dense and BM25 rankings, fused; the one entry point the CLI, UI and API use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .asked_source import attribution_words, headline_hold, question_source, sentence_hold, source_words
from .config import DEFAULTS, Config
from .dense import RowScores
from .errors import QueryError
from .evidence import sentence_shares
from .filters import Filters
from .focus import NO_FOCUS, Focus, question_focus, sentence_focus
from .lexical import top_rows
from .records import Hit
from .reprints import fold_hits
from .store import Index, check_model, load_index

METHODS = ("hybrid", "dense", "bm25")


def check_query(query: str, max_chars: int = DEFAULTS.max_query_chars) -> str:
    """The question, stripped; QueryError (with ``reason`` "empty", "too_long" or "unencodable") when
    it cannot be searched. Every interface calls this, before loading the model where it can."""
    if not isinstance(query, str) or not query.strip():
        raise QueryError("the question is empty; type a question in Arabic or English", "empty")
    if len(query) > max_chars:
        raise QueryError(f"the question is {len(query)} characters long; the limit is {max_chars}",
                         "too_long", length=len(query), limit=max_chars)
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: bytes that were not text, or a broken paste
        raise QueryError("the question holds characters that are not valid text; type or paste it again",
                         "unencodable") from None
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
# Evidence first (README "Evidence first"): the top candidates are re-scored by their best sentence.
# Chosen on the development sets (xquad_ar, tydiqa_goldp_ar, seeds_qa and its distractor run):
# every set is at least as good as without it.
SENTENCE_WEIGHT = 0.75  # share of a passage's cosine taken from its best sentence
EVIDENCE_WEIGHT = 0.1  # weight of the best sentence's idf-weighted share of the question's terms
RERANK_DEPTH = 30  # candidates re-scored per question
# The question's focus and named source (README "Evidence first"), chosen on the same sets: seeds_qa
# and its distractor run gain, the pooled Wikipedia run stays within 0.003 of its MRR@10.
FOCUS_WEIGHT = 0.12  # a sentence holding what the question asks for: its noun, a figure beside it (focus.py)
SOURCE_WEIGHT = 0.15  # the passage gives the account of the source the question names (asked_source.py)


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
        self.evidence = bool(config.evidence)
        self.match_weight = match_weight
        self.max_query_chars = config.max_query_chars

    def search(self, query: str, k: int = DEFAULTS.top_k, *, method: str = "hybrid",
               filters: Filters | None = None, fold: bool = True) -> list[Hit]:
        """Return the top ``k`` passages for ``query``.

        Args:
            method: "hybrid" (default), "dense" or "bm25".
            filters: only passages of the documents these admit (by id, outlet, date range).
            fold: a passage reprinted near-verbatim by other documents is one hit, the others
                listed in its ``also_in`` (``reprints.fold_hits``); False keeps every passage
                (the answer module folds sentences itself).

        Each hit carries its ``evidence``: the sentence that answers best (``_refine``).
        """
        return self.search_many([query], k, method=method, filters=filters, fold=fold)[0]

    def search_many(self, queries: list[str], k: int = DEFAULTS.top_k, *, method: str = "hybrid",
                    filters: Filters | None = None, fold: bool = True) -> list[list[Hit]]:
        """``search`` for each of ``queries``, the same hits, with the questions embedded together
        (in the embedder's batches) and the dense index searched once for all of them: what
        ``--batch``, the eval and the server's micro-batcher use. Every question is checked first;
        one that cannot be searched raises QueryError before anything is embedded."""
        if method not in METHODS:
            raise QueryError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        queries = [check_query(q, self.max_query_chars) for q in queries]
        if k < 1:
            raise QueryError("k must be at least 1")
        allowed = filters.allowed(self.index.documents) if filters else None
        keep = allowed.__contains__ if allowed is not None else None
        # A filter needs deeper lists (its documents may rank low); all of a small index, and a
        # bounded depth for a large one, where an approximate index scans only part anyway.
        depth = min(len(self.index.passages), max(self.candidates * 20, k)) if keep else max(self.candidates, k)
        if method == "bm25" or not queries:
            return [self._rank(q, None, None, k, method, keep, depth, fold) for q in queries]
        qvecs = self.embedder.embed_queries(queries)
        scores, ids = self.index.dense.search_many(qvecs, depth)
        return [self._rank(q, qvec, Ranking(i[i >= 0], s[i >= 0]), k, method, keep, depth, fold)
                for q, qvec, s, i in zip(queries, qvecs, scores, ids, strict=True)]

    def _rank(self, query: str, qvec: np.ndarray | None, dense: Ranking | None, k: int, method: str,
              keep, depth: int, fold: bool) -> list[Hit]:
        """One question's hits, from its vector and dense candidates (None for BM25 alone)."""
        per_method: dict[str, np.ndarray | RowScores] = {}  # no pass over every row per question
        if dense is not None:
            per_method["dense"] = RowScores(dense.ids, dense.scores, -1.0)
        if method in ("hybrid", "bm25"):
            lex, rows = self.index.lexical.scored(query)
            per_method["bm25"] = lex
            lexical = Ranking(*top_rows(rows, lex[rows], depth))
        if method == "dense":
            ordered = list(zip(dense.ids.tolist(), dense.scores.tolist(), strict=True))
        elif method == "bm25":
            ordered = list(zip(lexical.ids.tolist(), lexical.scores.tolist(), strict=True))
        weights = self.index.lexical.term_weights(query) if method != "dense" else {}
        if method == "hybrid" and (said := attribution_words(query)):
            # "بحسب رواية" says whose account (the source signal reads it), not what about: a passage
            # holding "حسب" or "رواية" is no closer to the answer
            said_terms = set(self.index.lexical.query_terms(" ".join(said)))
            weights = {t: w for t, w in weights.items() if t not in said_terms}
        if method == "hybrid":
            # An English question over Arabic text matches no term: match is all zeros and the
            # dense order stands unchanged.
            match = self.index.lexical.match_share(query, weights)
            per_method["match"] = match
            ordered = fuse_scores(dense, lexical, match, self.match_weight)
            if named := source_words(query):
                # The named source finds its passages (match) and is credited by the source signal;
                # which sentence answers is about what is asked: a sentence naming the source says no more
                named_terms = set(self.index.lexical.query_terms(" ".join(named)))
                weights = {t: w for t, w in weights.items() if t not in named_terms} or weights
        if keep:
            ordered = [(i, sc) for i, sc in ordered if keep(self.index.passages[i].doc_id)]
        if not self.evidence:
            weights = {}
        evidence: dict[int, tuple[int, int]] = {}
        signals: dict[int, dict[str, float]] = {}
        if method != "bm25" and self.evidence:
            # the focus and the named source are word signals, as the share: for the hybrid ranking of a
            # question whose words the collection has (an English question over Arabic text ranks as dense)
            worded = method == "hybrid" and len(lexical.ids) > 0
            ordered, evidence, signals = self._refine(qvec, ordered, per_method["dense"], dense.ids, weights,
                                                      per_method.get("match"),
                                                      question_focus(query) if worded else NO_FOCUS,
                                                      question_source(query) if worded else ())
        hits: list[Hit] = []
        for idx, score in ordered:
            passage = self.index.passages[idx]
            span = evidence.get(idx) or (self._best_share(passage, weights) if weights and len(hits) < k else None)
            hits.append(Hit(rank=len(hits) + 1, score=score, passage=passage,
                            source=self.index.source(passage.doc_id),
                            scores={**{m: float(s[idx]) for m, s in per_method.items()}, **signals.get(idx, {})},
                            evidence=span))
            if len(hits) == (k + RERANK_DEPTH if fold else k):  # reprints of the top k are among these
                break
        return fold_hits(hits, k) if fold else hits

    def _refine(self, qvec: np.ndarray, ordered: list[tuple[int, float]], dense_scores: np.ndarray,
                dense_ids: np.ndarray, weights: dict[str, float], match: np.ndarray | None,
                focus: Focus = NO_FOCUS, source: tuple[frozenset[str], ...] = ()
                ) -> tuple[list[tuple[int, float]], dict[int, tuple[int, int]], dict[int, dict[str, float]]]:
        """Re-score the first ``RERANK_DEPTH`` candidates by their best sentence: the cosine becomes
        ``(1 - SENTENCE_WEIGHT) * passage + SENTENCE_WEIGHT * best sentence`` (the sentence alone for
        a passage the dense list did not reach), plus, with ``match``, the lexical match and
        ``EVIDENCE_WEIGHT`` × the best sentence's share of the question's terms, ``FOCUS_WEIGHT`` × how
        far its best sentence holds the question's focus (``focus.py``) and ``SOURCE_WEIGHT`` × how far
        it gives the account of the source the question names (``asked_source.py``). The rest keep
        their order after them. Returns the new order, each re-scored passage's evidence sentence, and
        its signals ("sentence": best sentence cosine, "evidence": best sentence share, "focus",
        "source") for ``Hit.scores``."""
        sentences, passages = self.index.sentences, self.index.passages
        in_dense = set(dense_ids.tolist())
        rescored, evidence, signals = [], {}, {}
        for idx, fused in ordered[:RERANK_DEPTH]:
            p = passages[idx]
            shares = sentence_shares(self.index.documents[p.doc_id].text, p.start, p.end, weights,
                                     stem=self.index.lexical.stem, stopwords=self.index.lexical.stopwords)
            a, b = (int(sentences.ptr[idx]), int(sentences.ptr[idx + 1])) if sentences is not None else (0, 0)
            if not shares or (sentences is not None and b - a != len(shares)):
                rescored.append((idx, fused))  # nothing to refine with (or an index from other settings)
                continue
            share = np.array([x[2] for x in shares], np.float32)
            lexical = self.match_weight * float(match[idx]) if match is not None else 0.0
            signals[idx] = {"evidence": float(share.max())}
            if sentences is not None:
                cos = sentences.vectors[a:b].astype(np.float32) @ qvec
                signals[idx]["sentence"] = best = float(cos.max())
                passage_cos = (1 - SENTENCE_WEIGHT) * float(dense_scores[idx]) + SENTENCE_WEIGHT * best \
                    if idx in in_dense else best
            else:  # an index built without sentence vectors: the share of the question alone
                cos, passage_cos = np.zeros(len(shares), np.float32), fused - lexical
            score = passage_cos
            if match is not None:
                score += lexical + EVIDENCE_WEIGHT * float(share.max())
            held = self._focus_held(focus, p, shares)
            if focus:
                signals[idx]["focus"] = float(held.max())
                score += FOCUS_WEIGHT * float(held.max())
            if source:
                signals[idx]["source"] = hold = self._source_held(source, p, shares)
                score += SOURCE_WEIGHT * hold
            j = int(np.argmax(SENTENCE_WEIGHT * cos + EVIDENCE_WEIGHT * share + FOCUS_WEIGHT * held))
            rescored.append((idx, score))
            evidence[idx] = (shares[j][0], shares[j][1])
        rescored.sort(key=lambda kv: -kv[1])
        return rescored + ordered[RERANK_DEPTH:], evidence, signals

    def _focus_held(self, focus: Focus, passage, shares: list[tuple[int, int, float]]) -> np.ndarray:
        """Per sentence of ``passage``, how far it holds the question's focus (``focus.sentence_focus``)."""
        if not focus:
            return np.zeros(len(shares), np.float32)
        text = self.index.documents[passage.doc_id].text
        return np.array([sentence_focus(focus, text[a:b]) for a, b, _ in shares], np.float32)

    def _source_held(self, source: tuple[frozenset[str], ...], passage, shares: list[tuple[int, int, float]]
                     ) -> float:
        """How far ``passage`` gives the named source's account: in its document's headline and outlet,
        or in one of its sentences that reports speech (``asked_source``)."""
        text = self.index.documents[passage.doc_id].text
        origin = self.index.source(passage.doc_id)
        return max([headline_hold(source, f"{origin.title} {origin.outlet}")]
                   + [sentence_hold(source, text[a:b]) for a, b, _ in shares])

    def _best_share(self, passage, weights: dict[str, float]) -> tuple[int, int] | None:
        """The sentence holding most of the question's terms (lexical evidence), or None."""
        shares = sentence_shares(self.index.documents[passage.doc_id].text, passage.start, passage.end, weights,
                                 stem=self.index.lexical.stem, stopwords=self.index.lexical.stopwords)
        best = max(shares, key=lambda x: x[2], default=None)
        return (best[0], best[1]) if best and best[2] > 0 else None


def open_searcher(config: Config, embedder=None) -> Searcher:
    """A Searcher on ``config.index_dir``; the index is checked before the model is loaded."""
    index = load_index(config.index_dir)
    if embedder is None:
        from .embedding.embedder import make_embedder  # lazily: torch is heavy

        embedder = make_embedder(config)
    return Searcher(index, embedder, config)
