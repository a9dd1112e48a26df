"""The UI's handlers: plain Python over one live index, testable without a browser or Gradio.

They only translate: a question and options in, the library's search/answer out as HTML or JSON,
library errors as friendly Arabic text. ``layout`` wires them to Gradio; ``server`` launches it.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable

from ..access import Access
from ..config import DEFAULTS, Config
from ..errors import AccessError, AssistantError, IndexBusyError, NotReadyError, QueryError
from ..filters import Filters
from ..live import LiveSearcher
from ..search import check_query
from ..store import load_index
from ..uploads import UploadResult
from ..users import User
from .render import document_html, esc
from .views import (
    answer_markdown,
    cite_value,
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
    if isinstance(exc, NotReadyError):
        return f"⏳ جارٍ تحميل النموذج… أعد المحاولة بعد ثوانٍ. ({exc})"
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
    """The UI's handlers over one live index; the embedder is loaded once per process.

    With ``background=True`` the model loads in a thread started by ``start_loading()``: the index
    (sources, examples, filters) is there at once, and questions get a "loading the model…"
    message until ``ready``.
    """

    def __init__(self, config: Config, embedder=None, *, access: Access | None = None,
                 background: bool = False, on_ready: Callable[[], None] | None = None):
        self.config = config
        self.access = access or Access()
        self.live: LiveSearcher | None = None
        self.load_error: str | None = None
        self._early_index = None
        self._ready = threading.Event()
        self._on_ready = None
        if embedder is not None:
            self._attach(embedder)
        elif background:
            self._early_index = load_index(config.index_dir)  # fails now, before any thread, if unusable
            self._on_ready = on_ready
        else:
            from ..embedding.embedder import make_embedder

            self._attach(make_embedder(config))

    def _attach(self, embedder) -> None:
        if self.config.query_batch > 1:  # concurrent users' questions share forward passes
            from ..batcher import QueryBatcher

            embedder = QueryBatcher(embedder, max_batch=self.config.query_batch,
                                    wait_ms=self.config.query_batch_wait_ms)
        self.live = LiveSearcher(self.config.index_dir, embedder, self.config)
        self._early_index = None
        self._ready.set()

    def start_loading(self) -> None:
        if not self.ready:
            threading.Thread(target=self._load, args=(self._on_ready,), name="model-loader", daemon=True).start()

    def _load(self, on_ready) -> None:
        from ..embedding.embedder import make_embedder

        try:
            embedder = make_embedder(self.config)
            if self.config.query_graph and hasattr(embedder, "use_query_graph"):
                embedder.use_query_graph(build=True, report=log.warning)
            self._attach(embedder)
        except AssistantError as exc:
            self.load_error = str(exc)
            log.error("the model could not be loaded: %s", exc)
            return
        except Exception as exc:  # a bug, but the page must say so instead of "loading" for ever
            self.load_error = f"{type(exc).__name__}: {exc}"
            log.exception("the model could not be loaded")
            return
        if on_ready is not None:
            on_ready()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    @property
    def embedder(self):
        return self.current().embedder

    def current(self):
        """The live Searcher; NotReadyError while the model is still loading."""
        if self.live is None:
            if self.load_error:
                raise NotReadyError(f"the model could not be loaded ({self.load_error}); ask the administrator")
            raise NotReadyError("the model is still loading; try again in a few seconds")
        return self.live.current()

    def index(self):
        """The live index (loaded before the model, so it is there while the model loads)."""
        return self.live.current().index if self.live is not None else self._early_index

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
        searcher = self.current()
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
            doc = self.index().documents[doc_id]
        except (ValueError, KeyError):
            return message_html("تعذّر فتح هذا المرجع؛ ربما تغيّر الفهرس. أعد البحث. (citation not found)")
        s = doc.source
        meta = " · ".join(x for x in (s.outlet, s.date, s.path) if x)
        return (f'<div class="doc-view" dir="rtl"><h3>{esc(s.title or doc_id)}</h3>'
                f'<p class="cite-pos">{esc(meta)}</p>'
                f"{document_html(doc.text, start, end, question=question or '', span=span)}</div>")

    def answer(self, question: str, k: int | None = None, previous: list[str] | tuple = ()):
        """The cited answer; ``previous``: the conversation's earlier questions, oldest first (a
        follow-up keeps what they asked unless it says it anew)."""
        from ..answer import answer_question

        return answer_question(self.current(), question, k or self.config.answer_k, previous=previous)

    def chat(self, question: str, history: list | None):
        """Append the question and its cited answer to the conversation: (history, box, references)."""
        return self.chat_turn(question, history)[:3]

    def chat_turn(self, question: str, history: list | None):
        """Like ``chat``, plus the answer's chart points (``ChartPoint.to_dict``; empty when the
        sources do not differ on a number)."""
        from ..answer.table import chart_points

        history = list(history or [])
        message = self.problem(question)
        if message:
            return history, question, message_html(message), []
        # The chat shows the questions escaped; the earlier ones, as typed, make it a conversation.
        previous = [html.unescape(m["content"]) for m in history
                    if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str)]
        try:
            answer = self.answer(question.strip(), previous=previous[-self.config.max_history:])
        except AssistantError as exc:
            return history, question, message_html(friendly(exc)), []
        history += [{"role": "user", "content": esc(question.strip())},
                    {"role": "assistant", "content": answer_markdown(answer)}]
        return history, "", references_html(answer), [p.to_dict() for p in chart_points(answer)]

    def open_chart_point(self, points: list[dict], selected) -> str:
        """The cited passage of the chart's bar ``selected`` (a label, or the labels a brush covers)."""
        from ..answer.table import ChartPoint

        labels = selected if isinstance(selected, list) else [selected]
        for d in points or []:
            p = ChartPoint.from_dict(d)
            if p.label in labels:
                return self.open_citation(cite_value(p.doc_id, p.start, p.end))
        return message_html("حدّد عموداً من الرسم لفتح مرجعه. (select a bar to open its source)")

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
        return [str(q) for q in self.index().manifest.get("examples", [])]

    def sources(self) -> str:
        return sources_html(self.index())

    def filter_choices(self) -> list[tuple[str, str]]:
        index = self.index()
        outlets = sorted({d.source.outlet for d in index.documents.values() if d.source.outlet})
        docs = [(f"الوثيقة: {source_label(d.source)}", f"doc:{d.doc_id}") for d in index.documents.values()]
        return [(f"الوسيلة: {o}", f"outlet:{o}") for o in outlets] + docs

    # ------------------------------------------------------------ status, sign-in, changes

    def status(self) -> str:
        """The banner over the page: empty once questions can be answered."""
        if self.ready:
            return ""
        if self.load_error:
            return f"⛔ تعذّر تحميل النموذج؛ البحث غير متاح. ({self.load_error})"
        return "⏳ جارٍ تحميل النموذج… المصادر متاحة الآن، والبحث بعد ثوانٍ. (loading the model…)"

    def user(self, username: str | None) -> User:
        """The signed-in user behind a request (Gradio's ``request.username``); AccessError if none."""
        user = self.access.signed_in(username)
        if user is None:
            raise AccessError("sign in first")
        return user

    def writer(self, username: str | None) -> User:
        """The user, when they may change the collection; AccessError otherwise."""
        user = self.user(username)
        if not self.access.uploads or not self.config.uploads:
            raise AccessError("this server does not accept uploads")
        if not user.can_write:
            raise AccessError(f"{user.name} is a reader; only editors can upload or remove documents")
        return user

    def upload(self, paths: list[str], username: str | None) -> UploadResult:
        from ..uploads import save_and_add

        user = self.writer(username)
        return save_and_add(paths, lambda: self.embedder, self.config, owner=user.name)

    def remove(self, doc_id: str, username: str | None) -> dict:
        from ..uploads import remove_upload

        return remove_upload(self.config.index_dir, doc_id, self.writer(username).name)
