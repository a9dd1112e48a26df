"""JSON Lines, read and written in one place: the index's own files, users' .jsonl documents,
evaluation questions and ``--batch`` files all go through ``parse_lines``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from .decode import decode_bytes
from .errors import SourceError


def parse_lines(lines: Iterable[str], name: str, expected: str = "a JSON object") -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line; a line that is not a JSON object raises
    SourceError naming ``name:line`` and what was ``expected`` there."""
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{name}:{lineno}: expected {expected}") from exc
        if not isinstance(record, dict):
            raise SourceError(f"{name}:{lineno}: expected {expected}")
        yield lineno, record


def parse_jsonl(text: str, name: str, expected: str = "a JSON object") -> Iterator[tuple[int, dict]]:
    """``parse_lines`` over decoded text."""
    return parse_lines(text.splitlines(), name, expected)


def read_user_jsonl(path: Path, expected: str = "a JSON object") -> list[tuple[int, dict]]:
    """A user's .jsonl file in any encoding ``decode_bytes`` reads (UTF-8 with or without BOM,
    UTF-16, Windows-1256); unreadable files raise SourceError."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    return list(parse_jsonl(decode_bytes(data, str(path)), str(path), expected))


def iter_jsonl(path: Path) -> Iterator[dict]:
    """The objects of one of our own UTF-8 files, streamed (index files can be large)."""
    with open(path, encoding="utf-8") as f:
        for _, record in parse_lines(f, str(path)):
            yield record


def write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
