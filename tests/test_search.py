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
