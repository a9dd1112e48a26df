"""The server's front door (plain ASGI): Host and Origin checks, a body cap for API uploads,
and a "starting…" page until the full app (Gradio UI + API) is built.

Bringing the port up before Gradio is imported and the layout built is what lets the page
answer within a second or two of `assistant serve`; the app is installed (and its lifespan,
which starts Gradio's queue, run) when it is ready.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from urllib.parse import urlsplit

from ..access import Access

log = logging.getLogger(__name__)

SAFE_METHODS = (b"GET", b"HEAD", b"OPTIONS")
STARTING_HTML = """<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="2"><title>المساعد العربي للبحث في الوثائق</title></head>
<body style="font-family: 'Noto Naskh Arabic', sans-serif; padding: 2em">
<h1>المساعد العربي للبحث في الوثائق</h1>
<p id="starting">⏳ الخادم يبدأ وجارٍ تحميل النموذج… ستظهر الصفحة بعد ثوانٍ. (loading the model…)</p>
</body></html>"""


class Gate:
    """Wraps the app of :func:`assistant.ui.server.make_app` once it is installed."""

    def __init__(self, access: Access, body_limits: dict[str, int] | None = None):
        self.access = access
        self.body_limits = body_limits or {}  # path -> most bytes a request to it may send
        self.app = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._inner: asyncio.Task | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1")
        if not self.access.host_allowed(host):
            return await _reply(scope, send, 400, f"host {host[:80]!r} is not served here; the administrator can "
                                                  "allow it with: assistant serve --allow-host NAME")
        origin = headers.get(b"origin", b"").decode("latin-1")
        if scope["type"] == "http" and scope["method"].encode() not in SAFE_METHODS and origin \
                and not self.access.host_allowed(urlsplit(origin).netloc):
            return await _reply(scope, send, 403, "requests from another web site are refused")
        if self.app is None:
            if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == "/":
                return await _send(send, 200, STARTING_HTML.encode(), b"text/html; charset=utf-8")
            return await _reply(scope, send, 503, "the server is starting; try again in a few seconds")
        limit = self.body_limits.get(scope.get("path", "")) if scope["type"] == "http" else None
        if limit is None:
            return await self.app(scope, receive, send)
        return await self._limited(scope, receive, send, limit, headers)

    async def _limited(self, scope, receive, send, limit: int, headers: dict):
        """A body over ``limit`` is refused before it is read. The length must be declared: the
        HTTP server never passes on more than the declared Content-Length."""
        declared = headers.get(b"content-length", b"").decode("latin-1")
        if scope["method"] in ("POST", "PUT") and not declared.isdigit():
            return await _reply(scope, send, 411, "send the upload with a Content-Length header")
        if declared.isdigit() and int(declared) > limit:
            return await _reply(scope, send, 413, f"the upload is larger than {limit // (1024 * 1024)} MB in all")
        return await self.app(scope, receive, send)

    async def _lifespan(self, receive, send):
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                self.loop = asyncio.get_running_loop()
                self.started.set()
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                if self._stop is not None:
                    self._stop.set()
                    await asyncio.wait([self._inner], timeout=10)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def install(self, app, timeout: float = 120) -> None:
        """Run ``app``'s lifespan on the server's loop, then route every request to it."""
        if not self.started.wait(timeout):
            raise RuntimeError("the web server did not start")
        asyncio.run_coroutine_threadsafe(self._start(app), self.loop).result(timeout)
        self.app = app

    async def _start(self, app) -> None:
        self._stop, entered = asyncio.Event(), asyncio.Event()

        async def run():
            async with app.router.lifespan_context(app):
                entered.set()
                await self._stop.wait()

        self._inner = asyncio.create_task(run())
        waiter = asyncio.create_task(entered.wait())
        await asyncio.wait([waiter, self._inner], return_when=asyncio.FIRST_COMPLETED)
        if self._inner.done():
            self._inner.result()  # the app's startup failed: raise it here


async def _reply(scope, send, status: int, message: str) -> None:
    if scope["type"] == "websocket":
        return await send({"type": "websocket.close", "code": 1008})
    body = json.dumps({"error": message}, ensure_ascii=False).encode()
    await _send(send, status, body, b"application/json")


async def _send(send, status: int, body: bytes, kind: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
