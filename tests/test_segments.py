"""Segments: an add writes only the new documents, a remove only a commit, merges fold segments,
and search gives the same results however the index happens to be segmented."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from conftest import SEEDS

from assistant.corpus import add_paths, remove_documents
from assistant.embedding.embedder import FakeEmbedder
from assistant.errors import IndexStateError
from assistant.evaluate import find_eval_dir
from assistant.search import Searcher
from assistant.sources import read_documents
from assistant.store import POINTER, build_index, load_index

EVAL = find_eval_dir()
SETS = ("xquad_ar", "tydiqa_goldp_ar")
NEW_TEXT = "أعلنت بلدية المدينة افتتاح جسر جديد فوق النهر بطول مئة وعشرين متراً."


def _files(index: Path) -> dict[str, int]:
    return {str(p.relative_to(index)): p.stat().st_mtime_ns for p in index.rglob("*") if p.is_file()}


@pytest.fixture
def index(tmp_path):
    idx = tmp_path / "index"
    add_paths(idx, [SEEDS], FakeEmbedder)
    return idx


def test_add_writes_one_segment_of_the_new_document_only(index, tmp_path):
    before = _files(index)
    (tmp_path / "bridge.txt").write_text(NEW_TEXT, "utf-8")
    report = add_paths(index, [tmp_path / "bridge.txt"], FakeEmbedder)
    assert report.added == ("bridge",) and report.embedded == 1  # one passage, one sentence: one vector
    after = _files(index)
    assert all(after.get(name) == mtime for name, mtime in before.items() if name.startswith("seg-"))
    new = {name.split("/")[0] for name in set(after) - set(before) if name.startswith("seg-")}
    (segment,) = new
    table = json.loads((index / segment / "segment.json").read_text("utf-8"))
    assert list(table["documents"]) == ["bridge"]
    assert len(load_index(index).manifest["segments"]) == 2


def test_remove_records_a_deletion_and_rewrites_no_segment(index):
    before = _files(index)
    doc_id = next(iter(load_index(index).documents))
    remove_documents(index, [doc_id])
    after = _files(index)
    assert {k: v for k, v in after.items() if k.startswith("seg-")} == \
        {k: v for k, v in before.items() if k.startswith("seg-")}
    loaded = load_index(index)
    assert loaded.manifest["segments"][0]["deleted"] == [doc_id]
    assert doc_id not in loaded.documents and all(p.doc_id != doc_id for p in loaded.passages)
    hits = Searcher(loaded, FakeEmbedder()).search("هجوم على السجن", 50)
    assert all(h.passage.doc_id != doc_id for h in hits)


def test_update_deletes_the_old_version_and_reuses_its_vectors(index, tmp_path):
    import shutil

    shutil.copytree(SEEDS, tmp_path / "docs")
    old = load_index(index)
    doc = SEEDS / f"{min(old.documents, key=lambda d: sum(x.doc_id == d for x in old.passages))}.txt"
    copy = tmp_path / "docs" / doc.name
    n_old = sum(p.doc_id == doc.stem for p in old.passages)
    index2 = tmp_path / "index2"
    add_paths(index2, [copy.parent], FakeEmbedder)  # its own origin, so it may be updated
    copy.write_text(doc.read_text("utf-8") + "\n\nفقرة جديدة أخرى مختلفة تماماً عن السابقة.", "utf-8")
    report = add_paths(index2, [copy.parent], FakeEmbedder)
    assert report.updated == (doc.stem,)
    assert 0 < report.embedded < n_old  # unchanged passages and sentences kept their vectors
    loaded = load_index(index2)
    assert loaded.manifest["segments"][0]["deleted"] == [doc.stem]
    assert "أخرى مختلفة" in loaded.documents[doc.stem].text


def test_optimize_folds_segments_and_drops_deleted_passages(index, tmp_path):
    from assistant.merge import optimize

    (tmp_path / "bridge.txt").write_text(NEW_TEXT, "utf-8")
    add_paths(index, [tmp_path / "bridge.txt"], FakeEmbedder)
    victim = next(iter(load_index(index).documents))
    remove_documents(index, [victim])
    before = load_index(index)
    counts = optimize(index)
    after = load_index(index)
    assert counts["merged"] == 2 and len(after.manifest["segments"]) == 1
    assert after.manifest["segments"][0]["deleted"] == []
    assert after.passages == before.passages and after.documents == before.documents
    assert [p.name for p in index.iterdir() if p.name.startswith("seg-")] == [after.manifest["segments"][0]["name"]]
    assert optimize(index)["merged"] == 0


def test_merge_policy():
    from assistant.merge import plan

    assert plan([(1000, 1000)] + [(100, 100)] * 9) == []
    assert plan([(1000, 1000)] + [(100, 100)] * 10) == list(range(1, 11))  # one tier full
    assert plan([(1000, 1000), (60, 100)]) == [1]  # 40% deleted: purged
    assert plan([(10 ** (i % 7), 10 ** (i % 7)) for i in range(21)], factor=100) != []  # over the cap


def test_format1_index_is_refused_with_the_rebuild_command(tmp_path):
    from assistant.chunk import chunk_document
    from assistant.corpus import rebuild

    index = tmp_path / "old"
    gen = index / "gen-20250101T000000-abcdef"
    gen.mkdir(parents=True)
    docs = read_documents([SEEDS])
    rows = [{**d.source.to_dict(), "sha256": d.sha256, "spans": d.spans, "text": d.text} for d in docs]
    (gen / "documents.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    passages = [p for d in docs for p in chunk_document(d)]
    (gen / "passages.jsonl").write_text("".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n"
                                                for p in passages), "utf-8")
    np.save(gen / "vectors.npy", FakeEmbedder().embed_documents([p.text for p in passages]))
    model = {"id": "fake-trigram", "weights_hash": "fake0001", "dim": 64}
    (gen / "manifest.json").write_text(json.dumps({"format": "arabic-assistant-index", "format_version": 1,
                                                   "model": model, "source_roots": [], "examples": ["سؤال؟"]}),
                                       "utf-8")
    (index / POINTER).write_text(gen.name + "\n")
    with pytest.raises(IndexStateError, match=r"^index in .* has format 1 .*assistant rebuild --index") as err:
        load_index(index)
    assert "\n" not in str(err.value)
    asked: list[str] = []

    class Recording(FakeEmbedder):
        def embed_documents(self, texts, *, show_progress=False):
            asked.extend(texts)
            return super().embed_documents(texts)

    rebuild(index, Recording)
    loaded = load_index(index)
    assert len(loaded.documents) == len(docs) and loaded.manifest["examples"] == ["سؤال؟"]
    assert not gen.exists()
    assert asked and not {p.text for p in passages} & set(asked)  # the passages' vectors were kept


def test_stale_or_corrupt_segment_names_the_fix(index, tmp_path):
    (tmp_path / "bridge.txt").write_text(NEW_TEXT, "utf-8")
    add_paths(index, [tmp_path / "bridge.txt"], FakeEmbedder)
    segment = index / load_index(index).manifest["segments"][1]["name"]
    table_file = segment / "segment.json"
    table = json.loads(table_file.read_text("utf-8"))
    table["versions"]["chunker"] = "chunk-0"
    table_file.write_text(json.dumps(table), "utf-8")
    with pytest.raises(IndexStateError, match=rf"stale segment {segment.name} .*assistant rebuild --index"):
        load_index(index)
    (segment / "vectors.npy").write_bytes(b"x")
    with pytest.raises(IndexStateError, match=rf"corrupt \({segment.name}/vectors.npy .*assistant build"):
        load_index(index)
    (segment / "segment.json").unlink()
    with pytest.raises(IndexStateError, match=rf"corrupt \({segment.name}/segment.json"):
        load_index(index)


def test_live_searcher_reuses_loaded_segments(index, tmp_path):
    from assistant.live import LiveSearcher

    live = LiveSearcher(index, FakeEmbedder())
    first = live.current().index
    (tmp_path / "bridge.txt").write_text(NEW_TEXT, "utf-8")
    add_paths(index, [tmp_path / "bridge.txt"], FakeEmbedder)
    second = live.current().index
    assert second is not first and "bridge" in second.documents
    old_name = first.manifest["segments"][0]["name"]
    assert second.segments[old_name] is first.segments[old_name]  # not read again


# ---------------------------------------------------------------- equivalence on the pooled eval corpus


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def _pooled_rows() -> list[dict]:
    return [json.loads(line) for s in SETS for line in (EVAL / s / "corpus.jsonl").read_text("utf-8").splitlines()
            if line.strip()]


def _questions() -> list[str]:
    return [json.loads(line)["text"] for s in SETS
            for line in (EVAL / s / "queries.jsonl").read_text("utf-8").splitlines() if line.strip()]


def _top10(searcher, questions, method="hybrid"):
    return [[(h.passage.passage_id, round(h.score, 4)) for h in searcher.search(q, 10, method=method)]
            for q in questions]


def segmented_and_whole(tmp_path: Path, embedder_factory, adds: int = 20):
    """The pooled corpus added in ``adds`` batches, a few documents removed and some re-added;
    and the same final collection built in one go. Returns (segmented dir, whole dir)."""
    rows = _pooled_rows()
    random.Random(5).shuffle(rows)
    batches = [rows[i::adds] for i in range(adds)]
    seg = tmp_path / "segmented"
    files = tmp_path / "files"
    files.mkdir()
    for i, batch in enumerate(batches):
        add_paths(seg, [_write_jsonl(files / f"batch{i:02d}.jsonl", batch)], embedder_factory)
        if i == 12:  # removals in the middle: from merged and unmerged segments
            remove_documents(seg, [r["id"] for r in rows[:10]])
    remove_documents(seg, [r["id"] for r in rows[10:14]])
    readd = rows[:5]  # five of the removed come back, in a file of their own
    add_paths(seg, [_write_jsonl(files / "readd.jsonl", readd)], embedder_factory)
    final = [r for r in rows if r not in rows[5:14]]
    whole = tmp_path / "whole"
    build_index(read_documents([_write_jsonl(files / "all.jsonl", final)]), embedder_factory(), whole)
    return seg, whole


def test_twenty_adds_and_removes_search_like_one_build(tmp_path):
    from assistant.merge import optimize

    seg, whole = segmented_and_whole(tmp_path, FakeEmbedder)
    a, b = load_index(seg), load_index(whole)
    assert len(a.manifest["segments"]) > 1 and any(s["deleted"] for s in a.manifest["segments"])
    assert [p.passage_id for p in a.passages] == [p.passage_id for p in b.passages]  # rows in document-id order
    np.testing.assert_array_equal(a.sentences.spans, b.sentences.spans)
    for i in range(0, len(a.passages), 7):
        sa, sb = a.sentences, b.sentences
        np.testing.assert_array_equal(sa.vectors[sa.ptr[i]:sa.ptr[i + 1]], sb.vectors[sb.ptr[i]:sb.ptr[i + 1]])
    questions = _questions()
    ref = {m: _top10(Searcher(b, FakeEmbedder()), questions, m) for m in ("hybrid", "bm25", "dense")}
    for m in ("hybrid", "bm25", "dense"):
        assert _top10(Searcher(a, FakeEmbedder()), questions, m) == ref[m], m
    optimize(seg)
    merged = load_index(seg)
    assert len(merged.manifest["segments"]) == 1
    assert _top10(Searcher(merged, FakeEmbedder()), questions) == ref["hybrid"]


@pytest.mark.integration
def test_twenty_adds_search_like_one_build_with_the_real_model(tmp_path, real_embedder):
    """The same with EmbeddingGemma, its document vectors from the embedding cache `make eval` fills."""
    from assistant.embedding.cache import CachedQueryEmbedder, EmbeddingCache

    cache = EmbeddingCache.for_embedder(real_embedder)
    cached = CachedQueryEmbedder(real_embedder, cache)
    seg, whole = segmented_and_whole(tmp_path, lambda: cached)
    cache.save()
    questions = _questions()
    a, b = Searcher(load_index(seg), cached), Searcher(load_index(whole), cached)
    assert _top10(a, questions) == _top10(b, questions)


def test_bm25_candidates_and_match_share_come_from_the_question_postings_alone():
    """What search reads of BM25 without touching every row: the rows ``scored`` returns are exactly
    those with a score, ``top_rows`` picks the best as a full sort would (ties by row, as the
    segmented index needs), and ``match_share`` equals the share computed over every row."""
    from assistant.lexical import LexicalIndex, Postings, analyze_texts, top_rows

    texts = ["سقط المطر على المدينة", "المطر غزير", "المطر غزير", "سوق المدينة القديمة", "لا شيء هنا",
             "المطر غزير", "غزير المطر في المدينة القديمة"]
    tokens = analyze_texts(texts, stem=True, stopwords=True)
    # two segments, one with a deleted row, rows placed out of order as load_index places them
    parts = [Postings.from_tokens(tokens[:4]), Postings.from_tokens(tokens[4:])]
    positions = [np.array([5, 2, -1, 3]), np.array([1, 0, 4])]
    lex = LexicalIndex(parts, positions)
    for query in ("المطر الغزير في المدينة", "المدينة القديمة", "كلمة غائبة"):
        scores, rows = lex.scored(query)
        assert sorted(rows.tolist()) == np.flatnonzero(scores).tolist()
        for depth in (1, 2, 3, 10):
            ids, vals = top_rows(rows, scores[rows], depth)
            want = [r for r in np.lexsort((np.arange(len(scores)), -scores)) if scores[r] > 0][:depth]
            assert ids.tolist() == want and vals.tolist() == scores[want].tolist()
        weights = lex.term_weights(query)
        held = [set(t) for t in analyze_texts(texts, stem=True, stopwords=True)]
        row_text = {int(p): held[i] for i, p in enumerate(np.concatenate(positions)) if p >= 0}
        total = sum(weights.values())
        want = np.array([sum(w for t, w in weights.items() if t in row_text[r]) for r in range(lex.size)],
                        np.float32) / total
        np.testing.assert_allclose(lex.match_share(query, weights), want, rtol=1e-6)
