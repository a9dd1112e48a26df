"""What an index holds, read from its commit and its segments' tables (not their text), and the
documents a change would add, read from files: the inputs of `list`, `add`, `remove` and `rebuild`
(corpus.py makes the changes).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import IndexStateError, SourceError
from .manifest import POINTER, BuildSettings, current_commit, format1_rows, read_manifest
from .records import Document
from .segments import BadSegment, document_of, iter_rows, read_table
from .sources import SUPPORTED, is_supported, load_metadata, read_file, walk_sources

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    path: str
    title: str
    outlet: str
    date: str
    url: str
    sha256: str
    passages: int
    origin: str  # absolute path it was added from ("" when built by `assistant build`)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Entry:
    document: Document
    origin: str


# ---------------------------------------------------------------- reading the index


@dataclass(frozen=True)
class Stored:
    """What a change needs of the live commit: its segments' tables, not their text."""

    manifest: dict
    segments: list[tuple[str, set[str], dict]]  # (name, deleted ids, table) per segment
    live: dict[str, tuple[str, dict]]  # doc_id -> (segment name, its table entry)

    def deleted(self) -> dict[str, set[str]]:
        return {name: set(gone) for name, gone, _ in self.segments}


def read_stored(index_dir: Path) -> Stored | None:
    """The live commit's tables; None if there is no index yet."""
    if not (index_dir / POINTER).exists():
        return None
    commit_file = current_commit(index_dir)  # a format-1 index is refused here, naming `assistant rebuild`
    manifest = read_manifest(index_dir, commit_file)
    segments, live = [], {}
    for entry in manifest.get("segments", []):
        try:
            table = read_table(index_dir, entry["name"])
        except BadSegment as exc:
            raise IndexStateError(f"index in {index_dir} is corrupt ({exc}); rebuild it with: "
                                  f"assistant build --index {index_dir}") from exc
        gone = set(entry.get("deleted", []))
        segments.append((entry["name"], gone, table))
        live.update((d, (entry["name"], e)) for d, e in table["documents"].items() if d not in gone)
    return Stored(manifest, segments, live)


def all_entries(index_dir: Path, stored: Stored | None) -> dict[str, Entry]:
    """Every live document with its full text (rebuild, and rewriting a stale index)."""
    if stored is None:
        old = format1_rows(index_dir)
        rows = old[1] if old else []
    else:
        rows = [r for name, gone, _ in stored.segments for r in iter_rows(index_dir, name) if r["doc_id"] not in gone]
    return {row["doc_id"]: Entry(document_of(row), row.get("origin", "")) for row in rows}


def existing_index(index_dir: Path) -> Path:
    index_dir = Path(index_dir)
    if not (index_dir / POINTER).exists():  # checked before locking, which would create the folder
        raise IndexStateError(f"no index in {index_dir}; add documents first: "
                              f"assistant add PATH --index {index_dir}")
    return index_dir


def settings_for(manifest: dict | None, default: BuildSettings | None) -> BuildSettings:
    """An existing index keeps the settings it was built with; a new one takes ``default``."""
    if manifest is None:
        return default or BuildSettings()
    return BuildSettings.from_manifest(manifest)


def list_documents(index_dir: Path) -> list[DocumentInfo]:
    """The indexed documents with metadata and passage counts (works on a stale index too)."""
    stored = read_stored(existing_index(index_dir))
    return [DocumentInfo(**{**e["source"], "sha256": e["sha256"], "origin": e.get("origin", ""),
                            "passages": e["rows"][1] - e["rows"][0]}) for _, e in stored.live.values()]


# ---------------------------------------------------------------- reading new files


def iter_candidates(paths: list[Path], skipped: list[str], exclude: Path | None = None) -> Iterator[Entry]:
    """Documents read from the given files/folders (none from inside ``exclude``, the index
    itself); unreadable files go to ``skipped``."""
    for root in paths:
        root = Path(root)
        if not root.exists():
            skipped.append(f"{root}: no such file or folder")
            continue
        base = root if root.is_dir() else root.parent
        try:
            metadata = load_metadata(base)
        except SourceError as exc:
            skipped.append(str(exc))
            metadata = {}
        for path in walk_sources(root, exclude):
            if not is_supported(path):
                skipped.append(f"{path}: unsupported file type (supported: {SUPPORTED})")
                continue
            try:
                docs = read_file(path, base, metadata)
            except SourceError as exc:
                skipped.append(str(exc))
                continue
            except Exception as exc:  # a parser bug on one file must not stop the batch
                log.debug("reading %s failed", path, exc_info=True)
                skipped.append(f"{path}: could not be read ({type(exc).__name__})")
                continue
            for doc in docs:
                yield Entry(doc, str(path.resolve()))
