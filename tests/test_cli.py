"""The command line, run as a user would (fake embedder, so no model is loaded)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from conftest import ROOT, SEEDS
from test_formats import make_pdf

from assistant.cli import cli


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


# Every command's --help ends with an "Example:" block of `assistant ...` lines. All of them must
# parse; those that are cheap and touch nothing outside the working folder also run, with the fake
# embedder, from a temporary copy of the layout the examples assume: the repository root (seeds/,
# index/, reports/, article.pdf, questions.jsonl) with ../shared/eval beside it. The others load the
# model, fetch it, compile it, or serve until stopped, or read a password from standard input
# (`user`, run by tests/test_access.py): those are only parsed.
PARSE_ONLY = {"serve", "compile", "model", "eval", "eval-suite", "eval-answers", "user"}


def help_examples(help_text: str) -> list[list[str]]:
    """The example commands of a --help text, each split like a shell would (lines ending in \\ joined)."""
    lines = help_text.splitlines()
    heads = [i for i, line in enumerate(lines) if line.strip() in ("Example:", "Examples:")]
    assert len(heads) == 1, f"expected one Example block in:\n{help_text}"
    examples, pending = [], ""
    for line in lines[heads[0] + 1:]:
        if not line.strip():
            break
        pending += line.strip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        if pending.startswith("assistant "):
            examples.append(shlex.split(pending))
        pending = ""
    assert examples, f"no `assistant ...` line in the Example block of:\n{help_text}"
    return examples


@pytest.fixture(scope="module")
def example_tree(tmp_path_factory):
    """repo/ (seeds, a fake-embedder index, files the examples name) and shared/eval beside it."""
    tree = tmp_path_factory.mktemp("examples")
    repo = tree / "repo"
    shutil.copytree(SEEDS, repo / "seeds")
    (repo / "reports").mkdir()
    (repo / "reports" / "bridge.txt").write_text("افتتحت بلدية القامشلي جسراً جديداً فوق نهر جغجغ.", "utf-8")
    make_pdf(repo / "article.pdf", ["قال المرصد السوري إن الهجوم على سجن الصناعة انتهى."])
    (repo / "questions.jsonl").write_text('{"id": "q1", "text": "كم عدد القتلى؟"}\n', "utf-8")
    xquad = tree / "shared" / "eval" / "xquad_ar"
    xquad.mkdir(parents=True)
    (xquad / "corpus.jsonl").write_text('{"id": "d1", "title": "ن", "text": "نص"}\n', "utf-8")
    (xquad / "queries.jsonl").write_text('{"id": "q1", "text": "نص؟", "gold_ids": ["d1"]}\n', "utf-8")
    proc = run("build", "--source", str(repo / "seeds"), "--index", str(repo / "index"))
    assert "5 documents" in proc.stdout
    return tree


@pytest.fixture
def example_repo(example_tree, tmp_path, monkeypatch):
    """A fresh copy of the tree per command (add, remove, rebuild change it); cwd is its repo/."""
    tree = tmp_path / "tree"
    shutil.copytree(example_tree, tree)
    monkeypatch.chdir(tree / "repo")
    monkeypatch.delenv("ASSISTANT_INDEX_DIR")  # examples without --index use the default, ./index
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    return tree / "repo"


@pytest.mark.parametrize("name", [None, *sorted(cli.commands)])
def test_help_examples_parse_and_run(name, example_repo):
    """`assistant --help` and every command's --help: each example parses against the command it
    names, and the cheap local ones run and succeed."""
    args = [name, "--help"] if name else ["--help"]
    shown = CliRunner().invoke(cli, args)
    assert shown.exit_code == 0, shown.output
    for argv in help_examples(shown.stdout):
        assert argv[0] == "assistant" and argv[1] == (name or argv[1]) and argv[1] in cli.commands, argv
        command = cli.commands[argv[1]]
        try:
            command.make_context(argv[1], argv[2:])
        except click.ClickException as exc:
            pytest.fail(f"`{shlex.join(argv)}` does not parse: {exc.format_message()}")
        if argv[1] in PARSE_ONLY:
            continue
        result = CliRunner().invoke(cli, argv[1:])
        assert result.exit_code == 0, f"`{shlex.join(argv)}` failed:\n{result.output}"
        assert result.stdout.strip() and not {"error:", "skipped:", "duplicate:"} & set(result.stderr.split())


def test_search_prints_rank_score_text_and_citation(index):
    out = run("search", "مظلوم عبدي", "-k", "2", index=index).stdout
    assert out.startswith("1. [") and "004_d2567ad61da955ee.txt [" in out and "2. [" in out


def test_search_json_single_question(index):
    row = json.loads(run("search", "سجن غويران", "--json", "-k", "3", index=index).stdout)
    assert row["query"] == "سجن غويران" and row["id"] is None and len(row["results"]) == 3
    r = row["results"][0]
    original = (SEEDS / r["source"]["path"]).read_text("utf-8")
    assert original[r["start"]:r["end"]] == r["text"]


def test_batch_answers_good_lines_and_reports_bad_ones(index, tmp_path):
    batch = tmp_path / "b.jsonl"
    batch.write_text('{"id": "a", "text": "داعش"}\n{"oops": 1}\n{"id": "c", "text": ""}\n'
                     '{"id": "d", "text": "سجن غويران"}\n', encoding="utf-8")
    assert "add --json" in run("search", "--batch", str(batch), index=index, ok=False).stderr
    proc = run("search", "--batch", str(batch), "--json", index=index, ok=False)
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", 2, "c", "d"]  # every line, in order
    assert rows[0]["results"] and rows[3]["results"]
    assert rows[1]["error"] == 'b.jsonl:2: expected {"id": ..., "text": ...}'
    assert rows[2]["error"].startswith("b.jsonl:3: the question is empty")
    assert proc.stderr.strip() == f"error: 2 of 4 lines of {batch} could not be searched (their error objects are " \
        "in the output)"


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
