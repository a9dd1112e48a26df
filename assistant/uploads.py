"""Uploads from the web: checked, copied into ``<index>/uploads/`` and added through the same
``corpus.add_paths`` as ``assistant add``.

Rules (for the web UI and the HTTP API alike):

- An upload never replaces a document its uploader did not create. Every document id a file
  brings (a ``.txt`` file's name, a ``.md`` front-matter ``id``, a ``.jsonl`` record's ``id``)
  must be new, or belong to a document the same user uploaded from a file of the same name;
  otherwise the file is refused in one line. The same holds for the file name itself.
  Who uploaded which file is kept in ``uploads/.owners.json``.
- Limits: files per upload, megabytes per file, passages per file (``Config.upload_*``).
- Messages name the user's files, never a server path.
- One upload at a time per index: a second one is refused at once ("busy"), not queued.
- Copies that never made it into the index (a server killed mid-upload) are swept away.

Uploads are copied under a sanitised base name (no folders, no leading dots, only letters,
digits, ``-_. `` and spaces), so a crafted name such as ``../../etc/x.txt`` cannot escape.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .chunk import chunk_document
from .config import Config
from .corpus import UPLOADS_DIR, AddReport, add_paths, iter_candidates, list_documents, remove_documents
from .errors import AccessError, CorpusError, UnknownDocumentError
from .lock import index_lock
from .sources import SUPPORTED_SUFFIXES

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^\w\-. ]+")
MAX_NAME = 120
OWNERS = ".owners.json"


def safe_name(name: str) -> str:
    """A harmless base name for an uploaded file (keeps Arabic letters and the suffix)."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/")).split("/")[-1]
    base = _UNSAFE.sub("_", base).strip(" .")  # no hidden files, no "..", no trailing dots
    stem, suffix = os.path.splitext(base)
    stem = re.sub(r"[_ ]{2,}", "_", stem).strip(" ._")[: MAX_NAME] or "upload"
    return stem + suffix.lower()


@dataclass(frozen=True)
class UploadResult:
    report: AddReport | None  # file names only, never server paths
    rejected: tuple[str, ...]  # one line per refused file (type, size, passages, taken id, unreadable)

    def to_dict(self) -> dict:
        r = self.report
        return {"added": list(r.added) if r else [], "updated": list(r.updated) if r else [],
                "unchanged": list(r.unchanged) if r else [],
                "duplicates": [{"file": f, "doc_id": d} for f, d in r.duplicates] if r else [],
                "rejected": [*self.rejected, *(r.skipped if r else ())],
                "documents": r.documents if r else None, "passages": r.passages if r else None}


def _owners(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / OWNERS).read_text("utf-8"))
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_owners(folder: Path, owners: dict[str, str]) -> None:
    tmp = folder / f".owners.{uuid.uuid4().hex}.part"
    tmp.write_text(json.dumps(owners, ensure_ascii=False, sort_keys=True), "utf-8")
    os.replace(tmp, folder / OWNERS)


def sweep(index_dir: Path) -> list[str]:
    """Remove what a killed upload left in ``uploads/`` (partial copies, staging folders, copies
    no document came from); the caller holds the index lock. Returns the names removed."""
    folder = Path(index_dir) / UPLOADS_DIR
    if not folder.is_dir():
        return []
    kept = {Path(info.origin).name for info in list_documents(index_dir)
            if info.origin and Path(info.origin).parent == folder.resolve()}
    removed = []
    for path in folder.iterdir():
        if path.name == OWNERS or path.name in kept:
            continue
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        removed.append(path.name)
    owners = _owners(folder)
    if set(owners) - kept:
        _save_owners(folder, {k: v for k, v in owners.items() if k in kept})
    if removed:
        log.info("removed %d upload copies that are in no document: %s", len(removed), ", ".join(removed))
    return removed


def _public(message: str, *folders: Path) -> str:
    """``message`` without the server's folders: users know their file names, not our paths."""
    for folder in folders:
        message = message.replace(str(folder.resolve()) + os.sep, "").replace(str(folder) + os.sep, "")
    return message


def save_and_add(files: list[str], embedder_getter: Callable[[], object], config: Config,
                 owner: str = "local") -> UploadResult:
    """Check, copy into ``config.index_dir/uploads/`` and add the uploaded files for ``owner``,
    under the write lock (IndexBusyError at once when another change runs)."""
    if not config.uploads:
        raise CorpusError("uploads are switched off on this server")
    index_dir = Path(config.index_dir)
    folder = index_dir / UPLOADS_DIR
    rejected: list[str] = []
    if len(files) > config.upload_max_files:
        rejected += [f"{safe_name(Path(f).name)}: too many files at once (at most {config.upload_max_files})"
                     for f in files[config.upload_max_files:]]
        files = files[: config.upload_max_files]
    with index_lock(index_dir):
        folder.mkdir(parents=True, exist_ok=True)
        sweep(index_dir)
        staging = folder / f".staging-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            ready = _check(files, staging, folder, owner, config, rejected)
            owners = _owners(folder)
            saved = []
            for name in ready:
                os.replace(staging / name, folder / name)  # a half-copied upload is never seen under its name
                owners[name] = owner
                saved.append(folder / name)
            if saved:
                _save_owners(folder, owners)
            report = add_paths(index_dir, saved, embedder_getter) if saved else None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            sweep(index_dir)  # a duplicate, refused or failed copy is not kept
    if report is not None:
        report = dataclasses.replace(
            report, duplicates=tuple((Path(f).name, d) for f, d in report.duplicates),
            skipped=tuple(_public(m, folder) for m in report.skipped))
    return UploadResult(report, tuple(_public(m, staging, folder) for m in rejected))


def _check(files: list[str], staging: Path, folder: Path, owner: str, config: Config,
           rejected: list[str]) -> list[str]:
    """Copy each acceptable file into ``staging`` under its safe name; the names kept."""
    existing = {info.doc_id: info.origin for info in list_documents(folder.parent)}
    owners = _owners(folder)
    limit = config.upload_max_mb * 1024 * 1024
    claimed: set[str] = set()
    ready: list[str] = []
    for original in map(Path, files):
        name = safe_name(original.name)
        target = folder / name
        if Path(name).suffix not in SUPPORTED_SUFFIXES:
            rejected.append(f"{name}: unsupported file type (allowed: {', '.join(sorted(SUPPORTED_SUFFIXES))})")
            continue
        if original.stat().st_size > limit:
            rejected.append(f"{name}: larger than {config.upload_max_mb} MB")
            continue
        mine = owners.get(name) == owner
        if name in ready or (target.exists() and not mine):
            rejected.append(f"{name}: another upload already has this file name; rename your file")
            continue
        copy = staging / name
        shutil.copyfile(original, copy)
        problems: list[str] = []
        docs = [c.document for c in iter_candidates([copy], problems)]
        reason = _refusal(name, docs, problems, existing, str(target.resolve()) if mine else None, claimed, config)
        if reason:
            rejected.append(reason)
            copy.unlink()
            continue
        claimed.update(d.doc_id for d in docs)
        ready.append(name)
    return ready


def _refusal(name: str, docs: list, problems: list[str], existing: dict[str, str], own_origin: str | None,
             claimed: set[str], config: Config) -> str | None:
    """Why a staged file may not be added (one line), or None."""
    if problems or not docs:
        return problems[0] if problems else f"{name}: no text found"
    for doc in docs:
        if doc.doc_id in claimed or (doc.doc_id in existing and existing[doc.doc_id] != own_origin):
            what = "file name" if name.endswith(".txt") else "file name or the id inside the file"
            return (f"{name}: the collection already has a document with the id {doc.doc_id!r}; "
                    f"change the {what} to add it as a new document")
    passages = sum(len(chunk_document(doc, config.max_passage_chars)) for doc in docs)
    if passages > config.upload_max_passages:
        return (f"{name}: too long ({passages} passages; at most {config.upload_max_passages} per file); "
                "split it into smaller files")
    return None


def remove_upload(index_dir: Path, doc_id: str, owner: str) -> dict:
    """Remove document ``doc_id`` if ``owner`` uploaded it (AccessError otherwise); the index's new
    counts. The documents built or added from the command line are changed only from there."""
    index_dir = Path(index_dir)
    folder = (index_dir / UPLOADS_DIR).resolve()
    with index_lock(index_dir):
        origins = {info.doc_id: info.origin for info in list_documents(index_dir)}
        if doc_id not in origins:
            raise UnknownDocumentError(f"no document with the id {doc_id!r}")
        origin = Path(origins[doc_id]) if origins[doc_id] else None
        if origin is None or origin.parent != folder or _owners(folder).get(origin.name) != owner:
            raise AccessError(f"document {doc_id!r} was not uploaded by you; only its uploader (or the "
                              "server's administrator, with `assistant remove`) can remove it")
        return remove_documents(index_dir, [doc_id])


def uploaded_by(index_dir: Path, owner: str) -> set[str]:
    """The ids of the documents ``owner`` uploaded."""
    folder = (Path(index_dir) / UPLOADS_DIR).resolve()
    owners = _owners(folder)
    return {info.doc_id for info in list_documents(index_dir)
            if info.origin and Path(info.origin).parent == folder and owners.get(Path(info.origin).name) == owner}
