"""The index on disk: a commit naming segments, plain files, atomic swaps, and load-time checks."""

import json

import numpy as np
import pytest
from conftest import SEEDS

from assistant.embedding.embedder import FakeEmbedder
from assistant.search import Searcher
from assistant.sources import read_documents
from assistant.store import IndexStateError, build_index, current_commit, load_index


@pytest.fixture
def built(tmp_path):
    index_dir = tmp_path / "index"
    build_index(read_documents([SEEDS]), FakeEmbedder(), index_dir, source_roots=["seeds"])
    return index_dir


def _manifest_path(index_dir):
    return current_commit(index_dir)


def _segment(index_dir):
    (entry,) = json.loads(current_commit(index_dir).read_text("utf-8"))["segments"]
    return index_dir / entry["name"]


def test_manifest_records_versions_model_and_documents(built):
    m = json.loads(_manifest_path(built).read_text("utf-8"))
    assert m["format_version"] == 2
    assert m["model"] == {"id": "fake-trigram", "weights_hash": "fake0001", "dim": 64}
    assert set(m["versions"]) == {"normalizer", "cleaner", "chunker", "sentences", "passage_input"}
    table = json.loads((_segment(built) / "segment.json").read_text("utf-8"))
    assert table["versions"] == m["versions"]
    assert m["counts"]["documents"] == 5 and m["counts"]["passages"] == sum(
        d["rows"][1] - d["rows"][0] for d in table["documents"].values())
    assert all(len(d["sha256"]) == 64 for d in table["documents"].values())


def test_index_files_are_plain_no_pickle(built):
    gen = _segment(built)
    names = {p.name for p in gen.rglob("*") if p.is_file()}
    assert {"segment.json", "passages.jsonl", "documents.jsonl", "dense.faiss", "vectors.npy", "rows.npy"} <= names
    assert not any(n.endswith((".pkl", ".pickle")) for n in names)
    np.load(gen / "vectors.npy", allow_pickle=False)  # raises if it needed pickle


def test_load_roundtrip_offsets(built):
    index = load_index(built)
    for p in index.passages:
        assert index.documents[p.doc_id].text[p.start:p.end] == p.text


def test_rebuild_swaps_generation_and_removes_old(built):
    first, first_seg = current_commit(built), _segment(built)
    build_index(read_documents([SEEDS]), FakeEmbedder(), built)
    second = current_commit(built)
    assert first != second and not first.exists() and not first_seg.exists() and load_index(built).passages


def test_failed_build_leaves_previous_index(built, monkeypatch):
    before = current_commit(built)

    class Boom(FakeEmbedder):
        def embed_documents(self, texts, *, show_progress=False):
            raise RuntimeError("crash while embedding")

    with pytest.raises(RuntimeError):
        build_index(read_documents([SEEDS]), Boom(), built)
    assert current_commit(built) == before and load_index(built).passages


def test_missing_index_names_build_command(tmp_path):
    with pytest.raises(IndexStateError, match="assistant build"):
        load_index(tmp_path / "nothing")


def test_stale_normaliser_version_is_refused(built):
    path = _manifest_path(built)
    m = json.loads(path.read_text("utf-8"))
    m["versions"]["normalizer"] = "ar-norm-0"
    path.write_text(json.dumps(m), "utf-8")
    with pytest.raises(IndexStateError, match=r"stale .*assistant rebuild --index"):
        load_index(built)


def test_corrupt_manifest_is_refused(built):
    _manifest_path(built).write_text("{not json", "utf-8")
    with pytest.raises(IndexStateError, match="corrupt.*assistant build"):
        load_index(built)


def test_truncated_faiss_file_is_refused(built):
    faiss_file = _segment(built) / "dense.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    with pytest.raises(IndexStateError, match="corrupt"):
        load_index(built)


def test_garbage_with_right_size_is_refused(built):
    passages = _segment(built) / "passages.jsonl"
    passages.write_bytes(b"x" * passages.stat().st_size)
    with pytest.raises(IndexStateError, match="corrupt"):
        load_index(built)


def test_index_from_another_model_is_refused(built):
    with pytest.raises(IndexStateError, match="built with model fake-trigram"):
        Searcher(load_index(built), FakeEmbedder(dim=32))


def test_the_suggested_rebuild_repairs_a_stale_index(built):
    from assistant.corpus import rebuild

    path = _manifest_path(built)
    m = json.loads(path.read_text("utf-8"))
    m["versions"]["chunker"] = "chunk-0"
    path.write_text(json.dumps(m), "utf-8")
    with pytest.raises(IndexStateError, match="assistant rebuild"):
        load_index(built)
    rebuild(built, FakeEmbedder)
    assert len(load_index(built).documents) == 5


def test_manifest_records_the_package_version(built):
    import assistant

    assert json.loads(_manifest_path(built).read_text("utf-8"))["assistant_version"] == assistant.__version__


def test_index_of_another_version_warns_once_and_loads(built, caplog):
    path = _manifest_path(built)
    m = json.loads(path.read_text("utf-8"))
    m["assistant_version"] = "0.0.1-test"
    path.write_text(json.dumps(m), "utf-8")  # the manifest is not in its own size list
    with caplog.at_level("WARNING", logger="assistant.manifest"):
        load_index(built)
        load_index(built)
    warnings = [r.getMessage() for r in caplog.records if "0.0.1-test" in r.getMessage()]
    assert len(warnings) == 1 and "assistant rebuild" in warnings[0]
    m["format_version"] = 99
    path.write_text(json.dumps(m), "utf-8")
    with pytest.raises(IndexStateError, match="has format 99"):
        load_index(built)
