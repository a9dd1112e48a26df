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
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import __version__
from .chunk import CHUNKER_VERSION
from .config import DEFAULTS, Config
from .decode import CLEANER_VERSION
from .dense import DenseView
from .errors import IndexStateError
from .jsonl import iter_jsonl
from .lexical import BM25_PARAMS, LexicalIndex
from .lock import index_lock
from .normalize import NORMALIZER_VERSION
from .records import Document, Passage, Source
from .segments import PREFIX as SEGMENT_PREFIX
from .segments import BadSegment, Segment, load_segment, prepare, write_segment
from .segments import source_from_row as source_from_row
from .sentences import SentenceView

log = logging.getLogger(__name__)

FORMAT = "arabic-assistant-index"
FORMAT_VERSION = 2
SENTENCES_VERSION = "sent-1"  # sentence vectors beside the passages' (an index without them is stale)
POINTER = "CURRENT"
COMMIT_PREFIX = "commit-"


@dataclass(frozen=True)
class BuildSettings:
    """How an index is cut and analysed; recorded in its manifest, so every later change of the
    index (add, remove, rebuild) uses the same settings."""

    max_chars: int = DEFAULTS.max_passage_chars
    overlap: int = DEFAULTS.overlap_sentences
    stem: bool = True
    stopwords: bool = True
    # The document title joins each passage's lexical text (not its dense text or displayed text):
    # TyDi QA MRR@10 0.968 -> 0.974, pooled 0.961 -> 0.964 (README "Retrieval quality").
    lexical_title: bool = True
    # Every sentence embedded too (sentences.py): search scores a passage by its best sentence
    # and shows that sentence as the evidence (README "Evidence first"). Costs a second embedding pass.
    sentence_vectors: bool = True

    @classmethod
    def from_config(cls, config: Config) -> BuildSettings:
        return cls(max_chars=config.max_passage_chars, overlap=config.overlap_sentences)

    @classmethod
    def from_manifest(cls, manifest: dict) -> BuildSettings:
        """The settings an index was built with (fields this version does not know are ignored)."""
        return cls(**{k: v for k, v in manifest.get("settings", {}).items() if k in cls.__dataclass_fields__})


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


def _rebuild_hint(index_dir: Path, roots: list[str] | None = None) -> str:
    src = " ".join(f"--source {r}" for r in roots or []) + " " if roots else ""
    return f"rebuild it with: assistant build {src}--index {index_dir}"


def _refresh_hint(index_dir: Path) -> str:
    """For an index that is intact but stale: re-embed its stored documents (works for any corpus)."""
    return f"update it with: assistant rebuild --index {index_dir}"


def expected_versions() -> dict:
    """The versions of every stage whose output the index stores; a change means re-indexing."""
    return {"normalizer": NORMALIZER_VERSION, "cleaner": CLEANER_VERSION, "chunker": CHUNKER_VERSION,
            "sentences": SENTENCES_VERSION}


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


def new_manifest(embedder, settings: BuildSettings, source_roots: list[str], examples) -> dict:
    """The commit fields of a new index (its segments and counts are added by ``commit``)."""
    return {"format": FORMAT, "format_version": FORMAT_VERSION,
            "model": {"id": embedder.model_id, "weights_hash": embedder.weights_hash, "dim": embedder.dim},
            "versions": expected_versions(), "settings": {**asdict(settings), "bm25": BM25_PARAMS},
            "source_roots": list(source_roots), "examples": list(examples)}


def write_segment_safely(index_dir: Path, data, index_size: int = 0) -> str:
    """``segments.write_segment``; a failed write (disk full, ...) removes its partial folder."""
    try:
        return write_segment(index_dir, data, expected_versions(), index_size)
    except OSError as exc:
        for tmp in index_dir.glob(f".tmp-{SEGMENT_PREFIX}*"):  # the partial segment; nothing live
            shutil.rmtree(tmp, ignore_errors=True)
        raise IndexStateError(f"could not write the new index in {index_dir} "
                              f"({exc.strerror or type(exc).__name__}); the previous index is unchanged") from exc


def commit(index_dir: Path, segments: list[tuple[str, list[str]]], *, base: dict) -> Path:
    """Write a commit naming ``segments`` ((name, deleted doc ids) each) with ``base``'s other
    fields, make it current, then delete what no commit names. The caller holds the lock."""
    from .segments import read_table

    counts = {"documents": 0, "passages": 0, "sentences": 0, "segments": len(segments)}
    for name, deleted in segments:
        table = read_table(index_dir, name)
        counts["documents"] += table["counts"]["documents"] - len(deleted)
        counts["passages"] += table["counts"]["passages"]
        counts["sentences"] += table["counts"]["sentences"]
        for doc_id in deleted:
            entry = table["documents"][doc_id]
            counts["passages"] -= entry["rows"][1] - entry["rows"][0]
            a, b = entry.get("sentences", (0, 0))
            counts["sentences"] -= b - a
    seq = int(base.get("sequence", 0)) + 1
    manifest = {**base, "format": FORMAT, "format_version": FORMAT_VERSION, "assistant_version": __version__,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "sequence": seq,
                "segments": [{"name": n, "deleted": sorted(d)} for n, d in segments], "counts": counts}
    name = f"{COMMIT_PREFIX}{seq:08d}-{uuid.uuid4().hex[:6]}.json"
    tmp = index_dir / f".tmp-{name}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(manifest, ensure_ascii=False, indent=1))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, index_dir / name)
        _swap_pointer(index_dir, name)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise IndexStateError(f"could not write the new index in {index_dir} ({exc.strerror or type(exc).__name__}); "
                              "the previous index is unchanged") from exc
    _clean(index_dir, keep={name, *(n for n, _ in segments)})
    return index_dir / name


def _swap_pointer(index_dir: Path, name: str) -> None:
    tmp = index_dir / f".{POINTER}.{uuid.uuid4().hex[:6]}"
    with open(tmp, "w") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index_dir / POINTER)
    fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _clean(index_dir: Path, keep: set[str]) -> None:
    """Delete commits, segments, temporary files and format-1 generations not in ``keep``."""
    for p in index_dir.iterdir():
        if p.name in keep or not p.name.startswith((COMMIT_PREFIX, SEGMENT_PREFIX, "gen-", ".tmp-")):
            continue
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def current_commit(index_dir: Path) -> Path:
    """The live commit file; IndexStateError (one line, naming the fix) when there is none or it
    is of format 1."""
    pointer = index_dir / POINTER
    if not pointer.is_file():
        raise IndexStateError(f"no index in {index_dir}; build it with: assistant build --index {index_dir}")
    name = pointer.read_text().strip()
    if name.startswith("gen-") and (index_dir / name).is_dir():
        raise IndexStateError(f"index in {index_dir} has format 1 (before segments), this version reads "
                              f"{FORMAT_VERSION}; convert it with: assistant rebuild --index {index_dir}")
    path = index_dir / name
    if not name.startswith(COMMIT_PREFIX) or not path.is_file():
        raise IndexStateError(f"index in {index_dir} is corrupt (missing {name}); " + _rebuild_hint(index_dir))
    return path


def format1_rows(index_dir: Path) -> tuple[dict, list[dict]] | None:
    """(manifest, document rows) of a format-1 index, for ``assistant rebuild``; None otherwise."""
    pointer = index_dir / POINTER
    gen = index_dir / pointer.read_text().strip() if pointer.is_file() else None
    if gen is None or not gen.name.startswith("gen-") or not gen.is_dir():
        return None
    try:
        return json.loads((gen / "manifest.json").read_text("utf-8")), list(iter_jsonl(gen / "documents.jsonl"))
    except (OSError, ValueError) as exc:
        raise IndexStateError(f"index in {index_dir} is corrupt ({type(exc).__name__}); "
                              + _rebuild_hint(index_dir)) from exc


def format1_vectors(index_dir: Path) -> dict[str, np.ndarray]:
    """{sha256 of passage text: vector} of a format-1 index (its passages only), so converting it
    re-embeds nothing its model already embedded; {} when unreadable."""
    from .decode import sha256_text

    gen = index_dir / (index_dir / POINTER).read_text().strip()
    try:
        texts = [row["text"] for row in iter_jsonl(gen / "passages.jsonl")]
        vectors = np.load(gen / "vectors.npy", allow_pickle=False)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("format-1 index %s: stored vectors unreadable (%s); every passage is embedded again",
                    index_dir, type(exc).__name__)
        return {}
    return {sha256_text(t): v for t, v in zip(texts, vectors, strict=False)} if len(texts) == len(vectors) else {}


def read_manifest(index_dir: Path, commit_file: Path | None = None) -> dict:
    """The live commit (or ``commit_file``), checked to be this assistant's."""
    commit_file = commit_file or current_commit(index_dir)
    try:
        manifest = json.loads(commit_file.read_text("utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexStateError(f"index in {index_dir} is corrupt (commit unreadable); "
                              + _rebuild_hint(index_dir)) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexStateError(f"{index_dir} is not an index of this assistant; " + _rebuild_hint(index_dir))
    return manifest


def check_manifest(manifest: dict, index_dir: Path) -> None:
    """Raise IndexStateError when the index was built by another format or pipeline version;
    an index written by another version of the assistant in the same format only warns (once)."""
    hint = _refresh_hint(index_dir)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexStateError(f"index in {index_dir} has format {manifest.get('format_version')}, "
                              f"this version reads {FORMAT_VERSION}; {hint}")
    written_by = manifest.get("assistant_version")
    if written_by != __version__:
        _warn_other_version(str(index_dir), written_by or "an earlier version")
    stale = stale_reason(manifest.get("versions", {}))
    if stale:
        raise IndexStateError(f"index in {index_dir} is stale ({stale}); {hint}")


def stale_reason(versions: dict) -> str:
    """"" when ``versions`` are this pipeline's, else which stage differs."""
    for name, want in expected_versions().items():
        have = versions.get(name)
        if have != want:
            return f"{name} {have}, now {want}"
    return ""


def model_matches(manifest: dict, embedder) -> bool:
    """True when the index's vectors came from ``embedder``'s weights at its dimension."""
    model = manifest.get("model", {})
    return (model.get("weights_hash"), model.get("dim")) == (embedder.weights_hash, embedder.dim)


@lru_cache(maxsize=64)
def _warn_other_version(index_dir: str, written_by: str) -> None:
    """Once per process and index (the cache is the "once")."""
    log.warning("index in %s was written by arabic-assistant %s, this is %s; it is read as it is "
                "(assistant rebuild --index %s re-indexes it with this version)",
                index_dir, written_by, __version__, index_dir)


def check_model(manifest: dict, embedder, index_dir: Path) -> None:
    """Raise IndexStateError unless ``model_matches``; the message names the rebuild command."""
    model = manifest.get("model", {})
    if not model_matches(manifest, embedder):
        raise IndexStateError(f"index in {index_dir} was built with model {model.get('id')} "
                              f"({model.get('weights_hash')}), not the loaded {embedder.model_id} "
                              f"({embedder.weights_hash}); " + _refresh_hint(index_dir))


def load_segments(index_dir: Path, manifest: dict, previous: Index | None = None) -> list[Segment]:
    """The commit's segments, reusing those ``previous`` already holds (segments never change)."""
    hint = _rebuild_hint(index_dir, manifest.get("source_roots"))
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
                                  + _refresh_hint(index_dir))
        out.append(seg)
    return out


def load_index(index_dir: Path, previous: Index | None = None) -> Index:
    """Load and check the live commit of ``index_dir`` (segments ``previous`` holds are reused)."""
    index_dir = Path(index_dir)
    commit_file = current_commit(index_dir)  # read CURRENT once: an update may swap it meanwhile
    manifest = read_manifest(index_dir, commit_file)
    check_manifest(manifest, index_dir)
    segments = load_segments(index_dir, manifest, previous)
    hint = _rebuild_hint(index_dir, manifest.get("source_roots"))
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
