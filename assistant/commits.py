"""Writing a change: new segments, then a commit naming them, then ``CURRENT`` swapped to it
(``os.replace``, fsynced), then whatever no commit names any more deleted. Readers see one
commit or the next, never half of one; a crash at any point leaves the previous commit whole.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import asdict
from pathlib import Path

from . import __version__
from .errors import IndexStateError
from .lexical import BM25_PARAMS
from .manifest import COMMIT_PREFIX, FORMAT, FORMAT_VERSION, POINTER, BuildSettings, expected_versions
from .segments import PREFIX as SEGMENT_PREFIX
from .segments import read_table, write_segment


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
