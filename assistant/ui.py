"""The web UI: Arabic-first, right-to-left search and chat with citations that open their source.

Handlers live on :class:`UIService` (plain Python, testable without a browser); :func:`build_app`
lays them out with Gradio; :func:`serve` launches it on 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .config import Config
from .live import LiveSearcher
from .render import document_html, esc
from .ui_views import (
    answer_markdown,
    group_near_duplicates,
    message_html,
    parse_cite,
    references_html,
    results_html,
    source_label,
    sources_html,
)

log = logging.getLogger(__name__)

EXAMPLES = (
    "كم عدد قتلى قوات سوريا الديمقراطية في هجوم سجن الصناعة؟",
    "كم سيارة مفخخة استخدمها داعش في الهجوم على السجن؟",
    "كم عدد السجناء الذين هربوا من سجن غويران؟",
    "متى بدأ هجوم داعش على سجن الصناعة في الحسكة؟",
    "ما حصيلة قتلى الهجوم بحسب المرصد السوري؟",
)
CONCURRENCY = 2  # model-bound events at once: the machine has 2 cores; the rest wait in the queue
MAX_THREADS = 40
QUEUE_SIZE = 200


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
            from .embed import make_embedder

            embedder = make_embedder(config)
        self.config = config
        self.embedder = embedder
        self.live = LiveSearcher(config.index_dir, embedder, candidates=config.candidates,
                                 max_query_chars=config.max_query_chars)

    def problem(self, question) -> str | None:
        """A friendly Arabic message for a question that cannot be searched, else None."""
        if not isinstance(question, str) or not question.strip():
            return "السؤال فارغ. اكتب سؤالاً بالعربية أو الإنجليزية، أو اختر أحد الأمثلة. (empty question)"
        limit = self.config.max_query_chars
        if len(question) > limit:
            return (f"السؤال طويل جداً ({len(question)} حرفاً)؛ الحد الأقصى {limit} حرف. "
                    f"اختصره إلى جملة أو جملتين. (question too long)")
        return None

    def _keep(self, index, filters):
        if not filters:
            return None
        docs = {f[4:] for f in filters if f.startswith("doc:")}
        outlets = {f[7:] for f in filters if f.startswith("outlet:")}
        allowed = {d for d, doc in index.documents.items() if d in docs or doc.source.outlet in outlets}
        return allowed.__contains__

    def hits(self, question: str, k: int, filters=None):
        """Top ``k`` result groups (near-duplicates folded) and the searcher used."""
        searcher = self.live.current()
        k = max(1, min(int(k or self.config.top_k), 50))
        keep = self._keep(searcher.index, filters)
        hits = searcher.search(question, 2 * k, keep=keep)  # extra, so folding still leaves k
        return group_near_duplicates(hits)[:k], searcher

    def search(self, question: str, k: int = 5, filters=None) -> str:
        """Result cards as HTML (the search view)."""
        message = self.problem(question)
        if message:
            return message_html(message)
        from .search import QueryError

        try:
            groups, searcher = self.hits(question, k, filters)
        except QueryError as exc:
            return message_html(str(exc))
        texts = {g.hit.passage.doc_id: searcher.index.documents[g.hit.passage.doc_id].text for g in groups}
        return results_html(groups, question, texts)

    def search_api(self, question: str, k: int = 5, sources: list[str] | None = None) -> dict:
        """Search the documents; returns {"query", "results": [...], "error"} as JSON."""
        message = self.problem(question)
        if message:
            return {"query": question if isinstance(question, str) else "", "results": [], "error": message}
        groups, _ = self.hits(question, k, sources)
        results = []
        for g in groups:
            row = g.hit.to_dict()
            row["also_in"] = [a.to_dict() for a in g.also]
            results.append(row)
        return api_safe({"query": question, "results": results, "error": None})

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

    def answer(self, question: str, k: int = 8):
        from .answer import answer_question

        return answer_question(self.live.current(), question, k)

    def chat(self, question: str, history: list | None):
        """Append the question and its cited answer to the conversation."""
        history = list(history or [])
        message = self.problem(question)
        if message:
            return history, question, message_html(message)
        answer = self.answer(question.strip())
        history += [{"role": "user", "content": esc(question.strip())},
                    {"role": "assistant", "content": answer_markdown(answer)}]
        return history, "", references_html(answer)

    def ask_api(self, question: str, k: int = 8) -> dict:
        """Answer a question from the documents; returns the answer JSON with numbered citations."""
        message = self.problem(question)
        if message:
            return {"question": question if isinstance(question, str) else "", "found": False,
                    "error": message}
        answer = self.answer(question.strip(), max(1, min(int(k or 8), 50)))
        return api_safe({**answer.to_dict(), "found": bool(answer.found), "error": None})

    def sources(self) -> str:
        return sources_html(self.live.current().index)

    def filter_choices(self) -> list[tuple[str, str]]:
        index = self.live.current().index
        outlets = sorted({d.source.outlet for d in index.documents.values() if d.source.outlet})
        docs = [(f"الوثيقة: {source_label(d.source)}", f"doc:{d.doc_id}") for d in index.documents.values()]
        return [(f"الوسيلة: {o}", f"outlet:{o}") for o in outlets] + docs


def build_app(service: UIService):
    """The Gradio Blocks app (see :mod:`assistant.ui_layout`)."""
    from .ui_layout import layout

    return layout(service)


def launch_kwargs(host: str = "127.0.0.1", port: int | None = 7860) -> dict:
    """Options for ``Blocks.launch``: local bind, thread pool, RTL theme and CSS, no web fonts."""
    import gradio as gr

    css = (Path(__file__).with_name("ui.css")).read_text("utf-8")
    theme = gr.themes.Default(font=["Noto Naskh Arabic", "Noto Sans Arabic", "sans-serif"],
                              font_mono=["DejaVu Sans Mono", "monospace"])
    js = "() => { document.documentElement.dir = 'rtl'; document.documentElement.lang = 'ar'; }"
    return dict(server_name=host, server_port=port, max_threads=MAX_THREADS, theme=theme, css=css, js=js,
                ssr_mode=False, footer_links=["api"], quiet=True)


def start(service: UIService, host: str = "127.0.0.1", port: int | None = None, *, block: bool = False):
    """Build, queue and launch the app for ``service``; returns (demo, local_url) unless blocking."""
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no internet: don't try to phone home
    demo = build_app(service)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    _, url, _ = demo.launch(prevent_thread_lock=not block, **launch_kwargs(host, port))
    return demo, url


def serve(config: Config, host: str = "127.0.0.1", port: int = 7860):
    """Load the model and index once, then serve the UI until interrupted. Questions switch to
    the compiled query path once it is ready (compiled in the background the first time)."""
    import sys

    service = UIService(config)
    if config.query_graph and hasattr(service.embedder, "use_query_graph"):
        service.embedder.use_query_graph(build=True, report=lambda msg: print(msg, file=sys.stderr, flush=True))
    return start(service, host, port, block=True)
