"""Evidence first: each ranking signal, the evidence span, reprints as one hit, and evidence@k.

Unit tests use the fake embedder; the floor on seeds_qa uses the real model."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, SHARED

import assistant.search as search_module
from assistant.decode import make_document
from assistant.embedding.embedder import FakeEmbedder
from assistant.evaluate import EvidenceQuery, evidence_rank, load_evidence_queries, run_evidence
from assistant.evidence import sentence_shares
from assistant.records import Source
from assistant.search import Searcher
from assistant.store import build_index, load_index

QUESTION = "كم عدد الجسور التي دمرها الفيضان في المدينة؟"
# "answer": one sentence states the answer in the question's words, between two unrelated ones.
# "topic": every sentence is about the flood and the question's words are all there, but scattered;
# as a whole it is closer to the question (the base ranker puts it first).
ANSWER = ("تحدث سكان الحي القديم عن ليلة طويلة من الانتظار تحت المطر الغزير وانقطاع الكهرباء عن البيوت. "
          "دمر الفيضان في المدينة ثلاثة جسور، وهو عدد الجسور كلها. "
          "وافتتحت المدارس أبوابها صباح الأحد أمام التلاميذ بعد عطلة طويلة قضوها في الريف مع عائلاتهم.")
TOPIC = ("غمر الفيضان شوارع المدينة وأحياءها المنخفضة بعد أمطار الفيضان في المدينة. "
         "وقالت البلدية إن عدد المتضررين من الفيضان في المدينة كبير. "
         "وأغلقت الشرطة الجسور القديمة في المدينة احتياطاً من الفيضان. "
         "ودمر السيل بعض الحقول خارج المدينة، والفيضان مستمر.")


def _index(tmp_path, texts: dict[str, str], meta: dict[str, dict] | None = None):
    docs = [make_document(Source(doc_id=d, path=f"{d}.txt", title="", **(meta or {}).get(d, {})), t)
            for d, t in texts.items()]
    folder = tmp_path / "index"
    build_index(docs, FakeEmbedder(), folder)
    return Searcher(load_index(folder), FakeEmbedder())


def test_sentence_shares_weigh_rare_words_and_line_up_with_sentences():
    from assistant.chunk import split_sentences
    from assistant.normalize import analyze

    weights = {t: 1.0 for t in analyze(QUESTION)}
    weights[analyze("الجسور")[0]] = 3.0  # a rare word counts more than the common ones
    total = sum(weights.values())
    shares = sentence_shares(ANSWER, 0, len(ANSWER), weights)
    assert [(a, b) for a, b, _ in shares] == split_sentences(ANSWER, 0, len(ANSWER))  # same cuts as the vectors
    assert ANSWER[shares[1][0]:shares[1][1]].startswith("دمر الفيضان")
    assert [s for _, _, s in shares] == [0.0, pytest.approx(1.0), 0.0]
    topic = sentence_shares(TOPIC, 0, len(TOPIC), weights)
    third = TOPIC[topic[2][0]:topic[2][1]]  # the bridges, the flood and the city, without "how many"/"destroyed"
    assert third.startswith("وأغلقت") and topic[2][2] == pytest.approx(5.0 / total)
    assert max(s for _, _, s in topic) < 1.0
    assert all(s == 0.0 for _, _, s in sentence_shares(ANSWER, 0, len(ANSWER), {}))


def test_the_sentence_that_answers_lifts_its_passage(tmp_path, monkeypatch):
    searcher = _index(tmp_path, {"answer": ANSWER, "topic": TOPIC})
    hits = searcher.search(QUESTION, 2)
    assert [h.source.doc_id for h in hits] == ["answer", "topic"]
    assert hits[0].scores["sentence"] > hits[1].scores["sentence"]
    # the signal is what decides: without the best sentence and its share, the topical passage wins
    monkeypatch.setattr(search_module, "SENTENCE_WEIGHT", 0.0)
    monkeypatch.setattr(search_module, "EVIDENCE_WEIGHT", 0.0)
    assert searcher.search(QUESTION, 1)[0].source.doc_id == "topic"


def test_evidence_is_the_answering_sentence_with_exact_offsets(tmp_path):
    searcher = _index(tmp_path, {"answer": ANSWER, "topic": TOPIC})
    hit = searcher.search(QUESTION, 1)[0]
    a, b = hit.evidence
    text = searcher.index.documents["answer"].text
    assert text[a:b] == "دمر الفيضان في المدينة ثلاثة جسور، وهو عدد الجسور كلها."
    assert hit.passage.start <= a < b <= hit.passage.end
    assert hit.to_dict()["evidence"] == {"start": a, "end": b}
    bm25 = {h.source.doc_id: h for h in searcher.search(QUESTION, 2, method="bm25")}  # lexical evidence alone
    assert bm25["answer"].evidence == (a, b)


def test_reprints_are_one_hit_with_their_own_offsets(tmp_path):
    statement = ("وقالت البلدية في بيان إن الفيضان دمر ثلاثة جسور في المدينة وأغرق مئات المنازل، "
                 "وإن فرق الإنقاذ أجلت أكثر من ألفي شخص إلى مراكز إيواء مؤقتة في الضواحي الشمالية.")
    texts = {"outlet-a": statement, "outlet-b": "نقلت الوكالة عن البلدية: " + statement.replace("،", ""),
             "outlet-c": "قال شهود إن المياه ارتفعت أكثر من مترين في السوق القديم."}
    searcher = _index(tmp_path, texts)
    hits = searcher.search("ماذا قالت البلدية عن الجسور والمنازل؟", 3)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    docs = [h.source.doc_id for h in hits]
    assert len(docs) == 2 and "outlet-c" in docs
    first = hits[docs.index("outlet-a") if "outlet-a" in docs else docs.index("outlet-b")]
    (other,) = first.also_in
    assert other.source.doc_id in {"outlet-a", "outlet-b"} - {first.source.doc_id}
    original = texts[other.source.doc_id]
    assert (other.start, other.end) == (0, len(original))
    unfolded = searcher.search("ماذا قالت البلدية عن الجسور والمنازل؟", 3, fold=False)
    assert sorted(h.source.doc_id for h in unfolded) == ["outlet-a", "outlet-b", "outlet-c"]


def test_cli_json_carries_evidence_and_also_in(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "answer.txt").write_text(ANSWER, "utf-8")
    (folder / "topic.txt").write_text(TOPIC, "utf-8")
    env = {**os.environ, "ASSISTANT_EMBEDDER": "fake", "ASSISTANT_INDEX_DIR": str(tmp_path / "index")}
    run = [sys.executable, "-m", "assistant"]
    subprocess.run([*run, "build", "--source", str(folder)], check=True, env=env, cwd=ROOT, capture_output=True)
    out = subprocess.run([*run, "search", QUESTION, "--json", "-k", "1"], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    hit = json.loads(out)["results"][0]
    original = (folder / hit["source"]["path"]).read_text("utf-8")
    ev = hit["evidence"]
    assert original[ev["start"]:ev["end"]].startswith("دمر الفيضان") and hit["also_in"] == []
    text = subprocess.run([*run, "search", QUESTION, "-k", "1"], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout
    assert "»دمر الفيضان" in text and f"evidence [{ev['start']}:{ev['end']}]" in text


def test_evidence_rank_counts_a_reprint_in_a_source_file(tmp_path):
    statement = ("وقالت البلدية في بيان إن الفيضان دمر ثلاثة جسور في المدينة وأغرق مئات المنازل، "
                 "وإن فرق الإنقاذ أجلت أكثر من ألفي شخص إلى مراكز إيواء مؤقتة في الضواحي الشمالية.")
    searcher = _index(tmp_path, {"a": statement, "b": statement + " انتهى."})
    hits = searcher.search("كم جسرا دمر الفيضان؟", 5)
    assert len(hits) == 1  # b folded into a (or a into b)
    reprinted = "b.txt" if hits[0].source.doc_id == "a" else "a.txt"
    q = EvidenceQuery("q", "كم جسرا دمر الفيضان؟", "ar", ("ثلاثة جسور",), frozenset({reprinted}))
    assert evidence_rank(searcher, hits, q) == 1
    wrong = EvidenceQuery("q", "كم جسرا دمر الفيضان؟", "ar", ("خمسة جسور",), frozenset({reprinted}))
    assert evidence_rank(searcher, hits, wrong) is None


def test_run_evidence_scores_languages_apart_and_counts_declines(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "answer.txt").write_text(ANSWER, "utf-8")
    (folder / "topic.txt").write_text(TOPIC, "utf-8")
    queries = tmp_path / "queries.jsonl"
    rows = [{"id": "1", "text": QUESTION, "lang": "ar", "answers": ["ثلاثة جسور"], "sources": ["answer.txt"]},
            {"id": "2", "text": "How many bridges did the flood destroy?", "lang": "en",
             "answers": ["ثلاثة جسور"], "sources": ["answer.txt"]},
            {"id": "3", "text": "ما اسم رئيس البلدية؟", "lang": "ar", "answers": [], "sources": []}]
    queries.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    result = run_evidence("tiny", [folder], load_evidence_queries(queries), FakeEmbedder())
    assert result.counts["ar"] == (1, {1: 1, 5: 1})
    assert result.counts["en"][0] == 1 and result.unanswerable == 1
    assert result.to_dict()["by_lang"]["ar"] == {"questions": 1, "evidence@1": 1, "evidence@5": 1}


@pytest.mark.integration
def test_seeds_qa_evidence_floor(real_embedder, tmp_path):
    """evidence@1 on seeds_qa, every question asked (none dropped): a floor 0.03 under the level this
    work reached (0.925 for 49/53 with passages read with their headline; 0.906 before that, 0.849
    before the refinements, 0.792 before the signals), so a later change cannot silently undo it."""
    queries = load_evidence_queries(SHARED / "eval" / "seeds_qa" / "queries.jsonl")
    from assistant.embedding.cache import EmbeddingCache

    cache = EmbeddingCache.for_embedder(real_embedder, tmp_path / "cache")  # not the user's cache
    result = run_evidence("seeds_qa", [SHARED / "seeds"], queries, real_embedder, cache=cache)
    assert sum(n for n, _ in result.counts.values()) == 53
    assert result.rate(1) >= 0.925 - 0.03 and result.rate(5) >= 1.0 - 0.03
    assert result.counts["en"][1][1] >= 6


def test_an_index_without_sentence_vectors_is_refused_with_the_rebuild_command(tmp_path):
    searcher = _index(tmp_path, {"answer": ANSWER})
    commit = searcher.index.folder  # the commit file; the index folder is its parent
    manifest = json.loads(commit.read_text("utf-8"))
    del manifest["versions"]["sentences"]  # as an index written before sentence vectors
    commit.write_text(json.dumps(manifest), "utf-8")
    from assistant.errors import IndexStateError

    with pytest.raises(IndexStateError, match="assistant rebuild"):
        load_index(commit.parent)
    segment = commit.parent / manifest["segments"][0]["name"]
    np.save(segment / "sentences.npy", np.zeros((1, 3), np.float16))  # corrupt: wrong size
    manifest["versions"]["sentences"] = "sent-1"
    commit.write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(IndexStateError, match="corrupt"):
        load_index(commit.parent)


def test_an_index_built_without_sentence_vectors_still_finds_lexical_evidence(tmp_path):
    from assistant.store import BuildSettings

    docs = [make_document(Source(doc_id=d, path=f"{d}.txt"), t) for d, t in (("answer", ANSWER), ("topic", TOPIC))]
    build_index(docs, FakeEmbedder(), tmp_path / "index", settings=BuildSettings(sentence_vectors=False))
    index = load_index(tmp_path / "index")
    assert index.sentences is None and not (index.folder / "sentences.npy").exists()
    hit = {h.source.doc_id: h for h in Searcher(index, FakeEmbedder()).search(QUESTION, 2)}["answer"]
    assert "sentence" not in hit.scores and hit.scores["evidence"] == pytest.approx(1.0)
    assert index.documents["answer"].text[hit.evidence[0]:hit.evidence[1]].startswith("دمر الفيضان")


def test_evidence_off_restores_the_fusion_ranking(tmp_path):
    from dataclasses import replace

    from assistant.config import DEFAULTS

    searcher = _index(tmp_path, {"answer": ANSWER, "topic": TOPIC})
    old = Searcher(searcher.index, FakeEmbedder(), replace(DEFAULTS, evidence=0))
    hits = old.search(QUESTION, 2)
    assert [h.source.doc_id for h in hits] == ["topic", "answer"] and all(h.evidence is None for h in hits)
    assert all(h.score == pytest.approx(h.scores["dense"] + 0.25 * h.scores["match"]) for h in hits)
