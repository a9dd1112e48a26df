"""The UI's upload panel: it only translates, ``assistant.uploads.save_and_add`` does the work
(through the same corpus code as `assistant add`)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from ..config import Config
from ..corpus import UPLOADS_DIR
from ..errors import CorpusError, IndexBusyError, IndexStateError, SourceError
from ..sources import SUPPORTED_SUFFIXES
from ..uploads import UploadResult, save_and_add

log = logging.getLogger(__name__)


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


def upload_panel(config: Config, embedder_getter: Callable[[], object]) -> None:
    """Create the upload components inside the caller's ``gr.Blocks`` (or tab) context."""
    import gradio as gr

    index_dir = Path(config.index_dir)
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
            result = save_and_add(paths, embedder_getter, config)
        except IndexBusyError:
            return "⏳ الفهرس قيد التحديث الآن؛ أعد المحاولة بعد قليل."
        except (SourceError, IndexStateError, CorpusError) as exc:
            return f"⛔ تعذّرت الإضافة: {exc}"
        return status_markdown(result, index_dir / UPLOADS_DIR)

    button.click(on_add, inputs=files, outputs=status, concurrency_limit=1)
