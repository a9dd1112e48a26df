"""Find and read source files: the one folder walker, sidecar metadata, and a reader per file kind.

``build``, ``add`` and uploads all read through here, so the same folder always gives the same
documents: hidden files and folders and ``metadata.json`` are never documents; a ``.jsonl`` file
holds one document per record, every other supported file one document (``formats.py``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

from .decode import decode_bytes, make_document, relative_path
from .errors import SourceError
from .formats import FORMAT_SUFFIXES, read_document
from .jsonl import parse_jsonl
from .records import Document, Source

log = logging.getLogger(__name__)

RECORD_SUFFIXES = {".jsonl"}
SUPPORTED_SUFFIXES = FORMAT_SUFFIXES | RECORD_SUFFIXES
SUPPORTED = ", ".join(sorted(SUPPORTED_SUFFIXES))
METADATA_FILE = "metadata.json"
EXAMPLES_FILE = "examples.txt"  # example questions for this collection, one per line (shown in the UI)
SIDECARS = {METADATA_FILE, EXAMPLES_FILE}  # files about the documents, never documents themselves
MAX_EXAMPLES = 10


def load_metadata(folder: Path) -> dict[str, dict]:
    """Sidecar metadata: ``metadata.json`` mapping file name (or doc id) -> {title, outlet, date, url}."""
    path = folder / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: invalid metadata JSON ({exc})") from exc
    return data.get("documents", data) if isinstance(data, dict) else {}


def read_examples(roots: list[Path]) -> tuple[str, ...]:
    """The example questions of the given folders' ``examples.txt`` (one per line; blank lines and
    lines starting with # skipped), at most ``MAX_EXAMPLES``; none when there is no such file."""
    found: list[str] = []
    for root in roots:
        path = Path(root) / EXAMPLES_FILE
        if Path(root).is_dir() and path.is_file():
            lines = decode_bytes(path.read_bytes(), str(path)).splitlines()
            found += [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    return tuple(dict.fromkeys(found))[:MAX_EXAMPLES]


def walk_sources(root: Path, exclude: Path | None = None) -> Iterator[Path]:
    """Every file a user may mean under ``root`` (or ``root`` itself), sorted: no hidden file or
    folder, no sidecar (``metadata.json``, ``examples.txt``), nothing inside ``exclude`` (the index
    itself). Unsupported suffixes are yielded too: the caller decides whether they are worth a message."""
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        if (path.is_file() and path.name not in SIDECARS
                and not any(part.startswith(".") for part in path.relative_to(root).parts)
                and not (exclude and path.resolve().is_relative_to(exclude))):
            yield path


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def read_jsonl(path: Path, root: Path) -> Iterator[Document]:
    """Each line ``{"id", "title", "text", ...}`` is one document whose doc_id is its id."""
    rel = relative_path(path, root)
    for lineno, rec in parse_jsonl(decode_bytes(path.read_bytes(), str(path)), str(path)):
        try:
            doc_id, body = str(rec["id"]), rec["text"]
        except (KeyError, TypeError) as exc:
            raise SourceError(f"{path}:{lineno}: expected a JSON object with id and text") from exc
        if not isinstance(body, str) or not body.strip():
            continue
        source = Source(doc_id=doc_id, path=rel, title=str(rec.get("title") or ""),
                        outlet=str(rec.get("outlet") or ""), date=str(rec.get("date") or ""),
                        url=str(rec.get("url") or ""))
        yield make_document(source, body)


def read_file(path: Path, base: Path, metadata: dict[str, dict]) -> list[Document]:
    """The documents in one file: one per .jsonl record, else one (metadata from the sidecar)."""
    if path.suffix.lower() in RECORD_SUFFIXES:
        return list(read_jsonl(path, base))
    rel = relative_path(path, base)
    return [read_document(path, base, metadata.get(rel) or metadata.get(path.stem))]


def read_documents(roots: list[Path]) -> list[Document]:
    """Read every supported file under the given files/folders; ids must be unique.

    Strict (for ``build``): the first unreadable file stops it with its name. ``corpus.add_paths``
    reads the same files leniently, skipping what it cannot read.
    """
    docs: list[Document] = []
    seen: dict[str, str] = {}
    for root in roots:
        if not root.exists():
            raise SourceError(f"{root}: no such file or folder")
        base = root if root.is_dir() else root.parent
        metadata = load_metadata(base)
        for path in walk_sources(root):
            if not is_supported(path):
                continue
            for doc in read_file(path, base, metadata):
                if doc.doc_id in seen:
                    raise SourceError(f"duplicate document id {doc.doc_id!r} in {doc.source.path} "
                                      f"and {seen[doc.doc_id]}")
                seen[doc.doc_id] = doc.source.path
                docs.append(doc)
    if not docs:
        raise SourceError(f"no documents found (supported: {SUPPORTED})")
    return docs
