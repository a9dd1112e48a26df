"""The index on disk: immutable segments named by a commit, the commit named by CURRENT (Lucene's design).

Layout::

    index/CURRENT                 name of the live commit file (replaced atomically)
    index/commit-<seq>-<id>.json  format, model, versions, settings, examples, and the segments:
                                  [{"name": "seg-…", "deleted": [doc ids deleted from it]}, …]
    index/seg-<stamp>-<id>/       one immutable segment (segments.py)

Every change writes new files only, then swaps CURRENT with ``os.replace``: a build writes one
segment and a commit listing it; an add writes one segment of the new or changed documents and a
commit listing it beside the old ones (a changed document's old version is marked deleted); a
remove writes only a commit with more deletions; a merge (``merge.py``) writes one segment for
several and a commit listing it instead. Readers see one commit or the next, never half of one.
Files no commit names any more are deleted after the swap.

Format 1 (one ``gen-*`` folder per change, before segments) is refused with a line naming
``assistant rebuild``, which reads its documents and writes format 2.

This module loads a commit as one ``Index`` and builds a new index; what a commit says and the
checks on it are in manifest.py, writing segments and commits in commits.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .commits import commit, new_manifest, write_segment_safely
from .dense import DenseView
from .errors import IndexStateError
from .lexical import LexicalIndex
from .lock import index_lock
from .manifest import (
    COMMIT_PREFIX,
    FORMAT,
    FORMAT_VERSION,
    POINTER,
    BuildSettings,
    check_manifest,
    check_model,
    current_commit,
    expected_versions,
    format1_rows,
    format1_vectors,
    model_matches,
    read_manifest,
    rebuild_hint,
    refresh_hint,
    stale_reason,
)
from .records import Document, Passage, Source
from .segments import BadSegment, Segment, load_segment, prepare, source_from_row
from .sentences import SentenceView

# The index's API in one place: the rest of the package, the interfaces and the tests import from here.
__all__ = ["COMMIT_PREFIX", "FORMAT", "FORMAT_VERSION", "POINTER", "BuildSettings", "Index", "IndexStateError",
           "build_index", "check_manifest", "check_model", "commit", "current_commit", "expected_versions",
           "format1_rows", "format1_vectors", "live_vectors", "load_index", "load_segments", "model_matches",
           "new_manifest", "read_manifest", "source_from_row", "stale_reason", "write_segment_safely"]


@dataclass
class Index:
    """One commit, loaded: the live documents and passages of all its segments, presented as one
    index (row i = the i-th live passage, segment after segment) with corpus-wide BM25 statistics."""

    folder: Path  # the commit file (its parent is the index folder)
    manifest: dict  # the commit
    documents: dict[str, Document]
    passages: list[Passage]
    dense: DenseView
    lexical: LexicalIndex
    sentences: object | None = None  # SentenceIndex or SentenceView: ``ptr`` and ``vectors[a:b]``
    segments: dict[str, Segment] = field(default_factory=dict)
    positions: list[np.ndarray] = field(default_factory=list)  # per segment: each passage's row (-1: deleted)

    def source(self, doc_id: str) -> Source:
        return self.documents[doc_id].source


def build_index(docs: list[Document], embedder, index_dir: Path, *, settings: BuildSettings | None = None,
                source_roots: list[str] | None = None, show_progress: bool = False,
                reuse: dict[str, np.ndarray] | None = None, extra: dict[str, dict] | None = None,
                examples: tuple[str, ...] = ()) -> Path:
    """Chunk, embed and index ``docs`` as the whole content of ``index_dir`` (one segment, one
    commit); return the commit file. Holds the index's write lock (lock.IndexBusyError if another
    writer has it).

    Args:
        reuse: passage text sha -> vector, to skip re-embedding unchanged passages.
        extra: doc_id -> additional fields stored in that document's documents.jsonl row.
        examples: the collection's example questions (``sources.read_examples``), kept in the commit.
    """
    index_dir = Path(index_dir)
    settings = settings or BuildSettings()
    with index_lock(index_dir):
        data = prepare(docs, embedder, settings, reuse=reuse, extra=extra, show_progress=show_progress)
        if not data.passages:
            raise IndexStateError("the documents contain no indexable text")
        return commit(index_dir, [(write_segment_safely(index_dir, data), [])],
                      base=new_manifest(embedder, settings, source_roots or [], examples))


def load_segments(index_dir: Path, manifest: dict, previous: Index | None = None) -> list[Segment]:
    """The commit's segments, reusing those ``previous`` already holds (segments never change)."""
    hint = rebuild_hint(index_dir, manifest.get("source_roots"))
    have = previous.segments if previous is not None else {}
    out = []
    for entry in manifest.get("segments", []):
        name = entry["name"]
        try:
            seg = have.get(name) or load_segment(index_dir, name)
        except BadSegment as exc:
            raise IndexStateError(f"index in {index_dir} is corrupt ({exc}); {hint}") from exc
        stale = stale_reason(seg.table.get("versions", {}))
        if stale:
            raise IndexStateError(f"index in {index_dir} has a stale segment {name} ({stale}); "
                                  + refresh_hint(index_dir))
        out.append(seg)
    return out


def load_index(index_dir: Path, previous: Index | None = None) -> Index:
    """Load and check the live commit of ``index_dir`` (segments ``previous`` holds are reused)."""
    index_dir = Path(index_dir)
    commit_file = current_commit(index_dir)  # read CURRENT once: an update may swap it meanwhile
    manifest = read_manifest(index_dir, commit_file)
    check_manifest(manifest, index_dir)
    segments = load_segments(index_dir, manifest, previous)
    hint = rebuild_hint(index_dir, manifest.get("source_roots"))
    rows: dict[str, tuple[int, dict]] = {}  # live doc_id -> (segment number, documents.jsonl row)
    for i, (seg, entry) in enumerate(zip(segments, manifest["segments"], strict=True)):
        deleted = set(entry.get("deleted", []))
        if not deleted <= set(seg.table["documents"]):
            raise IndexStateError(f"index in {index_dir} is corrupt (deletions of unknown documents in "
                                  f"{seg.name}); {hint}")
        rows.update((row["doc_id"], (i, row)) for row in seg.rows if row["doc_id"] not in deleted)
    # Rows in document-id order, whatever the segments: ties then rank the same however the
    # index was built (one build, many adds, merges).
    positions = [np.full(len(seg.passages), -1, np.int64) for seg in segments]
    documents: dict[str, Document] = {}
    passages: list[Passage] = []
    for doc_id in sorted(rows):
        i, row = rows[doc_id]
        source = source_from_row(row)
        documents[doc_id] = Document(source=source, text=row["text"], sha256=row["sha256"],
                                     spans=tuple(tuple(s) for s in row.get("spans", ())))
        a, b = segments[i].table["documents"][doc_id]["rows"]
        positions[i][a:b] = np.arange(len(passages), len(passages) + b - a)
        passages += segments[i].passages[a:b]
    s = manifest["settings"]
    lexical = LexicalIndex([seg.postings for seg in segments], positions, stem=s["stem"], stopwords=s["stopwords"])
    dense = DenseView([seg.dense for seg in segments], positions)
    sentences = None
    if s.get("sentence_vectors") and segments:
        if any(seg.sentences is None for seg in segments):
            raise IndexStateError(f"index in {index_dir} is corrupt (sentence vectors missing); {hint}")
        sentences = SentenceView.of([seg.sentences for seg in segments], positions, len(passages))
    counts = manifest.get("counts", {})
    if not (len(passages) == dense.size == lexical.size == counts.get("passages")) \
            or len(documents) != counts.get("documents"):
        raise IndexStateError(f"index in {index_dir} is corrupt (passage counts differ); {hint}")
    return Index(folder=commit_file, manifest=manifest, documents=documents, passages=passages, dense=dense,
                 lexical=lexical, sentences=sentences, segments={seg.name: seg for seg in segments},
                 positions=positions)


def live_vectors(index: Index) -> np.ndarray:
    """The passage vectors of a loaded index, row by row, read from its segments (tests, benchmarks)."""
    out = np.zeros((len(index.passages), index.dense.dim), np.float32)
    for entry, pos in zip(index.manifest["segments"], index.positions, strict=True):
        vecs = np.load(index.folder.parent / entry["name"] / "vectors.npy", mmap_mode="r")
        out[pos[pos >= 0]] = vecs[pos >= 0]
    return out
