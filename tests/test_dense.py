"""The dense index: exact for small collections, IVF-SQ8 beyond the threshold, recorded in the manifest."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import dense
from assistant.dense import DenseIndex, default_nprobe, index_spec, ivf_lists


def _clustered(n: int, dim: int = 32, centres: int = 50, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centres, dim))
    v = c[rng.integers(0, centres, n)] + 0.3 * rng.normal(size=(n, dim))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_index_type_follows_collection_size():
    assert index_spec(31) == "Flat"
    assert index_spec(dense.FLAT_MAX) == "Flat"
    assert index_spec(dense.FLAT_MAX + 1).startswith("IVF") and index_spec(dense.FLAT_MAX + 1).endswith(",SQ8")
    assert ivf_lists(1_000_000) == 2048
    assert ivf_lists(10) == 16
    assert default_nprobe(2048) == 32 and default_nprobe(16) == 16


def test_small_collection_is_exact():
    vecs = _clustered(200)
    index = DenseIndex.build(vecs)
    assert index.describe() == {"type": "flat-ip", "vectors": 200}
    scores, ids = index.search(vecs[17], 5)
    exact = np.argsort(-(vecs @ vecs[17]))[:5]
    assert ids.tolist() == exact.tolist()
    assert scores[0] == pytest.approx(1.0, abs=1e-5)


def test_large_collection_gets_ivf_sq8_with_good_recall(tmp_path):
    vecs = _clustered(4000)
    index = DenseIndex.build(vecs, flat_max=1000)
    info = index.describe()
    assert info["type"] == "ivf-sq8" and info["nlist"] == ivf_lists(4000)
    assert info["nprobe"] == default_nprobe(info["nlist"]) and info["vectors"] == 4000
    queries = _clustered(50, seed=1)
    _, got = index.search_many(queries, 10)
    exact = np.argsort(-(queries @ vecs.T), axis=1)[:, :10]
    recall = np.mean([len(set(g) & set(e)) / 10 for g, e in zip(got.tolist(), exact.tolist(), strict=True)])
    assert recall >= 0.9
    index.save(tmp_path / "d.faiss")
    again = DenseIndex.load(tmp_path / "d.faiss")
    assert again.describe() == info  # nprobe survives the round trip
    again.set_nprobe(10_000)
    assert again.describe()["nprobe"] == info["nlist"]


def test_empty_and_short_results():
    index = DenseIndex.build(np.zeros((0, 8), np.float32))
    assert index.size == 0
    scores, ids = index.search(np.ones(8, np.float32), 5)
    assert len(scores) == len(ids) == 0


def test_manifest_records_the_index_type(tmp_path, fake_embedder, monkeypatch):
    from assistant.decode import make_document
    from assistant.records import Source
    from assistant.search import Searcher
    from assistant.store import build_index, load_index

    words = ["سجن", "الحسكة", "هجوم", "داعش", "قسد", "سيارة", "مفخخة", "فرار", "سجناء", "التحالف"]
    rng = np.random.default_rng(3)
    docs = [make_document(Source(doc_id=f"d{i}", path=f"d{i}.txt", title="", outlet="", date="", url=""),
                          " ".join(rng.choice(words, 12)) + f" رقم {i}.") for i in range(120)]
    build_index(docs, fake_embedder, tmp_path / "small")
    assert load_index(tmp_path / "small").dense.describe()["segments"][0]["type"] == "flat-ip"
    monkeypatch.setattr(dense, "FLAT_MAX", 50)
    build_index(docs, fake_embedder, tmp_path / "big")
    index = load_index(tmp_path / "big")
    assert index.dense.describe()["segments"][0]["type"] == "ivf-sq8"
    hits = Searcher(index, fake_embedder).search(docs[5].text, 3, method="dense")
    assert hits and hits[0].passage.doc_id == "d5"
