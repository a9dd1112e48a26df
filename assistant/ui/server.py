"""Launch the web UI: Gradio's queue and server options, bound to 127.0.0.1 unless told otherwise."""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from .service import UIService

CONCURRENCY = 2  # model-bound events at once: the machine has 2 cores; the rest wait in the queue
MAX_THREADS = 40
QUEUE_SIZE = 200


def build_app(service: UIService):
    """The Gradio Blocks app (see :mod:`assistant.ui.layout`)."""
    from .layout import layout

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
