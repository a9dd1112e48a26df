"""Uploads from the web: checked, copied into ``<index>/uploads/`` and added through the same
``corpus.add_paths`` as ``assistant add``.

Uploads are copied under a sanitised base name (no folders, no leading dots, only letters,
digits, ``-_. `` and spaces), so a crafted name such as ``../../etc/x.txt`` cannot escape that
folder. A running LiveSearcher picks up the new generation by itself.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .corpus import UPLOADS_DIR, AddReport, add_paths, iter_candidates, list_documents
from .errors import CorpusError
from .lock import index_lock
from .sources import SUPPORTED_SUFFIXES

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^\w\-. ]+")
MAX_NAME = 120


def safe_name(name: str) -> str:
    """A harmless base name for an uploaded file (keeps Arabic letters and the suffix)."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/")).split("/")[-1]
    base = _UNSAFE.sub("_", base).strip(" .")  # no hidden files, no "..", no trailing dots
    stem, suffix = os.path.splitext(base)
    stem = re.sub(r"[_ ]{2,}", "_", stem).strip(" ._")[: MAX_NAME] or "upload"
    return stem + suffix.lower()


@dataclass(frozen=True)
class UploadResult:
    report: AddReport | None
    rejected: tuple[str, ...]  # one line per refused file (type, size, unreadable)


def save_and_add(files: list[str], embedder_getter: Callable[[], object], config: Config) -> UploadResult:
    """Check, copy into ``config.index_dir/uploads/`` and add the uploaded files, under the write
    lock, with the limits of ``config`` (upload_max_files, upload_max_mb)."""
    if not config.uploads:
        raise CorpusError("uploads are switched off (ASSISTANT_UPLOADS=0)")
    index_dir = Path(config.index_dir)
    folder = index_dir / UPLOADS_DIR
    limit = config.upload_max_mb * 1024 * 1024
    rejected: list[str] = []
    if len(files) > config.upload_max_files:
        rejected += [f"{Path(f).name}: too many files at once (at most {config.upload_max_files})"
                     for f in files[config.upload_max_files:]]
        files = files[: config.upload_max_files]
    with index_lock(index_dir):
        folder.mkdir(parents=True, exist_ok=True)
        saved, created = [], []
        for original in map(Path, files):
            name = safe_name(original.name)
            if Path(name).suffix not in SUPPORTED_SUFFIXES:
                rejected.append(f"{original.name}: unsupported file type "
                                f"(allowed: {', '.join(sorted(SUPPORTED_SUFFIXES))})")
                continue
            if original.stat().st_size > limit:
                rejected.append(f"{original.name}: larger than {config.upload_max_mb} MB")
                continue
            problems: list[str] = []
            if not list(iter_candidates([original], problems)) or problems:  # read before keeping it
                rejected += [p.replace(str(original), original.name) for p in problems] or \
                    [f"{original.name}: no text found"]
                continue
            target = folder / name
            if target.resolve().parent != folder.resolve():  # cannot happen after safe_name; be sure
                rejected.append(f"{original.name}: unsafe file name")
                continue
            if not target.exists():
                created.append(target)
            tmp = folder / f".{uuid.uuid4().hex}.part"
            shutil.copyfile(original, tmp)
            os.replace(tmp, target)  # a half-copied upload is never seen under its name
            saved.append(target)
        report = add_paths(index_dir, saved, embedder_getter) if saved else None
        if report is not None and created:
            kept = {info.origin for info in list_documents(index_dir)}
            for path in created:  # a duplicate or refused copy is not kept
                if str(path.resolve()) not in kept:
                    path.unlink(missing_ok=True)
    return UploadResult(report, tuple(rejected))
