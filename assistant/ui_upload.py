"""The UI's upload panel: files go through the same corpus code as `assistant add`.

Uploads are copied into ``<index>/uploads/`` under a sanitised base name (no folders, no
leading dots, only letters, digits, ``-_. `` and spaces), so a crafted name such as
``../../etc/x.txt`` cannot escape that folder. A running LiveSearcher picks up the new
generation by itself, so the search tab serves the new documents at once.
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
from .lock import IndexBusyError, index_lock
from .sources import SUPPORTED_SUFFIXES, SourceError
from .store import IndexStateError

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


def save_and_add(index_dir: Path, files: list[str], embedder_getter: Callable[[], object],
                 config: Config | None = None) -> UploadResult:
    """Check, copy into ``index_dir/uploads/`` and add the uploaded files; under the write lock."""
    config = config or Config.from_env()
    if not config.uploads:
        raise PermissionError("uploads are switched off (ASSISTANT_UPLOADS=0)")
    index_dir = Path(index_dir)
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


def status_markdown(result: UploadResult, uploads: Path) -> str:
    """The Arabic status shown under the upload button."""
    lines = []
    report = result.report
    prefix = str(uploads.resolve()) + os.sep

    def short(message: str) -> str:  # users know their file names, not our folders
        return message.replace(prefix, "")

    if report is not None:
        if report.added:
            lines.append("✅ أُضيفت: " + "، ".join(report.added))
        if report.updated:
            lines.append("🔄 حُدِّثت: " + "، ".join(report.updated))
        if report.unchanged:
            lines.append(f"لم تتغير: {len(report.unchanged)}")
        lines += [f"⚠️ مكررة (نصها موجود في الوثيقة {doc_id}): {short(name)}"
                  for name, doc_id in report.duplicates]
        lines += [f"⚠️ تُجوهلت: {short(message)}" for message in report.skipped]
    lines += [f"⛔ رُفضت: {message}" for message in result.rejected]
    if report is not None:
        lines.append(f"الفهرس الآن: {report.documents} وثيقة، {report.passages} مقطعاً "
                     f"({report.embedded} مقطعاً جديداً)")
    return "\n\n".join(lines) or "لم تُختر أي ملفات."


def upload_panel(index_dir: Path, embedder_getter: Callable[[], object]) -> None:
    """Create the upload components inside the caller's ``gr.Blocks`` (or tab) context."""
    import gradio as gr

    config = Config.from_env()
    index_dir = Path(index_dir)
    allowed = sorted(SUPPORTED_SUFFIXES)
    gr.Markdown(f"أضف وثائقك إلى المجموعة ({'، '.join(allowed)}؛ حتى {config.upload_max_mb} ميغابايت "
                f"للملف، و{config.upload_max_files} ملفاً في المرة). تُضمَّن النصوص الجديدة فقط، "
                "ويبقى البحث متاحاً أثناء التحديث.", rtl=True)
    files = gr.File(label="الملفات", file_count="multiple", file_types=allowed, type="filepath",
                    elem_id="upload-files")
    button = gr.Button("أضف إلى المجموعة", variant="primary", elem_id="upload-button")
    status = gr.Markdown(rtl=True, elem_id="upload-status")

    def on_add(paths):
        if not paths:
            return "لم تُختر أي ملفات."
        paths = [paths] if isinstance(paths, str) else list(paths)
        try:
            result = save_and_add(index_dir, paths, embedder_getter, config)
        except IndexBusyError:
            return "⏳ الفهرس قيد التحديث الآن؛ أعد المحاولة بعد قليل."
        except (SourceError, IndexStateError) as exc:
            return f"⛔ تعذّرت الإضافة: {exc}"
        return status_markdown(result, index_dir / UPLOADS_DIR)

    button.click(on_add, inputs=files, outputs=status, concurrency_limit=1)
