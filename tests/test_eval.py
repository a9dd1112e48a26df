"""The eval runner: question files, temporary index, metrics, and the embedding cache."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from assistant.embedding.cache import EmbeddingCache
from assistant.errors import SourceError
from assistant.evaluate import format_table, load_queries, run_eval

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"

CORPUS = [
    {"id": "d1", "title": "نهر النيل", "text": "نهر النيل أطول أنهار العالم، ويمر بمصر والسودان."},
    {"id": "d2", "title": "القاهرة", "text": "القاهرة عاصمة مصر وأكبر مدنها من حيث عدد السكان."},
    {"id": "d3", "title": "دمشق", "text": "دمشق عاصمة سوريا، وهي من أقدم المدن المأهولة في العالم."},
]
QUERIES = [
    {"id": "q1", "text": "ما هو أطول نهر في العالم؟", "answers": ["نهر النيل"], "gold_ids": ["d1"]},
    {"id": "q2", "text": "ما عاصمة سوريا؟", "answers": ["دمشق"], "gold_ids": ["d3"]},
    {"id": "q3", "text": "ما هي عاصمة مصر؟", "answers": ["القاهرة"], "gold_ids": ["d2"]},
]
# A set whose ranks follow from the texts, the same for every method, so the metrics are known:
#   q1 shares its words only with "bread": gold at rank 1.
#   q2 is the whole text of "bridge"; its gold "bridge-long" is that text plus a clause: rank 2
#      (BM25: both hold every term and the shorter wins; cosine: 1.0 for the exact text first).
#   q3's gold is not in the corpus: no rank.
RANKED_CORPUS = [
    {"id": "bread", "title": "الخبز", "text": "ارتفع سعر رغيف الخبز في حلب هذا الأسبوع."},
    {"id": "bridge", "title": "جسر", "text": "جسر القامشلي الجديد فوق نهر جغجغ."},
    {"id": "bridge-long", "title": "جسر", "text": "جسر القامشلي الجديد فوق نهر جغجغ بطول مئة وعشرين متراً."},
]
RANKED_QUERIES = [
    {"id": "q1", "text": "كم سعر رغيف الخبز في حلب؟", "answers": ["رغيف الخبز"], "gold_ids": ["bread"]},
    {"id": "q2", "text": "جسر القامشلي الجديد فوق نهر جغجغ.", "answers": ["مئة وعشرين"], "gold_ids": ["bridge-long"]},
    {"id": "q3", "text": "ما هي عاصمة اليابان؟", "answers": ["طوكيو"], "gold_ids": ["tokyo"]},
]


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def tiny_set(tmp_path):
    return _write_jsonl(tmp_path / "corpus.jsonl", CORPUS), _write_jsonl(tmp_path / "queries.jsonl", QUERIES)


def test_load_queries_reads_gold_and_answers(tiny_set):
    qs = load_queries(tiny_set[1])
    assert [q.qid for q in qs] == ["q1", "q2", "q3"]
    assert qs[1].gold_ids == frozenset({"d3"}) and qs[1].answers == ("دمشق",)


def test_load_queries_names_the_bad_line(tmp_path):
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"id": 1, "text": "x", "gold_ids": ["a"]}\n{"id": 2, "text": "y"}\n', "utf-8")
    with pytest.raises(SourceError, match=r"q\.jsonl:2"):
        load_queries(bad)


def test_run_eval_with_fake_embedder_scores_and_caches(fake_embedder, tmp_path):
    corpus = _write_jsonl(tmp_path / "corpus.jsonl", RANKED_CORPUS)
    queries = _write_jsonl(tmp_path / "queries.jsonl", RANKED_QUERIES)
    cache = EmbeddingCache.for_embedder(fake_embedder, tmp_path / "cache")
    run = run_eval("tiny", [corpus], load_queries(queries), fake_embedder, cache=cache, ks=(1, 2))
    assert (run.documents, run.passages, run.questions) == (3, 3, 3)
    # three passages, and the one sentence of "bread": the model read that passage with its headline
    # ("الخبز" before it, chunk.model_text), so its sentence needs a vector of its own
    assert run.embedded_texts == 4 and run.embedded_queries == 3
    # gold ranks 1, 2 and none: top-1 1/3, top-2 2/3, MRR (1 + 1/2 + 0)/3, nDCG (1 + 1/log2(3) + 0)/3;
    # the answer strings sit in the gold passages, so answer top-k follows the same ranks
    by_method = {m.method: m.scores for m in run.methods}
    assert set(by_method) == {"bm25", "dense", "hybrid"}
    for method, s in by_method.items():
        assert s.n == 3, method
        assert s.top == pytest.approx({1: 1 / 3, 2: 2 / 3}), method
        assert s.mrr == pytest.approx(0.5), method
        assert s.ndcg == pytest.approx((1 + 1 / math.log2(3)) / 3), method
        assert s.ndcg == pytest.approx(0.5436, abs=1e-4)
        assert s.answer_top == pytest.approx({1: 1 / 3, 2: 2 / 3}), method
    # a second run (new cache object, same folder) embeds nothing and scores the same
    again = run_eval("tiny", [corpus], load_queries(queries), fake_embedder,
                     cache=EmbeddingCache.for_embedder(fake_embedder, tmp_path / "cache"), ks=(1, 2))
    assert again.embedded_texts == 0 and again.embedded_queries == 0
    assert [m.scores for m in again.methods] == [m.scores for m in run.methods]
    row = "| tiny (3 docs, 3 passages, 3 q) | bm25 | 0.333 | 0.667 | 0.500 | 0.544 | 0.333 | 0.667 |"
    assert row in format_table([run])


def test_cache_files_are_plain_npy_and_json(fake_embedder, tmp_path):
    cache = EmbeddingCache.for_embedder(fake_embedder, tmp_path)
    vecs = cache.embed("documents", ["نص أول", "نص ثان"], fake_embedder.embed_documents)
    cache.save()
    folder = cache.folder
    assert folder.name == f"{fake_embedder.weights_hash}-fp32-{fake_embedder.dim}"
    meta = json.loads((folder / "documents.json").read_text())
    stored = np.load(folder / meta["file"], allow_pickle=False)
    assert stored.shape == (2, fake_embedder.dim) and len(meta["keys"]) == 2
    reopened = EmbeddingCache.for_embedder(fake_embedder, tmp_path)
    again = reopened.embed("documents", ["نص ثان"], lambda texts: pytest.fail("should be cached"))
    np.testing.assert_allclose(again[0], vecs[1])


def test_corrupt_cache_is_ignored_not_fatal(fake_embedder, tmp_path):
    folder = EmbeddingCache.for_embedder(fake_embedder, tmp_path).folder
    folder.mkdir()
    (folder / "queries.json").write_text("{not json", "utf-8")
    cache = EmbeddingCache.for_embedder(fake_embedder, tmp_path)
    assert cache.vectors("queries") == {}


def test_eval_cli_prints_table_and_writes_json(tiny_set, tmp_path, monkeypatch):
    from assistant.cli import cli

    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    corpus, queries = tiny_set
    out = tmp_path / "res.json"
    result = CliRunner().invoke(cli, ["eval", "--corpus", str(corpus), "--queries", str(queries),
                                      "--method", "bm25", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "| MRR@10 |" in result.output
    data = json.loads(out.read_text("utf-8"))
    run = data["retrieval"][0]
    assert run["methods"][0]["method"] == "bm25" and run["methods"][0]["mrr@10"] == 1.0 and data["evidence"] == []


def test_eval_cli_bad_queries_file_is_one_line(tiny_set, tmp_path, monkeypatch):
    from assistant.cli import cli

    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", "utf-8")
    result = CliRunner().invoke(cli, ["eval", "--corpus", str(tiny_set[0]), "--queries", str(bad)])
    assert result.exit_code == 1
    assert result.output.strip().startswith("error:") and len(result.output.strip().splitlines()) == 1


@pytest.mark.integration
def test_eval_real_model_on_an_xquad_slice(real_embedder, tmp_path):
    """30 XQuAD questions over their own documents plus distractors: sane metrics, then a cache hit."""
    xquad = SHARED / "eval" / "xquad_ar"
    if not xquad.is_dir():
        pytest.fail(f"eval data missing at {xquad}")
    queries = load_queries(xquad / "queries.jsonl")[:30]
    gold = {g for q in queries for g in q.gold_ids}
    rows = [json.loads(line) for line in (xquad / "corpus.jsonl").read_text("utf-8").splitlines()]
    keep = [r for r in rows if r["id"] in gold] + [r for r in rows if r["id"] not in gold][:4]
    corpus = _write_jsonl(tmp_path / "corpus.jsonl", keep)
    cache_dir = tmp_path / "cache"
    first = run_eval("slice", [corpus], queries, real_embedder,
                     cache=EmbeddingCache.for_embedder(real_embedder, cache_dir))
    assert first.embedded_texts > first.passages  # every passage, and the sentences of the longer ones
    assert first.embedded_queries == len({q.text for q in queries})  # XQuAD repeats a few questions
    scores = {m.method: m.scores for m in first.methods}
    assert scores["dense"].top[5] >= 0.8 and scores["hybrid"].top[5] >= 0.8
    second = run_eval("slice", [corpus], queries, real_embedder,
                      cache=EmbeddingCache.for_embedder(real_embedder, cache_dir))
    assert second.embedded_texts == 0 and second.embedded_queries == 0
    assert {m.method: m.scores for m in second.methods} == scores
