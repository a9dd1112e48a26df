"""Retrieval metrics against values computed by hand."""

from __future__ import annotations

import math

import pytest

from assistant.metrics import (
    answer_hit_at,
    contains_answer,
    dedupe_docs,
    hit_at,
    ndcg,
    reciprocal_rank,
    score_run,
)


def test_dedupe_keeps_the_rank_of_each_documents_best_passage():
    assert dedupe_docs(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]


@pytest.mark.parametrize("k, expected", [(1, 0.0), (2, 0.0), (3, 1.0), (20, 1.0)])
def test_top_k_accuracy(k, expected):
    assert hit_at(["x", "y", "g", "z"], {"g"}, k) == expected


def test_top_k_miss_when_gold_absent():
    assert hit_at(["x", "y"], {"g"}, 20) == 0.0


def test_reciprocal_rank_and_its_cutoff():
    assert reciprocal_rank(["x", "g"], {"g"}) == 0.5
    assert reciprocal_rank(["g"], {"g"}) == 1.0
    ranked = [f"d{i}" for i in range(10)] + ["g"]  # gold at rank 11
    assert reciprocal_rank(ranked, {"g"}) == 0.0
    assert reciprocal_rank(ranked, {"g"}, cutoff=11) == pytest.approx(1 / 11)
    # the first relevant document counts, not the best-ranked of several
    assert reciprocal_rank(["x", "x2", "g2", "g1"], {"g1", "g2"}) == pytest.approx(1 / 3)


def test_ndcg_single_gold():
    # relevant at rank 3: DCG = 1/log2(4) = 0.5; ideal = 1/log2(2) = 1
    assert ndcg(["x", "y", "g"], {"g"}) == pytest.approx(0.5)
    assert ndcg(["g", "x"], {"g"}) == pytest.approx(1.0)
    assert ndcg(["x"] * 10 + ["g"], {"g"}) == 0.0


def test_ndcg_two_golds():
    # relevant at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3)
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg(["x", "a", "y", "b"], {"a", "b"}) == pytest.approx(expected)
    assert expected == pytest.approx(0.6509, abs=1e-4)  # (0.6309 + 0.4307) / 1.6309


def test_answer_match_after_arabic_normalisation():
    passage = "وُلِدَ في مدينةِ الإسكندرية عام ١٩٢٠."
    assert contains_answer(passage, ["الاسكندريه"])  # hamza, ta marbuta and diacritics folded
    assert contains_answer(passage, ["1920"])  # Arabic-Indic digits
    assert not contains_answer(passage, ["القاهرة"])
    assert not contains_answer(passage, [""])  # an empty answer never matches


def test_answer_hit_at_k_uses_the_first_k_passages():
    texts = ["لا شيء هنا", "العاصمة هي القاهرة"]
    assert answer_hit_at(texts, ["القاهرة"], 1) == 0.0
    assert answer_hit_at(texts, ["القاهرة"], 2) == 1.0


def test_score_run_averages_over_questions():
    rankings = [["g1", "x"], ["x", "y", "g2"], ["x", "y"]]
    golds = [{"g1"}, {"g2"}, {"g3"}]
    texts = [["ans"], ["no", "ans"], ["no"]]
    answers = [["ans"], ["ans"], ["ans"]]
    s = score_run(rankings, golds, texts, answers, ks=(1, 5))
    assert s.n == 3
    assert s.top == {1: pytest.approx(1 / 3), 5: pytest.approx(2 / 3)}
    assert s.mrr == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert s.ndcg == pytest.approx((1 + 0.5 + 0) / 3)
    assert s.answer_top == {1: pytest.approx(1 / 3), 5: pytest.approx(2 / 3)}
    assert s.to_dict()["mrr@10"] == pytest.approx(s.mrr)
