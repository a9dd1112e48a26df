"""Score fusion: hand-computed cases, the lexical match share, and the English-question property."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assistant.decode import sha256_text
from assistant.embedding.embedder import FakeEmbedder
from assistant.lexical import LexicalIndex
from assistant.records import Document, Source
from assistant.search import EVIDENCE_WEIGHT, MATCH_WEIGHT, SENTENCE_WEIGHT, Ranking, Searcher, fuse_scores
from assistant.store import build_index, load_index

TEXTS = [
    "أعلنت وزارة الصحة في دمشق عن افتتاح مستشفى جديد للأطفال.",
    "سجن غويران في الحسكة شهد هجوما لتنظيم داعش بسيارتين مفخختين.",
    "ارتفعت أسعار القمح في الأسواق العالمية هذا الشهر.",
    "قالت قوات سوريا الديمقراطية إن الهجوم على السجن أسفر عن قتلى.",
]


def test_fuse_scores_by_hand():
    dense = Ranking(np.array([0, 1]), np.array([0.60, 0.55], np.float32))
    lexical = Ranking(np.array([1, 2]), np.array([7.0, 3.0], np.float32))
    match = np.array([0.0, 0.5, 1.0], np.float32)
    fused = dict(fuse_scores(dense, lexical, match, weight=0.2))
    assert fused[0] == pytest.approx(0.60)  # no question term: cosine alone
    assert fused[1] == pytest.approx(0.55 + 0.2 * 0.5)  # 0.65: overtakes passage 0
    assert fused[2] == pytest.approx(0.55 + 0.2 * 1.0)  # outside the dense list: its lowest cosine
    assert [i for i, _ in fuse_scores(dense, lexical, match, weight=0.2)] == [2, 1, 0]


def test_a_large_dense_margin_survives_a_small_lexical_one():
    dense = Ranking(np.array([0, 1]), np.array([0.70, 0.50], np.float32))
    lexical = Ranking(np.array([1, 0]), np.array([9.0, 8.0], np.float32))
    match = np.array([0.6, 1.0], np.float32)  # lexical margin 0.4 * 0.25 = 0.1 < dense margin 0.2
    assert [i for i, _ in fuse_scores(dense, lexical, match, weight=0.25)] == [0, 1]


def test_zero_match_keeps_the_dense_order_exactly():
    dense = Ranking(np.array([3, 1, 2]), np.array([0.5, 0.5, 0.4], np.float32))  # a tie, too
    fused = fuse_scores(dense, Ranking(np.zeros(0, np.int64), np.zeros(0)), np.zeros(4), weight=1.0)
    assert [i for i, _ in fused] == [3, 1, 2]


def test_match_share_is_idf_weighted_and_bounded():
    lex = LexicalIndex.build(TEXTS)
    share = lex.match_share("هجوم داعش على سجن غويران")
    assert share.shape == (4,) and share.min() >= 0.0 and share.max() <= 1.0 + 1e-6
    assert share.argmax() == 1 and share[1] == pytest.approx(1.0)  # contains every term
    assert share[0] == 0.0 and share[2] == 0.0
    assert 0.0 < share[3] < share[1]  # some terms only (الهجوم, السجن)
    # idf weighting by hand: terms of "القمح الحسكة" each occur in one passage of four
    two = lex.match_share("القمح الحسكة")
    assert two[2] == pytest.approx(0.5) and two[1] == pytest.approx(0.5)
    # a term missing from the corpus counts against every passage with the top idf
    n = 4
    idf_once = math.log(1 + (n - 1 + 0.5) / 1.5)
    idf_missing = math.log(1 + (n + 0.5) / 0.5)
    assert lex.match_share("القمح زلزال")[2] == pytest.approx(idf_once / (idf_once + idf_missing), rel=1e-5)


def test_english_question_has_no_lexical_match():
    lex = LexicalIndex.build(TEXTS)
    assert not lex.match_share("How many car bombs were used in the prison attack?").any()
    assert not lex.match_share("و في من").any()  # stopwords only: nothing to match


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    docs = [Document(Source(doc_id=f"d{i}", path=f"d{i}.txt"), t, sha256_text(t), ((0, len(t)),))
            for i, t in enumerate(TEXTS)]
    folder = tmp_path_factory.mktemp("fusion-index")
    build_index(docs, FakeEmbedder(), folder)
    return Searcher(load_index(folder), FakeEmbedder())


def test_hybrid_equals_dense_for_english_questions(searcher):
    for q in ("prison attack car bombs", "Where did the attack happen?"):
        hybrid = searcher.search(q, 4)
        dense = searcher.search(q, 4, method="dense")
        assert [h.passage.passage_id for h in hybrid] == [h.passage.passage_id for h in dense]
        assert [h.score for h in hybrid] == pytest.approx([h.score for h in dense])


def test_hybrid_score_is_cosine_plus_weighted_match(searcher):
    """fused = (1 - s) * passage cosine + s * best sentence cosine + w * match + e * best sentence share."""
    hits = searcher.search("سيارتين مفخختين في سجن غويران", 4)
    assert hits[0].passage.doc_id == "d1"
    for h in hits:
        c = h.scores
        expected = ((1 - SENTENCE_WEIGHT) * c["dense"] + SENTENCE_WEIGHT * c["sentence"]
                    + MATCH_WEIGHT * c["match"] + EVIDENCE_WEIGHT * c["evidence"])
        assert h.score == pytest.approx(expected, abs=1e-6)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.integration
def test_english_questions_on_the_seeds_rank_as_dense_alone(seeds_searcher):
    """The real model on the real seeds: an English question gets no lexical term, so the default
    ranker returns exactly the dense ranking (no loss for cross-lingual questions)."""
    for q in ("How many car bombs were used in the attack on the prison?",
              "How many SDF fighters were killed?"):
        hybrid = seeds_searcher.search(q, 5)
        dense = seeds_searcher.search(q, 5, method="dense")
        assert [h.passage.passage_id for h in hybrid] == [h.passage.passage_id for h in dense]
        assert all(h.scores["match"] == 0.0 for h in hybrid)


def test_bm25_equals_bm25s_lucene():
    """Our postings-based BM25 gives bm25s's Lucene scores (the formula the index used before segments)."""
    import bm25s

    from assistant.normalize import analyze

    texts = [*TEXTS, "قتل جنود في الهجوم على السجن", "جرح مدنيون في الهجوم", "قتل مدنيون قتل جنود"]
    ours = LexicalIndex.build(texts)
    ref = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    ref.index([analyze(t) for t in texts], show_progress=False)
    for query in ("قتل جنود في الهجوم", "مستشفى الأطفال في دمشق", "أسعار القمح", "English words"):
        terms = [t for t in ours.query_terms(query) if t in ref.vocab_dict]
        want = np.asarray(ref.get_scores(terms), np.float32) if terms else np.zeros(len(texts), np.float32)
        np.testing.assert_array_equal(ours.scores(query), want)


def test_statistics_are_corpus_wide_across_parts_and_deletions():
    """Two parts, one with deleted rows, score the live rows exactly as one index of those rows."""
    from assistant.lexical import Postings, analyze_texts

    texts = [*TEXTS, "قتل جنود في الهجوم على السجن", "جرح مدنيون في الهجوم", "قتل مدنيون قتل جنود"]
    tokens = analyze_texts(texts, stem=True, stopwords=True)
    whole = LexicalIndex.build([t for i, t in enumerate(texts) if i != 4])
    positions = [np.arange(3), np.array([3, -1, 4, 5])]  # row 1 of the second part (text 4) deleted
    split = LexicalIndex([Postings.from_tokens(tokens[:3]), Postings.from_tokens(tokens[3:])], positions)
    merged = LexicalIndex([Postings.merge(split.parts, [np.arange(3), np.array([0, 2, 3])])])
    for query in ("قتل جنود في الهجوم", "سجن", "جرح مدنيون", "أسعار"):
        np.testing.assert_allclose(split.scores(query), whole.scores(query), rtol=1e-6)
        np.testing.assert_array_equal(merged.scores(query), whole.scores(query))
        np.testing.assert_allclose(split.match_share(query), whole.match_share(query), rtol=1e-6)
        assert split.term_weights(query) == whole.term_weights(query)
