"""Launch the web UI and the HTTP API on one port (bound to 127.0.0.1 unless told otherwise).

The stack: uvicorn → :class:`gate.Gate` (Host/Origin checks; a "starting…" page until ready) →
a FastAPI app holding the API at ``/api/v1`` (:mod:`.api`) and the Gradio UI at ``/``
(``gr.mount_gradio_app``, with Gradio's login page when the server has a users file).
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .. import remote
from ..access import Access
from ..config import Config
from .gate import Gate
from .service import UIService

log = logging.getLogger(__name__)

CONCURRENCY = 2  # model-bound events at once: the machine has 2 cores; the rest wait in the queue
MAX_THREADS = 40
QUEUE_SIZE = 200
API_UPLOAD_PATH = "/api/v1/documents"


def build_app(service: UIService):
    """The Gradio Blocks app (see :mod:`assistant.ui.layout`), queued."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no internet: don't try to phone home
    from .layout import layout

    demo = layout(service)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    demo.max_threads = MAX_THREADS
    return demo


def _look() -> dict:
    """RTL theme, CSS and page script, no web fonts."""
    import gradio as gr

    css = (Path(__file__).with_name("ui.css")).read_text("utf-8")
    theme = gr.themes.Default(font=["Noto Naskh Arabic", "Noto Sans Arabic", "sans-serif"],
                              font_mono=["DejaVu Sans Mono", "monospace"])
    js = "() => { document.documentElement.dir = 'rtl'; document.documentElement.lang = 'ar'; }"
    return dict(theme=theme, css=css, js=js)


def make_app(service: UIService, demo, host: str = "127.0.0.1", port: int = 7860):
    """The FastAPI app: the API at /api/v1, the Gradio UI (behind its login when signing in) at /."""
    import gradio as gr
    from fastapi import FastAPI

    from .api import api_app

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/api/v1", api_app(service))
    access = service.access
    auth = (lambda name, password: access.authenticate(name, password) is not None) if access.sign_in else None
    return gr.mount_gradio_app(app, demo, "/", server_name=host, server_port=port, footer_links=["api"],
                               auth=auth, auth_message="سجّل الدخول بحسابك في غرفة الأخبار. (sign in)",
                               max_file_size=f"{service.config.upload_max_mb}mb", ssr_mode=False,
                               show_error=False, **_look())


class Running:
    """A server started by :func:`start` (tests, benchmarks): ``close()`` stops it."""

    def __init__(self, server, thread: threading.Thread, url: str):
        self.server, self.thread, self.url = server, thread, url

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def _uvicorn(gate: Gate, host: str, port: int):
    import uvicorn

    return uvicorn.Server(uvicorn.Config(gate, host=host, port=port, log_level="warning", lifespan="on",
                                         timeout_keep_alive=30, access_log=False))


def _gate(service_config: Config, access: Access) -> Gate:
    files = service_config.upload_max_files * service_config.upload_max_mb * 1024 * 1024
    return Gate(access, body_limits={API_UPLOAD_PATH: files + 1024 * 1024})


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def start(service: UIService, host: str = "127.0.0.1", port: int | None = None) -> tuple[Running, str]:
    """Start the UI and API for ``service`` in a background thread; returns (handle, url) once
    the full app answers (the model may still be loading if ``service`` loads in the background)."""
    port = port or free_port(host)
    gate = _gate(service.config, service.access)
    server = _uvicorn(gate, host, port)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    gate.install(make_app(service, build_app(service), host, port))
    url = f"http://{host}:{port}/"
    return Running(server, thread, url), url


def answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """Whether ``GET /`` on host:port gets an HTTP response (any status)."""
    host = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
    try:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.request("GET", "/", headers={"Host": "localhost"})
        conn.getresponse().read()
        conn.close()
        return True
    except OSError:
        return False


def serve(config: Config, access: Access, host: str = "127.0.0.1", port: int = 7860,
          announce: Callable[[str], None] = print, stop: threading.Event | None = None) -> None:
    """Serve until interrupted (or ``stop`` is set). The port comes up first (a "starting…"
    page), then the UI (index and sources at once), then the model loads in the background
    ("loading the model…" until then); ``announce`` is told when the port answers and when
    questions can be answered."""
    gate = _gate(config, access)
    server = _uvicorn(gate, host, port)
    if stop is not None:
        threading.Thread(target=lambda: (stop.wait(), setattr(server, "should_exit", True)), daemon=True).start()

    announced: list[Path] = []

    def ready() -> None:
        # From now on `assistant search/ask` on this index ask this server (remote.py).
        local = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        try:
            announced.append(remote.announce(config.cache_root, config.index_dir,
                                             f"http://{local}:{port}", access.sign_in))
        except OSError as exc:  # a read-only cache: the CLI then loads the model itself
            log.warning("cannot announce the server to the command line (%s)", exc)
        announce("model loaded: search and ask are ready")

    def boot() -> None:
        try:
            while not (gate.started.is_set() and answers(host, port)):  # said only once it is true
                if server.should_exit:
                    return
                time.sleep(0.05)
            announce(f"serving on http://{host}:{port} (Ctrl+C to stop)")
            service = UIService(config, access=access, background=True, on_ready=ready)
            gate.install(make_app(service, build_app(service), host, port))
            _sweep_uploads(config)
            service.start_loading()
        except Exception:
            log.exception("the web UI could not be started")
            server.should_exit = True

    threading.Thread(target=boot, name="boot", daemon=True).start()
    try:
        server.run()
    finally:
        for path in announced:
            remote.withdraw(path)


def _sweep_uploads(config: Config) -> None:
    """Remove what a killed upload left behind (skipped if an index change is running)."""
    from ..errors import AssistantError
    from ..lock import index_lock
    from ..uploads import sweep

    try:
        with index_lock(config.index_dir):
            sweep(config.index_dir)
    except (AssistantError, OSError) as exc:
        log.info("uploads not swept: %s", exc)
