"""Keep an index current: add, update and remove documents without re-embedding the rest.

The index is self-contained: ``documents.jsonl`` holds every document's full extracted text,
so ``remove``, ``rebuild`` and each ``add`` work from the index alone, even after the
original files moved or were deleted. Each added document also records its ``origin`` (the
absolute path it was read from), so a changed file replaces its own old version, while a
different file that happens to get the same id is refused instead of silently replacing it.

Every change is a new commit written under the index's write lock (store.py): ``add`` writes
one segment holding only the new and changed documents (a changed document's unchanged passages
keep their vectors, by text hash) and marks the old versions deleted; ``remove`` only marks
deletions; both may then merge segments (merge.py). ``rebuild`` re-embeds everything into one
segment. An index that is stale (older pipeline versions) or of another model is rewritten whole
by ``add``, as one segment, since its old segments cannot be mixed with new ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .catalog import (
    DocumentInfo,
    Entry,
    Stored,
    all_entries,
    existing_index,
    iter_candidates,
    list_documents,
    read_stored,
    settings_for,
)
from .commits import commit, new_manifest, write_segment_safely
from .errors import CorpusError, IndexStateError, SourceError
from .lock import index_lock
from .manifest import BuildSettings, format1_rows, format1_vectors, model_matches, read_manifest, stale_reason
from .merge import auto_merge
from .records import Source
from .segments import prepare, stored_vectors
from .sources import MAX_EXAMPLES, SUPPORTED, read_examples

# list_documents, iter_candidates and DocumentInfo are read here by the interfaces and uploads.py.
__all__ = ["UPLOADS_DIR", "AddReport", "CorpusError", "DocumentInfo", "add_paths", "iter_candidates",
           "list_documents", "rebuild", "remove_documents"]

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


# ---------------------------------------------------------------- changes


class _CountingEmbedder:
    """Passes through to the real embedder, counting the passages it actually embeds."""

    def __init__(self, inner):
        self.inner, self.embedded = inner, 0
        self.model_id, self.weights_hash, self.dim = inner.model_id, inner.weights_hash, inner.dim

    def embed_documents(self, texts, *, show_progress: bool = False):
        self.embedded += len(texts)
        return self.inner.embed_documents(texts, show_progress=show_progress)


def _rewrite(index_dir: Path, entries: dict[str, Entry], embedder, settings: BuildSettings, roots: list[str],
             examples, reuse: dict | None = None, show_progress: bool = False) -> dict:
    """The whole index as one new segment and commit (a new, stale or other-model index; rebuild)."""
    data = prepare([e.document for e in entries.values()], embedder, settings, reuse=reuse,
                   extra={k: {"origin": e.origin} for k, e in entries.items() if e.origin},
                   show_progress=show_progress)
    if not data.passages:
        raise IndexStateError("the documents contain no indexable text")
    name = write_segment_safely(index_dir, data)
    return read_manifest(index_dir, commit(index_dir, [(name, [])],
                                           base=new_manifest(embedder, settings, roots, examples)))["counts"]


def _needs_rewrite(stored: Stored | None, embedder) -> bool:
    if stored is None:
        return True
    if not model_matches(stored.manifest, embedder):
        model = stored.manifest.get("model", {})
        log.warning("index was built with model %s; re-embedding every passage with %s",
                    model.get("id"), embedder.model_id)
        return True
    return bool(stale_reason(stored.manifest.get("versions", {})) or
                any(stale_reason(t.get("versions", {})) for _, _, t in stored.segments))


def _append(index_dir: Path, stored: Stored, new: dict[str, Entry], embedder, settings: BuildSettings,
            roots: list[str], examples, show_progress: bool) -> dict:
    """One segment of ``new`` documents; their older versions marked deleted; then the automatic merge."""
    reuse: dict = {}
    deleted = stored.deleted()
    for doc_id in new:
        if doc_id in stored.live:  # an update: its unchanged passages keep their vectors
            name, entry = stored.live[doc_id]
            reuse.update(stored_vectors(index_dir, name, entry))
            deleted[name].add(doc_id)
    data = prepare([e.document for e in new.values()], embedder, settings, reuse=reuse,
                   extra={k: {"origin": e.origin} for k, e in new.items() if e.origin}, show_progress=show_progress)
    segments = [(name, sorted(deleted[name])) for name, _, _ in stored.segments]
    if data.passages:
        size = stored.manifest["counts"]["passages"] + len(data.passages)
        segments.append((write_segment_safely(index_dir, data, size), []))
    base = {**stored.manifest, "source_roots": roots, "examples": list(examples)}
    counts = read_manifest(index_dir, commit(index_dir, segments, base=base))["counts"]
    return auto_merge(index_dir) or counts


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
        stored = read_stored(index_dir)
        live = stored.live if stored else {}
        by_sha = {e["sha256"]: doc_id for doc_id, (_, e) in live.items()}
        added, updated, unchanged, duplicates, seen, new = [], [], [], [], {}, {}
        for cand in candidates:
            doc, name = cand.document, cand.origin
            old = _Stub(live[doc.doc_id][1]) if doc.doc_id in live else None
            if doc.doc_id in seen:
                skipped.append(f"{name}: document id {doc.doc_id!r} is also used by {seen[doc.doc_id]}; "
                               "rename one of them")
            elif old is not None and old.sha256 == doc.sha256 and old.source == doc.source:
                unchanged.append(doc.doc_id)
            elif old is not None and old.origin and old.origin != name and old.sha256 != doc.sha256:
                skipped.append(f"{name}: document id {doc.doc_id!r} is already used by {old.origin}; "
                               f"rename the file or first run: assistant remove {doc.doc_id}")
            elif old is None and doc.sha256 in by_sha:
                duplicates.append((name, by_sha[doc.sha256]))
            else:
                (updated if doc.doc_id in live else added).append(doc.doc_id)
                new[doc.doc_id] = Entry(doc, name)
                by_sha[doc.sha256] = doc.doc_id
            seen.setdefault(doc.doc_id, name)
        counts = dict(stored.manifest["counts"]) if stored else {"documents": 0, "passages": 0}
        embedded = 0
        if added or updated:
            manifest = stored.manifest if stored else {}
            roots = list(manifest.get("source_roots", []))
            roots += [r for r in (str(Path(p).resolve()) for p in paths) if r not in roots]
            examples = tuple(dict.fromkeys([*manifest.get("examples", []),
                                            *read_examples([Path(p) for p in paths])]))[:MAX_EXAMPLES]
            embedder = _CountingEmbedder(embedder_factory())
            settings = settings_for(stored.manifest if stored else None, settings)
            if _needs_rewrite(stored, embedder):
                entries = {**(all_entries(index_dir, stored) if stored else {}), **new}
                reuse = {}
                if stored and model_matches(stored.manifest, embedder):
                    for name, entry in stored.live.values():
                        reuse.update(stored_vectors(index_dir, name, entry))
                counts = _rewrite(index_dir, entries, embedder, settings, roots, examples, reuse, show_progress)
            else:
                counts = _append(index_dir, stored, new, embedder, settings, roots, examples, show_progress)
            embedded = embedder.embedded
    return AddReport(tuple(added), tuple(updated), tuple(unchanged), tuple(duplicates), tuple(skipped),
                     embedded, counts["documents"], counts["passages"])


class _Stub:
    """A stored document as add compares it: sha256, source and origin from its segment's table."""

    def __init__(self, entry: dict):
        self.sha256, self.origin, self.source = entry["sha256"], entry.get("origin", ""), Source(**entry["source"])


def remove_documents(index_dir: Path, doc_ids: list[str]) -> dict:
    """Remove documents by id (all or nothing): they are marked deleted in a new commit (segments
    are not rewritten; the automatic merge may purge them). Returns the new counts. No model needed."""
    index_dir = existing_index(index_dir)
    with index_lock(index_dir):
        stored = read_stored(index_dir)
        unknown = [d for d in dict.fromkeys(doc_ids) if d not in stored.live]
        if unknown:
            raise CorpusError(f"unknown document id {', '.join(map(repr, unknown))}; "
                              f"see: assistant list --index {index_dir}")
        ids = list(dict.fromkeys(doc_ids))
        if len(ids) == len(stored.live):
            raise CorpusError(f"removing every document would leave {index_dir} empty; "
                              "delete the folder instead")
        deleted = stored.deleted()
        for doc_id in ids:
            deleted[stored.live[doc_id][0]].add(doc_id)
        segments = [(name, sorted(deleted[name])) for name, _, _ in stored.segments]
        counts = read_manifest(index_dir, commit(index_dir, segments, base=stored.manifest))["counts"]
        counts = auto_merge(index_dir) or counts
    uploads = (index_dir / UPLOADS_DIR).resolve()
    for doc_id in ids:  # an uploaded copy has no other owner
        origin = stored.live[doc_id][1].get("origin")
        origin = Path(origin) if origin else None
        if origin and origin.parent == uploads and origin.is_file():
            origin.unlink()
    return {**counts, "removed": ids}


def rebuild(index_dir: Path, embedder_factory: Callable[[], object], *, settings: BuildSettings | None = None,
            show_progress: bool = False) -> dict:
    """Re-chunk and re-embed every stored document from scratch into one segment (after a model or
    version change, or to convert a format-1 index).

    The index is checked (present, writable, readable) before ``embedder_factory`` loads the model.
    """
    index_dir = existing_index(index_dir)
    with index_lock(index_dir):
        old = format1_rows(index_dir)
        stored = None if old else read_stored(index_dir)
        manifest = old[0] if old else stored.manifest
        entries = all_entries(index_dir, stored)
        embedder = embedder_factory()
        # Converting a format-1 index of the same model keeps its passage vectors (same text, same model).
        reuse = format1_vectors(index_dir) if old and model_matches(manifest, embedder) else {}
        return _rewrite(index_dir, entries, embedder, settings or settings_for(manifest, None),
                        manifest.get("source_roots", []), tuple(manifest.get("examples", [])), reuse,
                        show_progress=show_progress)
