"""One error family: every error a user can cause is an AssistantError, and the CLI prints any of
them as one line (no traceback)."""

from __future__ import annotations

import inspect

from click.testing import CliRunner

from assistant import errors
from assistant.cli import cli


def test_every_error_class_is_an_assistant_error():
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__]
    assert len(classes) >= 9
    assert all(issubclass(c, errors.AssistantError) for c in classes)


def test_the_cli_prints_a_library_error_as_one_line(tmp_path):
    """A ModelError from deep in the library (a model folder that is not one) is one line, exit 1."""
    (tmp_path / "index").mkdir()
    result = CliRunner().invoke(cli, ["build", "--source", "seeds", "--index", str(tmp_path / "index"),
                                      "--model-path", str(tmp_path)], env={"ASSISTANT_EMBEDDER": "gemma"})
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {tmp_path} is not a sentence-transformers model folder"


def test_a_bug_is_not_disguised_as_a_user_error(monkeypatch):
    import assistant.corpus

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(assistant.corpus, "remove_documents", broken)
    result = CliRunner().invoke(cli, ["remove", "x"])
    assert result.exit_code == 1 and isinstance(result.exception, KeyError)
