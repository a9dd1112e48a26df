"""The command line, run as a user would (fake embedder, so no model is loaded)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, SEEDS


def run(*args, index=None, ok=True, extra_env=None):
    env = {**os.environ, "ASSISTANT_EMBEDDER": "fake", **(extra_env or {})}
    if index is not None:
        env["ASSISTANT_INDEX_DIR"] = str(index)
    proc = subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    assert (proc.returncode == 0) == ok, proc.stderr
    return proc


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("cli") / "index"
    proc = run("build", "--source", str(SEEDS), "--index", str(index_dir))
    assert "5 documents" in proc.stdout
    return index_dir


@pytest.mark.parametrize("command", ["build", "search", "check", "model"])
def test_help_shows_an_example(command):
    assert "Example" in run(command, "--help").stdout


def test_search_prints_rank_score_text_and_citation(index):
    out = run("search", "مظلوم عبدي", "-k", "2", index=index).stdout
    assert out.startswith("1. [") and "004_d2567ad61da955ee.txt [" in out and "2. [" in out


def test_search_json_single_question(index):
    row = json.loads(run("search", "سجن غويران", "--json", "-k", "3", index=index).stdout)
    assert row["query"] == "سجن غويران" and row["id"] is None and len(row["results"]) == 3
    r = row["results"][0]
    original = (SEEDS / r["source"]["path"]).read_text("utf-8")
    assert original[r["start"]:r["end"]] == r["text"]


def test_batch_requires_json_and_valid_lines(index, tmp_path):
    batch = tmp_path / "b.jsonl"
    batch.write_text('{"id": "a", "text": "داعش"}\n{"oops": 1}\n', encoding="utf-8")
    assert "add --json" in run("search", "--batch", str(batch), index=index, ok=False).stderr
    err = run("search", "--batch", str(batch), "--json", index=index, ok=False).stderr
    assert "b.jsonl:2" in err


@pytest.mark.parametrize(("args", "message"), [
    (("search", ""), "empty"),
    (("search", "س" * 10000), "limit"),
    (("search",), "give either"),
    (("build", "--source", "/no/such/folder"), "no such file"),
])
def test_user_errors_are_one_line(index, args, message):
    err = run(*args, index=index, ok=False).stderr
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_index_error_names_the_command(tmp_path):
    missing = tmp_path / "none"
    err = run("search", "داعش", index=missing, ok=False).stderr
    assert err.strip() == f"error: no index in {missing}; build it with: assistant build --index {missing}"


def test_bad_config_value_is_one_line(index):
    err = run("search", "داعش", index=index, ok=False, extra_env={"ASSISTANT_TOP_K": "many"}).stderr
    assert "ASSISTANT_TOP_K" in err and len(err.strip().splitlines()) == 1
