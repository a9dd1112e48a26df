"""The UI's upload panel: it only translates; ``assistant.uploads.save_and_add`` does the work
(the same code and limits as the API's ``POST /api/v1/documents`` and `assistant add`).

Imported only when the UI is built, so gradio is imported at the top (``gr.Request`` in a
handler's annotations must resolve from this module's globals).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import gradio as gr

from ..corpus import UPLOADS_DIR
from ..errors import AccessError, CorpusError, IndexBusyError, IndexStateError, NotReadyError, SourceError
from ..sources import SUPPORTED_SUFFIXES
from ..uploads import UploadResult

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


def upload_panel(service) -> None:
    """Create the upload components inside the caller's ``gr.Blocks`` (or tab) context."""
    config = service.config
    index_dir = Path(config.index_dir)
    allowed = sorted(SUPPORTED_SUFFIXES)
    gr.Markdown(f"أضف وثائقك إلى المجموعة ({'، '.join(allowed)}؛ حتى {config.upload_max_mb} ميغابايت "
                f"و{config.upload_max_passages} مقطعاً للملف، و{config.upload_max_files} ملفاً في المرة). "
                "تُضمَّن النصوص الجديدة فقط، ويبقى البحث متاحاً أثناء التحديث. لا يمكن لأي رفع أن يستبدل "
                "وثيقة لم ترفعها أنت.", rtl=True)
    files = gr.File(label="الملفات", file_count="multiple", file_types=allowed, type="filepath",
                    elem_id="upload-files")
    button = gr.Button("أضف إلى المجموعة", variant="primary", elem_id="upload-button")
    status = gr.Markdown(rtl=True, elem_id="upload-status")

    def on_add(paths, request: gr.Request):
        if not paths:
            return "لم تُختر أي ملفات."
        paths = [paths] if isinstance(paths, str) else list(paths)
        try:
            result = service.upload(paths, request.username if request else None)
        except IndexBusyError:
            return "⏳ يُضاف رفعٌ آخر إلى المجموعة الآن؛ أعد المحاولة بعد دقيقة. (busy: another upload is running)"
        except AccessError as exc:
            return f"⛔ {exc}"
        except (SourceError, IndexStateError, CorpusError, NotReadyError) as exc:
            return f"⛔ تعذّرت الإضافة: {exc}"
        finally:
            discard(paths)
        return status_markdown(result, index_dir / UPLOADS_DIR)

    # Not queued one by one: a second upload while one runs is told at once that it must wait.
    button.click(on_add, inputs=files, outputs=status, concurrency_limit=4, api_visibility="private")


def discard(paths: list[str]) -> None:
    """Delete Gradio's temporary copies of uploaded files (only inside its upload cache)."""
    import tempfile

    cache = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()
    for p in map(Path, paths):
        try:
            p = p.resolve()
            if p.is_relative_to(cache) and p.is_file():
                p.unlink()
                if p.parent != cache and not any(p.parent.iterdir()):
                    p.parent.rmdir()
        except OSError as exc:
            log.info("could not delete the temporary upload %s: %s", p.name, exc)
