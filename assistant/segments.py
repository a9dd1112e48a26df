"""Immutable index segments: one folder per batch of documents, never changed once written.

A segment holds its documents (full text), passages, passage vectors, FAISS index, BM25 postings
and sentence vectors, plus ``segment.json``: its versions, counts, file sizes and a table of its
documents (sha256, source, origin, passage rows, byte range of its documents.jsonl line), so an
``add`` or ``remove`` reads that table, not the text. Deletions are not the segment's business:
the commit (store.py) lists, per segment, the ids deleted from it.

Layout of ``seg-<stamp>-<id>/``: segment.json, documents.jsonl, passages.jsonl, vectors.npy,
dense.faiss, bm25/ (lexical.Postings), sentences.npy + sentence_spans.npy (sentences.py).
A segment is written into ``.tmp-seg-…``, fsynced, then renamed: it exists whole or not at all.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .chunk import PASSAGE_INPUT_VERSION, chunk_document, model_text
from .decode import make_document, sha256_text
from .dense import FLAT_MAX, DenseIndex
from .embedding.cache import embed_missing
from .jsonl import iter_jsonl, write_jsonl
from .lexical import Postings, analyze_texts
from .records import Document, Passage, Source
from .sentences import SPANS as SENTENCE_SPANS
from .sentences import VECTORS as SENTENCE_VECTORS
from .sentences import SentenceIndex

TABLE = "segment.json"
SEGMENT_FLAT_MAX = 4096  # in an index of more than dense.FLAT_MAX passages (see write_segment)
PREFIX = "seg-"


class BadSegment(Exception):
    """A segment's files are missing, truncated or unreadable (the message says which)."""


@dataclass(frozen=True)
class SegmentData:
    """A segment in memory, before it is written."""

    rows: list[dict]  # documents.jsonl rows, with full text
    passages: list[Passage]
    vectors: np.ndarray
    sentences: SentenceIndex | None
    postings: Postings


@dataclass(frozen=True)
class Segment:
    """A segment loaded for search (shared, unchanged, by every commit that lists it)."""

    name: str
    table: dict
    rows: list[dict]
    passages: list[Passage]
    dense: DenseIndex
    postings: Postings
    sentences: SentenceIndex | None


def embed_texts(texts: list[str], embedder, known: dict[str, np.ndarray], *,
                show_progress: bool = False) -> np.ndarray:
    """Document vectors for ``texts``, embedding only those whose sha256 is not in ``known`` (the
    new ones are added to it, so a sentence equal to a passage is embedded once)."""
    return embed_missing(texts, known, lambda todo: embedder.embed_documents(todo, show_progress=show_progress),
                         embedder.dim)


def prepare(docs: list[Document], embedder, settings, *, reuse: dict | None = None,
            extra: dict[str, dict] | None = None, show_progress: bool = False) -> SegmentData:
    """Chunk, embed and analyse ``docs`` (``settings``: store.BuildSettings)."""
    reuse, extra = dict(reuse or {}), extra or {}
    passages = [p for doc in docs for p in chunk_document(doc, settings.max_chars, settings.overlap)]
    titles = {d.doc_id: d.source.title for d in docs}
    inputs = [model_text(p.text, titles[p.doc_id]) for p in passages]  # each with its headline
    plain = [t == p.text for t, p in zip(inputs, passages, strict=True)]
    if settings.sentence_vectors:
        # Passages and sentences in one call: on a cluster one job (each node loads the model once),
        # and the same length-sorted batches there as here. The two calls below find them in ``reuse``.
        embed_texts(inputs + sentence_texts(passages, docs, plain), embedder, reuse, show_progress=show_progress)
    vectors = embed_texts(inputs, embedder, reuse, show_progress=show_progress)
    sentences = None
    if settings.sentence_vectors:
        sentences = SentenceIndex.build(passages, {d.doc_id: d for d in docs}, vectors,
                                        lambda texts: embed_texts(texts, embedder, reuse, show_progress=show_progress),
                                        plain)
    lexical = titles if settings.lexical_title else {}
    tokens = analyze_texts([f"{lexical.get(p.doc_id, '')}\n{p.text}" for p in passages], stem=settings.stem,
                           stopwords=settings.stopwords, show_progress=show_progress)
    counts = {d.doc_id: 0 for d in docs}
    for p in passages:
        counts[p.doc_id] += 1
    rows = [{**extra.get(d.doc_id, {}), **d.source.to_dict(), "sha256": d.sha256, "spans": d.spans,
             "text": d.text, "passages": counts[d.doc_id]} for d in docs]
    return SegmentData(rows, passages, vectors, sentences, Postings.from_tokens(tokens))


def sentence_texts(passages: list[Passage], docs: list[Document], plain: list[bool] | None = None) -> list[str]:
    """The sentences ``SentenceIndex.build`` embeds (``SentenceIndex.own_rows``)."""
    spans = SentenceIndex.spans_of(passages, {d.doc_id: d for d in docs})
    own = SentenceIndex.own_rows(spans, len(passages), plain)
    text = {d.doc_id: d.text for d in docs}
    return [text[passages[i].doc_id][a:b] for (i, a, b), mine in zip(spans.tolist(), own, strict=True) if mine]


def write_segment(index_dir: Path, data: SegmentData, versions: dict, index_size: int = 0) -> str:
    """Write ``data`` as a new segment folder of ``index_dir``; returns its name.

    Args:
        index_size: passages in the whole index once this segment is in it. An index small enough
            for exact search keeps every segment exact; in a larger one, whose search is
            approximate anyway, a segment beyond ``SEGMENT_FLAT_MAX`` gets an inverted file too
            (an exact scan of tens of thousands of vectors would cost more than the big segment's search).
    """
    name = f"{PREFIX}{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir(parents=True)
    lines = [json.dumps(row, ensure_ascii=False) + "\n" for row in data.rows]
    write_jsonl(tmp / "documents.jsonl", data.rows)
    write_jsonl(tmp / "passages.jsonl", (p.to_dict() for p in data.passages))
    np.save(tmp / "vectors.npy", np.ascontiguousarray(data.vectors, np.float32), allow_pickle=False)
    big_index = index_size > FLAT_MAX
    dense = DenseIndex.build(data.vectors, flat_max=SEGMENT_FLAT_MAX if big_index else None)
    dense.save(tmp / "dense.faiss")
    data.postings.save(tmp / "bm25")
    if data.sentences is not None:
        data.sentences.save(tmp)
    table, row, offset = {}, 0, 0
    sent_ptr = data.sentences.ptr if data.sentences is not None else None
    for doc, line in zip(data.rows, lines, strict=True):
        size = len(line.encode("utf-8"))
        entry = {"sha256": doc["sha256"], "origin": doc.get("origin", ""), "source": source_from_row(doc).to_dict(),
                 "rows": [row, row + doc["passages"]], "line": [offset, size]}
        if sent_ptr is not None:
            entry["sentences"] = [int(sent_ptr[row]), int(sent_ptr[row + doc["passages"]])]
        table[doc["doc_id"]] = entry
        row, offset = row + doc["passages"], offset + size
    meta = {"segment": 1, "versions": versions, "dense": dense.describe(),
            "counts": {"documents": len(data.rows), "passages": len(data.passages),
                       "sentences": len(data.sentences.spans) if data.sentences is not None else 0},
            "files": {p.relative_to(tmp).as_posix(): p.stat().st_size for p in sorted(tmp.rglob("*")) if p.is_file()},
            "documents": table}
    (tmp / TABLE).write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    fsync_tree(tmp)
    os.replace(tmp, index_dir / name)
    return name


def fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_table(index_dir: Path, name: str) -> dict:
    """``segment.json`` of segment ``name``, its files checked for presence and size."""
    folder = index_dir / name
    try:
        stat = (folder / TABLE).stat()
        key = (str(folder.resolve()), stat.st_mtime_ns, stat.st_size)
        meta = _TABLES.get(key)
        if meta is None:
            meta = json.loads((folder / TABLE).read_text("utf-8"))
            _remember(key, meta)
        files = meta["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadSegment(f"{name}/{TABLE} missing or unreadable") from exc
    for file, size in files.items():
        p = folder / file
        if not p.is_file() or p.stat().st_size != size:
            raise BadSegment(f"{name}/{file} missing or truncated")
    return meta


_TABLES: dict[tuple, dict] = {}  # segments never change: a table read once (same file) is kept
_TABLES_KEPT = 64


def _remember(key: tuple, meta: dict) -> None:
    _TABLES[key] = meta
    while len(_TABLES) > _TABLES_KEPT:
        try:
            _TABLES.pop(next(iter(_TABLES)), None)
        except (RuntimeError, StopIteration):  # another thread changed it meanwhile: it trims too
            break


def load_segment(index_dir: Path, name: str) -> Segment:
    table = read_table(index_dir, name)
    folder = index_dir / name
    try:
        rows = list(iter_jsonl(folder / "documents.jsonl"))
        passages = [Passage(**row) for row in iter_jsonl(folder / "passages.jsonl")]
        dense = DenseIndex.load(folder / "dense.faiss")
        postings = Postings.load(folder / "bm25")
        sentences = SentenceIndex.load(folder, len(passages)) if (folder / SENTENCE_SPANS).exists() else None
    except Exception as exc:  # any parse failure of our own files means corruption
        raise BadSegment(f"{name} unreadable ({type(exc).__name__})") from exc
    counts = table["counts"]
    if not (len(passages) == dense.size == postings.size == counts["passages"] and len(rows) == counts["documents"]):
        raise BadSegment(f"{name}: passage counts differ")
    if sentences is not None and (len(sentences.spans) != counts["sentences"]
                                  or sentences.vectors.shape[1] != dense.dim):
        raise BadSegment(f"{name}: sentence counts differ")
    return Segment(name, table, rows, passages, dense, postings, sentences)


def read_row(index_dir: Path, name: str, entry: dict) -> dict:
    """One document's documents.jsonl row, read by its byte range."""
    offset, size = entry["line"]
    with open(index_dir / name / "documents.jsonl", "rb") as f:
        f.seek(offset)
        return json.loads(f.read(size).decode("utf-8"))


@lru_cache(maxsize=256)
def _read_with_headline(index_dir: Path, name: str) -> bool:
    """Whether segment ``name`` embedded its passages with their headline (its versions say; a segment
    never changes once written, so this is read once, not per document)."""
    return read_table(index_dir, name).get("versions", {}).get("passage_input") == PASSAGE_INPUT_VERSION


def stored_vectors(index_dir: Path, name: str, entry: dict) -> dict[str, np.ndarray]:
    """{sha256 of the text the model read: vector} for one stored document's passages and sentences
    (to reuse them). A passage is keyed by ``chunk.model_text`` in a segment whose passages were
    embedded with their headline, by its text alone in an older one."""
    folder = index_dir / name
    row = read_row(index_dir, name, entry)
    titled = _read_with_headline(index_dir, name)
    a, b = entry["rows"]
    vectors = np.load(folder / "vectors.npy", mmap_mode="r")[a:b]
    passages = [Passage(**r) for r in _lines(folder / "passages.jsonl", a, b)] if b > a else []
    known: dict[str, np.ndarray] = {}
    if "sentences" in entry and (folder / SENTENCE_VECTORS).exists():
        s0, s1 = entry["sentences"]
        spans = np.load(folder / SENTENCE_SPANS, mmap_mode="r")[s0:s1]
        svecs = np.load(folder / SENTENCE_VECTORS, mmap_mode="r")[s0:s1]
        known.update((sha256_text(row["text"][x:y]), np.asarray(v, np.float32)) for (_, x, y), v in zip(spans, svecs,
                                                                                                          strict=True))
    title = row.get("title", "") if titled else ""
    known.update((sha256_text(model_text(p.text, title)), np.asarray(v, np.float32))
                 for p, v in zip(passages, vectors, strict=True))
    return known


def iter_rows(index_dir: Path, name: str):
    """The documents.jsonl rows (full text) of segment ``name``."""
    try:
        yield from iter_jsonl(index_dir / name / "documents.jsonl")
    except (OSError, ValueError) as exc:
        raise BadSegment(f"{name}/documents.jsonl unreadable") from exc


def _lines(path: Path, a: int, b: int):
    """Rows a..b-1 of a JSON Lines file."""
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= b:
                break
            if i >= a:
                yield json.loads(line)


def document_of(row: dict) -> Document:
    return make_document(source_from_row(row), row["text"])


def source_from_row(row: dict) -> Source:
    """The Source fields of a documents.jsonl row (missing or null fields are empty)."""
    return Source(**{k: str(row.get(k) or "") for k in Source.__dataclass_fields__})
