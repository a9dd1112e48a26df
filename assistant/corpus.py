"""Keep an index current: add, update and remove documents without re-embedding the rest.

The index is self-contained: ``documents.jsonl`` holds every document's full extracted text,
so ``remove``, ``rebuild`` and each ``add`` work from the index alone, even after the
original files moved or were deleted. Each added document also records its ``origin`` (the
absolute path it was read from), so a changed file replaces its own old version, while a
different file that happens to get the same id is refused instead of silently replacing it.

Every change is a new generation written by ``store.build_index`` under the index's write
lock; vectors of unchanged passages are reused by passage-text hash, so only new or changed
text is embedded.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from .decode import make_document
from .errors import CorpusError, IndexStateError, SourceError
from .lock import index_lock
from .records import Document
from .sources import MAX_EXAMPLES, SUPPORTED, is_supported, load_metadata, read_examples, read_file, walk_sources
from .store import POINTER, BuildSettings, build_index, model_matches, read_stored, source_from_row

log = logging.getLogger(__name__)

UPLOADS_DIR = "uploads"  # inside the index folder: where UI uploads are kept


@dataclass(frozen=True)
class AddReport:
    added: tuple[str, ...]  # doc ids
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    duplicates: tuple[tuple[str, str], ...]  # (file, id of the indexed document with the same text)
    skipped: tuple[str, ...]  # one-line messages, each naming the file
    embedded: int  # passages embedded by this call
    documents: int  # in the index afterwards
    passages: int


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
class _Entry:
    document: Document
    origin: str


# ---------------------------------------------------------------- reading the index


def _stored(index_dir: Path) -> tuple[dict | None, dict[str, _Entry], dict]:
    """Manifest, documents (in index order) and {passage text sha: vector}; empty if no index yet."""
    if not (index_dir / POINTER).exists():
        return None, {}, {}
    manifest, rows, _, reuse = read_stored(index_dir)
    entries = {}
    for row in rows:
        source = source_from_row(row)
        entries[source.doc_id] = _Entry(make_document(source, row["text"]), row.get("origin", ""))
    return manifest, entries, reuse


def _existing(index_dir: Path) -> Path:
    index_dir = Path(index_dir)
    if not (index_dir / POINTER).exists():  # checked before locking, which would create the folder
        raise IndexStateError(f"no index in {index_dir}; add documents first: "
                              f"assistant add PATH --index {index_dir}")
    return index_dir


def _settings(manifest: dict | None, default: BuildSettings | None) -> BuildSettings:
    """An existing index keeps the settings it was built with; a new one takes ``default``."""
    if manifest is None:
        return default or BuildSettings()
    return BuildSettings.from_manifest(manifest)


def list_documents(index_dir: Path) -> list[DocumentInfo]:
    """The indexed documents with metadata and passage counts (works on a stale index too)."""
    _, rows, _, _ = read_stored(Path(index_dir))
    return [DocumentInfo(**{k: (int(row.get(k) or 0) if k == "passages" else str(row.get(k) or ""))
                            for k in DocumentInfo.__dataclass_fields__}) for row in rows]


# ---------------------------------------------------------------- reading new files


def iter_candidates(paths: list[Path], skipped: list[str], exclude: Path | None = None) -> Iterator[_Entry]:
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
                yield _Entry(doc, str(path.resolve()))


# ---------------------------------------------------------------- changes


class _CountingEmbedder:
    """Passes through to the real embedder, counting the passages it actually embeds."""

    def __init__(self, inner):
        self.inner, self.embedded = inner, 0
        self.model_id, self.weights_hash, self.dim = inner.model_id, inner.weights_hash, inner.dim

    def embed_documents(self, texts, *, show_progress: bool = False):
        self.embedded += len(texts)
        return self.inner.embed_documents(texts, show_progress=show_progress)


class _StoredModel:
    """Stands in for the index's own model when every vector is reused (remove): no model load."""

    def __init__(self, manifest: dict, index_dir: Path):
        model = manifest.get("model", {})
        self.model_id, self.weights_hash = model.get("id"), model.get("weights_hash")
        self.dim = model.get("dim")
        self.index_dir = index_dir

    def embed_documents(self, texts, *, show_progress: bool = False):
        if texts:
            raise IndexStateError(f"index in {self.index_dir} is stale; run: assistant rebuild "
                                  f"--index {self.index_dir}")
        import numpy as np

        return np.zeros((0, self.dim), np.float32)


def _write(index_dir: Path, entries: dict[str, _Entry], embedder, manifest: dict | None,
           settings: BuildSettings, reuse: dict, roots: list[str], show_progress: bool,
           new_examples: tuple[str, ...] = ()) -> dict:
    if manifest is not None and not model_matches(manifest, embedder):
        model = manifest.get("model", {})
        log.warning("index was built with model %s; re-embedding every passage with %s",
                    model.get("id"), embedder.model_id)
        reuse = {}
    examples = tuple(dict.fromkeys([*(manifest or {}).get("examples", []), *new_examples]))[:MAX_EXAMPLES]
    gen = build_index([e.document for e in entries.values()], embedder, index_dir, settings=settings,
                      source_roots=roots, show_progress=show_progress, reuse=reuse, examples=examples,
                      extra={k: {"origin": e.origin} for k, e in entries.items() if e.origin})
    return json.loads((gen / "manifest.json").read_text("utf-8"))["counts"]


def add_paths(index_dir: Path, paths: list[Path], embedder_factory: Callable[[], object], *,
              settings: BuildSettings | None = None, show_progress: bool = False) -> AddReport:
    """Add or update the documents under ``paths``; the model is loaded only if text is new.

    Args:
        embedder_factory: returns the embedder (called at most once, only when needed).
        settings: chunking settings for a new index; an existing index keeps its own.
    """
    index_dir = Path(index_dir)
    skipped: list[str] = []
    candidates = list(iter_candidates(paths, skipped, exclude=index_dir.resolve()))
    if not candidates and not skipped:
        raise SourceError(f"no documents found (supported: {SUPPORTED})")
    with index_lock(index_dir):
        manifest, entries, reuse = _stored(index_dir)
        by_sha = {e.document.sha256: doc_id for doc_id, e in entries.items()}
        added, updated, unchanged, duplicates, seen = [], [], [], [], {}
        for cand in candidates:
            doc, name = cand.document, cand.origin
            old = entries.get(doc.doc_id)
            if doc.doc_id in seen:
                skipped.append(f"{name}: document id {doc.doc_id!r} is also used by {seen[doc.doc_id]}; "
                               "rename one of them")
            elif old is not None and old.document.sha256 == doc.sha256 and old.document.source == doc.source:
                unchanged.append(doc.doc_id)
            elif old is not None and old.origin and old.origin != name and old.document.sha256 != doc.sha256:
                skipped.append(f"{name}: document id {doc.doc_id!r} is already used by {old.origin}; "
                               f"rename the file or first run: assistant remove {doc.doc_id}")
            elif old is None and doc.sha256 in by_sha:
                duplicates.append((name, by_sha[doc.sha256]))
            else:
                (updated if old is not None else added).append(doc.doc_id)
                entries[doc.doc_id] = _Entry(doc, name)
                by_sha[doc.sha256] = doc.doc_id
            seen.setdefault(doc.doc_id, name)
        counts = dict(manifest["counts"]) if manifest else {"documents": 0, "passages": 0}
        embedded = 0
        if added or updated:
            roots = list(manifest.get("source_roots", [])) if manifest else []
            roots += [r for r in (str(Path(p).resolve()) for p in paths) if r not in roots]
            embedder = _CountingEmbedder(embedder_factory())
            counts = _write(index_dir, entries, embedder, manifest, _settings(manifest, settings), reuse,
                            roots, show_progress, read_examples([Path(p) for p in paths]))
            embedded = embedder.embedded
    return AddReport(tuple(added), tuple(updated), tuple(unchanged), tuple(duplicates), tuple(skipped),
                     embedded, counts["documents"], counts["passages"])


def remove_documents(index_dir: Path, doc_ids: list[str]) -> dict:
    """Remove documents by id (all or nothing); returns the index's new counts. No model needed."""
    index_dir = _existing(index_dir)
    with index_lock(index_dir):
        manifest, entries, reuse = _stored(index_dir)
        unknown = [d for d in dict.fromkeys(doc_ids) if d not in entries]
        if unknown:
            raise CorpusError(f"unknown document id {', '.join(map(repr, unknown))}; "
                              f"see: assistant list --index {index_dir}")
        gone = {d: entries.pop(d) for d in dict.fromkeys(doc_ids)}
        if not entries:
            raise CorpusError(f"removing every document would leave {index_dir} empty; "
                              "delete the folder instead")
        counts = _write(index_dir, entries, _StoredModel(manifest, index_dir), manifest,
                        _settings(manifest, None), reuse, manifest.get("source_roots", []), False)
    uploads = (index_dir / UPLOADS_DIR).resolve()
    for entry in gone.values():  # an uploaded copy has no other owner
        origin = Path(entry.origin) if entry.origin else None
        if origin and origin.parent == uploads and origin.is_file():
            origin.unlink()
    return {**counts, "removed": list(gone)}


def rebuild(index_dir: Path, embedder_factory: Callable[[], object], *, settings: BuildSettings | None = None,
            show_progress: bool = False) -> dict:
    """Re-chunk and re-embed every stored document from scratch (after a model or version change).

    The index is checked (present, writable, readable) before ``embedder_factory`` loads the model.
    """
    index_dir = _existing(index_dir)
    with index_lock(index_dir):
        manifest, entries, _ = _stored(index_dir)
        return _write(index_dir, entries, embedder_factory(), None, settings or _settings(manifest, None), {},
                      manifest.get("source_roots", []), show_progress, tuple(manifest.get("examples", [])))
