"""Hybrid search mechanics, with the fake embedder (the real model is in test_integration)."""

import numpy as np
import pytest
from conftest import SEEDS

from assistant.embedding.embedder import FakeEmbedder
from assistant.filters import Filters
from assistant.search import QueryError, Searcher, rank_top
from assistant.sources import read_documents
from assistant.store import build_index, load_index


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("idx")
    build_index(read_documents([SEEDS]), FakeEmbedder(), index_dir)
    return Searcher(load_index(index_dir), FakeEmbedder())


def test_rank_top_orders_and_truncates():
    r = rank_top(np.array([0.1, 0.9, 0.5, 0.7], np.float32), 3)
    assert r.ids.tolist() == [1, 3, 2]


def test_bm25_finds_the_car_bomb_passages(searcher):
    hits = searcher.search("سيارتين مفخختين", 3, method="bm25")
    assert hits and "سيارتين مفخختين" in hits[0].passage.text


def test_bm25_matches_despite_diacritics(searcher):
    plain = searcher.search("السجن", 5, method="bm25")
    marked = searcher.search("السِّجن", 5, method="bm25")
    assert [h.passage.passage_id for h in plain] == [h.passage.passage_id for h in marked]


def test_english_question_gets_no_lexical_weight(searcher):
    lexical = searcher.index.lexical
    assert not lexical.match_share("How many car bombs were used?").any()
    assert lexical.match_share("كم عدد السيارات المفخخة؟").max() > 0.4
    hybrid = searcher.search("How many car bombs were used?", 5)
    dense = searcher.search("How many car bombs were used?", 5, method="dense")
    assert [h.passage.passage_id for h in hybrid] == [h.passage.passage_id for h in dense]


def test_keep_filter_restricts_documents(searcher):
    doc = next(d for d in searcher.index.documents if d.startswith("003"))
    hits = searcher.search("داعش", 5, filters=Filters(doc_ids=frozenset({doc})))
    assert hits and all(h.source.doc_id.startswith("003") for h in hits)


def test_hits_carry_citations(searcher):
    (hit,) = searcher.search("مظلوم عبدي", 1)
    d = hit.to_dict()
    assert d["rank"] == 1 and d["source"]["path"].endswith(".txt")
    assert set(d) == {"rank", "score", "passage_id", "text", "start", "end", "source", "evidence", "also_in"}
    assert set(d["source"]) == {"doc_id", "path", "title", "outlet", "date", "url"}


@pytest.mark.parametrize("bad", ["", "   \n\t", "س" * 5000])
def test_bad_queries_raise_query_error(searcher, bad):
    with pytest.raises(QueryError):
        searcher.search(bad, 5)


def test_unknown_method(searcher):
    with pytest.raises(QueryError, match="unknown method"):
        searcher.search("داعش", 5, method="magic")


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting how many calls embed questions and how many questions each gets."""

    def __init__(self):
        super().__init__()
        self.calls: list[int] = []

    def embed_queries(self, texts):
        self.calls.append(len(texts))
        return super().embed_queries(texts)


QUESTIONS = ["كم عدد السيارات المفخخة؟", "متى بدأ الهجوم على السجن", "How many car bombs were used?",
             "ما عدد القتلى", "مظلوم عبدي", "داعش"]


def _ids(hits):
    return [(h.passage.passage_id, round(h.score, 6), h.evidence, [r.source.doc_id for r in h.also_in]) for h in hits]


@pytest.mark.parametrize("method", ["hybrid", "dense", "bm25"])
@pytest.mark.parametrize("filtered", [False, True])
def test_search_many_gives_the_same_hits_as_one_by_one(searcher, method, filtered):
    doc = next(d for d in searcher.index.documents if d.startswith("003"))
    filters = Filters(doc_ids=frozenset({doc})) if filtered else None
    counting = CountingEmbedder()
    batched = Searcher(searcher.index, counting)
    many = batched.search_many(QUESTIONS, 5, method=method, filters=filters)
    assert counting.calls == ([] if method == "bm25" else [len(QUESTIONS)])  # embedded together, once
    for question, hits in zip(QUESTIONS, many, strict=True):
        assert _ids(hits) == _ids(searcher.search(question, 5, method=method, filters=filters)), question


def test_search_many_checks_every_question_before_embedding(searcher):
    counting = CountingEmbedder()
    with pytest.raises(QueryError):
        Searcher(searcher.index, counting).search_many(["داعش", "  "], 5)
    assert counting.calls == []
    assert Searcher(searcher.index, counting).search_many([], 5) == []
