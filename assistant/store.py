"""The index on disk: a manifest plus plain files, written atomically, checked on load.

Layout::

    index/CURRENT            name of the live generation (replaced atomically)
    index/gen-<stamp>/       manifest.json, documents.jsonl, passages.jsonl,
                             vectors.npy, dense.faiss, bm25/ (bm25s arrays + JSON)

A build writes a new generation folder, then swaps CURRENT with ``os.replace``: readers
see either the old index or the new one, never half of one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import __version__
from .chunk import CHUNKER_VERSION, chunk_document
from .config import DEFAULTS, Config
from .decode import CLEANER_VERSION, sha256_text
from .dense import DenseIndex
from .embedding.cache import embed_missing
from .errors import IndexStateError
from .jsonl import iter_jsonl, write_jsonl
from .lexical import BM25_PARAMS, LexicalIndex
from .lock import index_lock
from .normalize import NORMALIZER_VERSION
from .records import Document, Passage, Source
from .sentences import SPANS as SENTENCE_SPANS
from .sentences import VECTORS as SENTENCE_VECTORS
from .sentences import SentenceIndex

log = logging.getLogger(__name__)

FORMAT = "arabic-assistant-index"
FORMAT_VERSION = 1
SENTENCES_VERSION = "sent-1"  # sentence vectors beside the passages' (an index without them is stale)
POINTER = "CURRENT"


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
    folder: Path
    manifest: dict
    documents: dict[str, Document]
    passages: list[Passage]
    dense: DenseIndex
    lexical: LexicalIndex
    sentences: SentenceIndex | None = None

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
    """Chunk, embed and index ``docs`` into a new generation of ``index_dir``; return its folder.

    Holds the index's write lock (lock.IndexBusyError if another writer has it).

    Args:
        reuse: passage text sha -> vector, to skip re-embedding unchanged passages.
        extra: doc_id -> additional fields stored in that document's documents.jsonl row.
        examples: the collection's example questions (``sources.read_examples``), kept in the manifest.
    """
    with index_lock(index_dir):
        return _build_index(docs, embedder, Path(index_dir), settings=settings, source_roots=source_roots,
                            show_progress=show_progress, reuse=reuse, extra=extra or {}, examples=examples)


def _build_index(docs, embedder, index_dir: Path, *, settings, source_roots, show_progress, reuse,
                 extra, examples) -> Path:
    settings = settings or BuildSettings()
    passages = [p for doc in docs for p in chunk_document(doc, settings.max_chars, settings.overlap)]
    if not passages:
        raise IndexStateError("the documents contain no indexable text")
    reuse = dict(reuse or {})
    vectors = embed_texts([p.text for p in passages], embedder, reuse, show_progress=show_progress)
    sentences = None
    if settings.sentence_vectors:
        sentences = SentenceIndex.build(passages, {d.doc_id: d for d in docs}, vectors,
                                        lambda texts: embed_texts(texts, embedder, reuse, show_progress=show_progress))
    dense = DenseIndex.build(vectors)
    titles = {d.doc_id: d.source.title for d in docs} if settings.lexical_title else {}
    lexical = LexicalIndex.build([f"{titles.get(p.doc_id, '')}\n{p.text}" for p in passages],
                                 stem=settings.stem, stopwords=settings.stopwords, show_progress=show_progress)

    index_dir.mkdir(parents=True, exist_ok=True)
    gen = index_dir / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    tmp = index_dir / f".tmp-{gen.name}"
    tmp.mkdir()
    try:
        counts = {doc_id: 0 for doc_id in (d.doc_id for d in docs)}
        for p in passages:
            counts[p.doc_id] += 1
        write_jsonl(tmp / "documents.jsonl", (
            {**extra.get(d.doc_id, {}), **d.source.to_dict(), "sha256": d.sha256, "spans": d.spans,
             "text": d.text, "passages": counts[d.doc_id]} for d in docs))
        write_jsonl(tmp / "passages.jsonl", (p.to_dict() for p in passages))
        np.save(tmp / "vectors.npy", vectors, allow_pickle=False)
        dense.save(tmp / "dense.faiss")
        lexical.save(tmp / "bm25")
        if sentences is not None:
            sentences.save(tmp)
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "assistant_version": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "model": {"id": embedder.model_id, "weights_hash": embedder.weights_hash, "dim": embedder.dim},
            "versions": expected_versions(),
            "settings": {**asdict(settings), "bm25": BM25_PARAMS},
            "dense": dense.describe(),
            "source_roots": source_roots or [],
            "examples": list(examples),
            "documents": {d.doc_id: {"path": d.source.path, "sha256": d.sha256,
                                     "passages": counts[d.doc_id]} for d in docs},
            "counts": {"documents": len(docs), "passages": len(passages),
                       "sentences": len(sentences.spans) if sentences is not None else 0},
            "files": _file_sizes(tmp),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        _fsync_tree(tmp)
        os.replace(tmp, gen)
        _swap_pointer(index_dir, gen.name)
    except OSError as exc:  # disk full, read-only file system, ...: the live index was never touched
        shutil.rmtree(tmp, ignore_errors=True)
        raise IndexStateError(f"could not write the new index in {index_dir} ({exc.strerror or type(exc).__name__}); "
                              "the previous index is unchanged") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_old_generations(index_dir, keep=gen.name)
    return gen


def embed_texts(texts: list[str], embedder, known: dict[str, np.ndarray], *,
                show_progress: bool = False) -> np.ndarray:
    """Document vectors for ``texts``, embedding only those whose sha256 is not in ``known`` (the
    new ones are added to it, so a sentence equal to a passage is embedded once)."""
    return embed_missing(texts, known, lambda todo: embedder.embed_documents(todo, show_progress=show_progress),
                         embedder.dim)


def _file_sizes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_size
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())


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


def _remove_old_generations(index_dir: Path, keep: str) -> None:
    for p in index_dir.iterdir():
        if p.is_dir() and p.name != keep and (p.name.startswith("gen-") or p.name.startswith(".tmp-gen-")):
            shutil.rmtree(p, ignore_errors=True)


def current_generation(index_dir: Path) -> Path:
    pointer = index_dir / POINTER
    if not pointer.is_file():
        raise IndexStateError(f"no index in {index_dir}; build it with: assistant build --index {index_dir}")
    gen = index_dir / pointer.read_text().strip()
    if not gen.is_dir():
        raise IndexStateError(f"index in {index_dir} is corrupt (missing {gen.name}); "
                          + _rebuild_hint(index_dir))
    return gen


def read_manifest(index_dir: Path, gen: Path | None = None) -> dict:
    gen = gen or current_generation(index_dir)
    try:
        manifest = json.loads((gen / "manifest.json").read_text("utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexStateError(f"index in {index_dir} is corrupt (manifest unreadable); "
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
    for name, want in expected_versions().items():
        have = manifest.get("versions", {}).get(name)
        if have != want:
            raise IndexStateError(f"index in {index_dir} is stale ({name} {have}, now {want}); {hint}")


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


def load_index(index_dir: Path) -> Index:
    """Load and check the live generation of ``index_dir``."""
    index_dir = Path(index_dir)
    gen = current_generation(index_dir)  # read CURRENT once: an update may swap it meanwhile
    manifest = read_manifest(index_dir, gen)
    check_manifest(manifest, index_dir)
    hint = _rebuild_hint(index_dir, manifest.get("source_roots"))
    for name, size in manifest.get("files", {}).items():
        p = gen / name
        if not p.is_file() or p.stat().st_size != size:
            raise IndexStateError(f"index in {index_dir} is corrupt ({name} missing or truncated); {hint}")
    try:
        documents = {}
        for row in iter_jsonl(gen / "documents.jsonl"):
            source = source_from_row(row)
            documents[source.doc_id] = Document(source=source, text=row["text"], sha256=row["sha256"],
                                                spans=tuple(tuple(s) for s in row.get("spans", ())))
        passages = [Passage(**row) for row in iter_jsonl(gen / "passages.jsonl")]
        dense = DenseIndex.load(gen / "dense.faiss")
        s = manifest["settings"]
        lexical = LexicalIndex.load(gen / "bm25", stem=s["stem"], stopwords=s["stopwords"])
        sentences = SentenceIndex.load(gen, len(passages)) if s.get("sentence_vectors") else None
    except Exception as exc:  # any parse failure of our own files means corruption
        raise IndexStateError(f"index in {index_dir} is corrupt ({type(exc).__name__}); {hint}") from exc
    n = manifest["counts"]["passages"]
    if not (len(passages) == dense.size == lexical.size == n):
        raise IndexStateError(f"index in {index_dir} is corrupt (passage counts differ); {hint}")
    if sentences is not None and (len(sentences.spans) != manifest["counts"].get("sentences")
                                  or sentences.vectors.shape[1:] != (dense.dim,)):
        raise IndexStateError(f"index in {index_dir} is corrupt (sentence counts differ); {hint}")
    return Index(folder=gen, manifest=manifest, documents=documents, passages=passages,
                 dense=dense, lexical=lexical, sentences=sentences)


def read_stored(index_dir: Path) -> tuple[dict, list[dict], list[Passage], dict[str, np.ndarray]]:
    """The live generation's manifest, document rows (with full text), passages, and the vectors of
    every embedded text (passages and sentences) by the sha256 of the text, without version or model
    checks: incremental adds and `rebuild` use it on stale indexes too."""
    index_dir = Path(index_dir)
    gen = current_generation(index_dir)
    manifest = read_manifest(index_dir, gen)
    hint = _rebuild_hint(index_dir, manifest.get("source_roots"))
    try:
        for name in ("documents.jsonl", "passages.jsonl", "vectors.npy", SENTENCE_VECTORS, SENTENCE_SPANS):
            if (gen / name).exists() and (gen / name).stat().st_size != manifest["files"][name]:
                raise ValueError(name)
        rows = list(iter_jsonl(gen / "documents.jsonl"))
        passages = [Passage(**row) for row in iter_jsonl(gen / "passages.jsonl")]
        vectors = np.load(gen / "vectors.npy", allow_pickle=False)
        sentences = SentenceIndex.load(gen, len(passages)) if (gen / SENTENCE_SPANS).exists() else None
    except Exception as exc:  # our own files unreadable: corruption
        raise IndexStateError(f"index in {index_dir} is corrupt ({type(exc).__name__}); {hint}") from exc
    if len(passages) != len(vectors):
        raise IndexStateError(f"index in {index_dir} is corrupt (passage counts differ); {hint}")
    known: dict[str, np.ndarray] = {}
    if sentences is not None:
        texts = {row["doc_id"]: row["text"] for row in rows}
        known.update((sha256_text(t), v) for t, v in sentences.texts_and_vectors(passages, texts))
    known.update((sha256_text(p.text), vectors[i]) for i, p in enumerate(passages))  # full precision wins
    return manifest, rows, passages, known


def source_from_row(row: dict) -> Source:
    """The Source fields of a documents.jsonl row (missing or null fields are empty)."""
    return Source(**{k: str(row.get(k) or "") for k in Source.__dataclass_fields__})
