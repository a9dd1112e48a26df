"""Ready means ready: `serve` says "serving on" only once the port answers, the page answers
while the model loads ("loading the model…", questions refused with a 503 that says so), and
search works once it has loaded."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
import time

import httpx
import pytest
from conftest import ROOT, SEEDS

from assistant.access import Access
from assistant.config import Config
from assistant.corpus import add_paths
from assistant.embedding import embedder as embedding
from assistant.ui.server import answers, free_port, serve


def _wait_for(predicate, seconds: float = 120, step: float = 0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out")


def test_page_answers_while_the_model_loads_then_search_works(tmp_path, monkeypatch):
    shutil.copytree(SEEDS, tmp_path / "seeds")
    add_paths(tmp_path / "index", [tmp_path / "seeds"], embedding.FakeEmbedder)
    release = threading.Event()

    def slow_model(config):  # the model "loads" until the test lets it
        release.wait(120)
        return embedding.FakeEmbedder()

    monkeypatch.setattr(embedding, "make_embedder", slow_model)
    lines: queue.Queue[str] = queue.Queue()
    port, stop = free_port(), threading.Event()
    config = Config(index_dir=tmp_path / "index", query_graph=0)
    thread = threading.Thread(target=serve, args=(config, Access.for_server("127.0.0.1"), "127.0.0.1", port),
                              kwargs={"announce": lines.put, "stop": stop}, daemon=True)
    thread.start()
    try:
        assert lines.get(timeout=60).startswith(f"serving on http://127.0.0.1:{port}")
        assert answers("127.0.0.1", port)  # the moment it is said, the port answers
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(base + "/").status_code == 200
        config_json = _wait_for(lambda: (r := httpx.get(base + "/config")).status_code == 200 and r.text)
        assert "loading the model" in config_json  # the UI is up, saying the model is loading
        r = httpx.post(base + "/api/v1/search", json={"query": "هجوم"})
        assert r.status_code == 503 and "still loading" in r.json()["error"]
        release.set()
        assert lines.get(timeout=60) == "model loaded: search and ask are ready"
        r = httpx.post(base + "/api/v1/search", json={"query": "هجوم", "k": 2})
        assert r.status_code == 200 and len(r.json()["results"]) == 2
    finally:
        release.set()
        stop.set()
        thread.join(20)


def test_a_model_that_cannot_load_is_reported_not_loading_for_ever(tmp_path, monkeypatch):
    from assistant.errors import ModelError, NotReadyError
    from assistant.ui.service import UIService

    shutil.copytree(SEEDS, tmp_path / "seeds")
    add_paths(tmp_path / "index", [tmp_path / "seeds"], embedding.FakeEmbedder)

    def broken(config):
        raise ModelError("model files damaged; run: assistant model")

    monkeypatch.setattr(embedding, "make_embedder", broken)
    service = UIService(Config(index_dir=tmp_path / "index"), background=True)
    assert "loading the model" in service.status()
    service.start_loading()
    _wait_for(lambda: service.load_error, 30)
    assert "model files damaged" in service.status() and not service.ready
    with pytest.raises(NotReadyError, match="could not be loaded"):
        service.current()
    assert service.sources()  # the sources stay readable


@pytest.mark.integration
def test_serve_command_with_the_real_model(seeds_index, tmp_path):
    """The real command, the real model: the page and the API answer before the model is loaded."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ASSISTANT_QUERY_GRAPH": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--index", str(seeds_index),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=tmp_path)
    try:
        started = time.monotonic()
        line = proc.stdout.readline()
        assert line.startswith(f"serving on http://127.0.0.1:{port}"), line
        base = f"http://127.0.0.1:{port}"
        page = httpx.get(base + "/")
        print(f"page answered {time.monotonic() - started:.1f}s after the process started")
        assert page.status_code == 200
        r = httpx.post(base + "/api/v1/search", json={"query": "متى بدأ الهجوم؟"}, timeout=30)
        assert r.status_code == 503, "the model cannot have loaded this fast"
        for line in proc.stdout:
            if line.startswith("model loaded"):
                break
        r = httpx.post(base + "/api/v1/search", json={"query": "متى بدأ الهجوم على السجن؟", "k": 3}, timeout=60)
        assert r.status_code == 200 and len(r.json()["results"]) == 3
    finally:
        proc.terminate()
        proc.wait(30)
