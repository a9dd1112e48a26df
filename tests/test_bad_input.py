"""Bad input gets one line and loses nothing: invalid text, an --index that is a file, a read-only
or full disk, a bad k over the API, a batch whose lines are all bad (checked before the model)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, SEEDS

from assistant.errors import IndexStateError, QueryError
from assistant.search import check_query

NO_MODEL = {"ASSISTANT_EMBEDDER": "gemma", "ASSISTANT_MODEL_PATH": "/no/such/model"}  # loading it would fail


def run(*args, env=None):
    env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, env=env, cwd=ROOT)


def one_line(proc) -> str:
    err = proc.stderr.decode("utf-8", "replace").strip()
    assert proc.returncode != 0 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_invalid_text_in_a_question_is_refused_in_one_line(tmp_path):
    with pytest.raises(QueryError) as exc:
        check_query("كم عدد \udcff القتلى؟")
    assert exc.value.reason == "unencodable"
    # bytes that are not UTF-8 on the command line arrive as lone surrogates
    proc = subprocess.run([sys.executable, "-m", "assistant", "search", b"\xff\xfe \xd8\xb3"],
                          capture_output=True, env={**os.environ, **NO_MODEL}, cwd=ROOT)
    assert "not valid text" in one_line(proc)  # and before the model (which would fail differently)


def test_index_that_is_a_file_is_named_before_the_model_loads(tmp_path):
    a_file = tmp_path / "index.txt"
    a_file.write_text("not a folder", "utf-8")
    err = one_line(run("build", "--source", str(SEEDS), "--index", str(a_file), env=NO_MODEL))
    assert err == f"error: {a_file} is a file, not an index folder; give --index a folder"


@pytest.fixture
def index(tmp_path):
    from assistant.corpus import add_paths
    from assistant.embedding.embedder import FakeEmbedder

    add_paths(tmp_path / "index", [SEEDS], FakeEmbedder)
    return tmp_path / "index"


def _snapshot(index_dir):
    from assistant.store import load_index

    loaded = load_index(index_dir)
    return loaded.folder.name, [p.passage_id for p in loaded.passages]


def test_read_only_index_is_one_line_and_untouched(index, tmp_path, monkeypatch):
    """Root ignores file modes here, so the refusal is injected where the OS would raise it."""
    import assistant.lock as lock
    from assistant.corpus import add_paths, remove_documents
    from assistant.embedding.embedder import FakeEmbedder

    before = _snapshot(index)
    real_touch = type(tmp_path).touch

    def refuse(path, *args, **kwargs):
        if path.parent == index:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_touch(path, *args, **kwargs)

    monkeypatch.setattr(type(tmp_path), "touch", refuse)
    new = tmp_path / "new.txt"
    new.write_text("خبر جديد عن افتتاح جسر في المدينة.", "utf-8")
    changes = (lambda: add_paths(index, [new], FakeEmbedder), lambda: remove_documents(index, ["001_913eb68b16421ab7"]))
    for change in changes:
        with pytest.raises(IndexStateError, match=r"cannot write to .* \(Permission denied\); use a folder"):
            change()
    assert _snapshot(index) == before and lock._held == {}


def test_full_disk_during_add_keeps_the_previous_index(index, tmp_path, monkeypatch):
    import assistant.store as store
    from assistant.corpus import add_paths
    from assistant.embedding.embedder import FakeEmbedder

    before = _snapshot(index)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.np, "save", full)
    new = tmp_path / "new.txt"
    new.write_text("خبر جديد عن افتتاح جسر في المدينة.", "utf-8")
    with pytest.raises(IndexStateError) as exc:
        add_paths(index, [new], FakeEmbedder)
    assert "No space left on device" in str(exc.value) and "previous index is unchanged" in str(exc.value)
    monkeypatch.undo()
    assert _snapshot(index) == before
    assert not [p for p in index.iterdir() if p.name.startswith(".tmp-")]  # no half-written generation left


def test_api_bad_k_and_invalid_text_get_error_json(index):
    from assistant.config import Config
    from assistant.embedding.embedder import FakeEmbedder
    from assistant.ui.service import UIService

    service = UIService(Config(index_dir=index, uploads=0), embedder=FakeEmbedder())
    out = service.search_api("سجن غويران", "abc")
    assert out["results"] == [] and "k must be a whole number" in out["error"]
    assert "k must be a whole number" in service.ask_api("سجن غويران", "abc")["error"]
    bad = service.search_api("سجن \udcff غويران")
    assert bad["error"] and json.dumps(bad, ensure_ascii=False).encode("utf-8")  # sendable as JSON
    assert "\udcff" not in bad["query"]


def test_batch_of_bad_lines_never_loads_the_model(index, tmp_path):
    batch = tmp_path / "bad.jsonl"
    batch.write_text('not json\n{"id": 7, "text": "   "}\n', "utf-8")
    proc = run("search", "--batch", str(batch), "--json", "--index", str(index), env=NO_MODEL)
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [r["id"] for r in rows] == [1, 7] and all("error" in r for r in rows)
    assert one_line(proc).startswith("error: 2 of 2 lines")  # not the model's error: it never loaded
