"""The instant CLI: a running `serve` announces itself once its model is loaded, `search`/`ask` on
its index send the question there (the same output as answering locally), and without a server
they answer here and say how to get instant answers."""

from __future__ import annotations

import json
import queue
import shutil
import threading
import time

import pytest
from click.testing import CliRunner
from conftest import SEEDS

from assistant import remote
from assistant.access import Access
from assistant.cli import cli
from assistant.config import Config
from assistant.corpus import add_paths
from assistant.embedding.embedder import FakeEmbedder
from assistant.ui.server import free_port, serve


@pytest.fixture
def served(tmp_path, monkeypatch):
    """`serve` (fake model, loopback, no users) on a copy of the seeds; yields (index, cache, url)."""
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    shutil.copytree(SEEDS, tmp_path / "seeds")
    add_paths(tmp_path / "index", [tmp_path / "seeds"], FakeEmbedder)
    lines: queue.Queue[str] = queue.Queue()
    port, stop = free_port(), threading.Event()
    config = Config.from_env(index_dir=tmp_path / "index", query_graph=0)
    thread = threading.Thread(target=serve, args=(config, Access.for_server("127.0.0.1"), "127.0.0.1", port),
                              kwargs={"announce": lines.put, "stop": stop}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while "ready" not in lines.get(timeout=max(1, deadline - time.monotonic())):
        pass
    def stopped() -> bool:
        stop.set()
        thread.join(60)
        return not thread.is_alive()

    yield tmp_path / "index", tmp_path / "cache", f"http://127.0.0.1:{port}", stopped
    stopped()


def _run(args, **env):
    return CliRunner().invoke(cli, args, env=env)


def test_serve_announces_itself_once_ready_and_withdraws_when_it_stops(served):
    index, cache, url, stopped = served
    server = remote.find(cache, index)
    assert server is not None and server.url == url and not server.sign_in
    assert remote.find(cache, index.parent / "other-index") is None
    assert stopped() and remote.find(cache, index) is None
    assert not list((cache / "servers").iterdir())


def test_search_and_ask_go_to_the_server_with_the_same_output(served, monkeypatch):
    index, cache, _, _ = served
    args = ["--index", str(index)]
    here = {"ASSISTANT_REMOTE": "0"}  # the same as --local
    for command in (["search", "عدد القتلى في الهجوم", "-k", "3"], ["ask", "كم عدد القتلى؟"],
                    ["ask", "وماذا عن الجرحى؟", "--previous", "كم عدد القتلى؟", "--json"]):
        local = _run([*command, *args], **here)
        assert local.exit_code == 0, local.output
        monkeypatch.setattr(remote, "post", _counting(remote.post))
        sent = _run([*command, *args])
        assert sent.exit_code == 0, sent.output
        assert remote.post.calls == 1, command  # answered by the server
        assert sent.stdout == local.stdout, command
        assert "tip:" not in sent.stderr + local.stderr  # no tip when the server answered or --local


def test_without_a_server_the_cli_answers_here_and_says_how_to_be_instant(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    shutil.copytree(SEEDS, tmp_path / "seeds")
    add_paths(tmp_path / "index", [tmp_path / "seeds"], FakeEmbedder)
    result = _run(["search", "عدد القتلى", "--index", str(tmp_path / "index")], ASSISTANT_EMBEDDER="fake")
    assert result.exit_code == 0 and result.stdout.startswith("1. [")
    assert result.stderr.count("tip: keep `assistant serve") == 1


def test_a_stale_announcement_is_ignored(tmp_path):
    path = remote.announce(tmp_path, tmp_path / "index", "http://127.0.0.1:9", sign_in=False)
    rec = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**rec, "pid": 4194305}), encoding="utf-8")  # above Linux's pid_max: no such process
    assert remote.find(tmp_path, tmp_path / "index") is None


def _counting(post):
    def counted(*args, **kwargs):
        counted.calls += 1
        return post(*args, **kwargs)

    counted.calls = 0
    return counted
