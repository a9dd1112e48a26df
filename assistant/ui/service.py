"""The UI's handlers: plain Python over one live index, testable without a browser or Gradio.

They only translate: a question and options in, the library's search/answer out as HTML or JSON,
library errors as friendly Arabic text. ``layout`` wires them to Gradio; ``server`` launches it.
"""

from __future__ import annotations

import logging

from ..config import DEFAULTS, Config
from ..errors import AssistantError, IndexBusyError, QueryError
from ..filters import Filters
from ..live import LiveSearcher
from ..search import check_query
from .render import document_html, esc
from .views import (
    answer_markdown,
    message_html,
    parse_cite,
    references_html,
    results_html,
    source_label,
    sources_html,
)

log = logging.getLogger(__name__)


def friendly(exc: AssistantError) -> str:
    """A library error in the UI's language (the library's English kept in brackets)."""
    if isinstance(exc, QueryError) and exc.reason == "empty":
        return "السؤال فارغ. اكتب سؤالاً بالعربية أو الإنجليزية، أو اختر أحد الأمثلة. (empty question)"
    if isinstance(exc, QueryError) and exc.reason == "unencodable":
        return "يحتوي السؤال على رموز غير صالحة؛ اكتبه أو الصقه من جديد. (invalid characters)"
    if isinstance(exc, QueryError) and exc.reason == "too_long":
        return (f"السؤال طويل جداً ({exc.length} حرفاً)؛ الحد الأقصى {exc.limit} حرف. "
                f"اختصره إلى جملة أو جملتين. (question too long)")
    if isinstance(exc, IndexBusyError):
        return f"⏳ الفهرس قيد التحديث الآن؛ أعد المحاولة بعد قليل. ({exc})"
    return f"تعذّر تنفيذ الطلب. ({exc})"


def echo(question) -> str:
    """The question as the API may send it back: text only, invalid characters replaced."""
    return question.encode("utf-8", "replace").decode("utf-8") if isinstance(question, str) else ""


def api_safe(value):
    """``value`` with every "path" key renamed "file".

    gradio_client downloads any returned dict with a "path" key as if it were a file upload, so a
    citation's file name travels as "file" in the API (the `search --json` shape otherwise).
    """
    if isinstance(value, dict):
        return {("file" if k == "path" else k): api_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [api_safe(v) for v in value]
    return value


class UIService:
    """The UI's handlers over one live index; the embedder is loaded once per process."""

    def __init__(self, config: Config, embedder=None):
        if embedder is None:
            from ..embedding.embedder import make_embedder

            embedder = make_embedder(config)
        self.config = config
        self.embedder = embedder
        self.live = LiveSearcher(config.index_dir, embedder, config)

    def problem(self, question) -> str | None:
        """A friendly Arabic message for a question the library refuses (``check_query``), else None."""
        try:
            check_query(question, self.config.max_query_chars)
        except QueryError as exc:
            return friendly(exc)
        return None

    def hits(self, question: str, k: int, filters=None):
        """Top ``k`` hits (reprints folded by the library) and the searcher used; ``filters`` are
        ``Filters.parse`` strings ("doc:ID", "outlet:NAME", "since:DATE", "until:DATE")."""
        searcher = self.live.current()
        return searcher.search(question, self._count(k, self.config.top_k), filters=Filters.parse(filters)), searcher

    def _count(self, k, default: int) -> int:
        """``k`` from a form or an API call, within 1..max_results; QueryError when it is no number."""
        try:
            k = int(k or default)
        except (TypeError, ValueError):
            raise QueryError(f"k must be a whole number, not {str(k)[:20]!r}") from None
        return max(1, min(k, self.config.max_results))

    def search(self, question: str, k: int = DEFAULTS.top_k, filters=None) -> str:
        """Result cards as HTML (the search view)."""
        message = self.problem(question)
        if message:
            return message_html(message)
        try:
            hits, searcher = self.hits(question, k, filters)
        except AssistantError as exc:
            return message_html(friendly(exc))
        texts = {h.passage.doc_id: searcher.index.documents[h.passage.doc_id].text for h in hits}
        return results_html(hits, question, texts)

    def search_api(self, question: str, k: int = DEFAULTS.top_k, sources: list[str] | None = None) -> dict:
        """Search the documents; returns {"query", "results": [...], "error"} as JSON."""
        message = self.problem(question)
        if message:
            return {"query": echo(question), "results": [], "error": message}
        try:
            hits, _ = self.hits(question, k, sources)
        except AssistantError as exc:
            return {"query": echo(question), "results": [], "error": friendly(exc)}
        return api_safe({"query": question, "results": [h.to_dict() for h in hits], "error": None})

    def open_citation(self, cite: str, question: str = "") -> str:
        """The whole source document with the cited passage highlighted in place."""
        try:
            doc_id, start, end, span = parse_cite(cite)
            doc = self.live.current().index.documents[doc_id]
        except (ValueError, KeyError):
            return message_html("تعذّر فتح هذا المرجع؛ ربما تغيّر الفهرس. أعد البحث. (citation not found)")
        s = doc.source
        meta = " · ".join(x for x in (s.outlet, s.date, s.path) if x)
        return (f'<div class="doc-view" dir="rtl"><h3>{esc(s.title or doc_id)}</h3>'
                f'<p class="cite-pos">{esc(meta)}</p>'
                f"{document_html(doc.text, start, end, question=question or '', span=span)}</div>")

    def answer(self, question: str, k: int | None = None):
        from ..answer import answer_question

        return answer_question(self.live.current(), question, k or self.config.answer_k)

    def chat(self, question: str, history: list | None):
        """Append the question and its cited answer to the conversation."""
        history = list(history or [])
        message = self.problem(question)
        if message:
            return history, question, message_html(message)
        try:
            answer = self.answer(question.strip())
        except AssistantError as exc:
            return history, question, message_html(friendly(exc))
        history += [{"role": "user", "content": esc(question.strip())},
                    {"role": "assistant", "content": answer_markdown(answer)}]
        return history, "", references_html(answer)

    def ask_api(self, question: str, k: int = DEFAULTS.answer_k) -> dict:
        """Answer a question from the documents; returns the answer JSON with numbered citations."""
        message = self.problem(question)
        if message:
            return {"question": echo(question), "found": False,
                    "error": message}
        try:
            answer = self.answer(question.strip(), self._count(k, self.config.answer_k))
        except AssistantError as exc:
            return {"question": echo(question), "found": False, "error": friendly(exc)}
        return api_safe({**answer.to_dict(), "found": bool(answer.found), "error": None})

    def examples(self) -> list[str]:
        """The collection's example questions (its ``examples.txt``, kept in the index); often none."""
        return [str(q) for q in self.live.current().index.manifest.get("examples", [])]

    def sources(self) -> str:
        return sources_html(self.live.current().index)

    def filter_choices(self) -> list[tuple[str, str]]:
        index = self.live.current().index
        outlets = sorted({d.source.outlet for d in index.documents.values() if d.source.outlet})
        docs = [(f"الوثيقة: {source_label(d.source)}", f"doc:{d.doc_id}") for d in index.documents.values()]
        return [(f"الوسيلة: {o}", f"outlet:{o}") for o in outlets] + docs
