"""Instant answers from the shell: a running ``assistant serve`` announces itself, and ``search`` /
``ask`` on the same index send the question to it instead of loading the model (~10 s).

The server writes ``<cache>/servers/<key>.json`` (``announce``), keyed by the index folder's real
path: ``{"url", "pid", "index", "sign_in"}``; it removes the file when it stops, and a file whose
process is gone, or whose port nothing listens on, is ignored. The client (``find``, ``post``)
speaks the server's REST API (``/api/v1/search``, ``/api/v1/ask``) on loopback with HTTP Basic when
the server has users (``ASSISTANT_USER`` / ``ASSISTANT_PASSWORD``). Anything that goes wrong on the
way (no server, a stale file, sign-in refused, a timeout) returns None, and the caller answers
locally.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ANSWER_TIMEOUT = 120.0  # a question the server accepted (its queue may be busy)


@dataclass(frozen=True)
class Server:
    url: str  # e.g. http://127.0.0.1:7860
    pid: int
    sign_in: bool


def _file(cache_root: Path, index_dir: Path) -> Path:
    key = hashlib.sha256(str(Path(index_dir).resolve()).encode()).hexdigest()[:16]
    return cache_root / "servers" / f"{key}.json"


def announce(cache_root: Path, index_dir: Path, url: str, sign_in: bool) -> Path:
    """Record that this process serves ``index_dir`` at ``url``; returns the file to remove at exit."""
    path = _file(cache_root, index_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{os.getpid()}-{path.name}")
    tmp.write_text(json.dumps({"url": url, "pid": os.getpid(), "index": str(Path(index_dir).resolve()),
                               "sign_in": sign_in}), encoding="utf-8")
    os.replace(tmp, path)
    return path


def withdraw(path: Path) -> None:
    """Remove this process's announcement (another server's, written since, stays)."""
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def find(cache_root: Path, index_dir: Path) -> Server | None:
    """The server announced for ``index_dir`` whose process still runs, or None."""
    try:
        rec = json.loads(_file(cache_root, index_dir).read_text(encoding="utf-8"))
        server = Server(str(rec["url"]).rstrip("/"), int(rec["pid"]), bool(rec.get("sign_in")))
        os.kill(server.pid, 0)  # raises when the process is gone
        address = urllib.parse.urlsplit(server.url)
        # A server killed without withdrawing, its pid taken since: nothing listens on its port.
        socket.create_connection((address.hostname, address.port), timeout=1.0).close()
    except (OSError, ValueError, KeyError, TypeError, OverflowError):
        return None
    return server


def post(server: Server, path: str, body: dict, user: str = "", password: str = "") -> dict | None:
    """POST ``body`` to the server's ``/api/v1/<path>``; its JSON record, or None when this cannot
    be answered there (then the caller answers locally). A one-line error the server gives for the
    question itself (HTTP 400) is returned as ``{"error": ...}``."""
    if server.sign_in and not (user and password):
        log.warning("a server runs on this index but needs sign-in: set ASSISTANT_USER and ASSISTANT_PASSWORD "
                    "to use it; answering here")
        return None
    request = urllib.request.Request(f"{server.url}/api/v1/{path}", data=json.dumps(body).encode("utf-8"),
                                     headers={"Content-Type": "application/json"}, method="POST")
    if user and password:
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=ANSWER_TIMEOUT) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        if exc.code == 400:
            try:
                return {"error": json.loads(exc.read().decode("utf-8"))["error"]}
            except (ValueError, KeyError):
                pass
        log.warning("the server at %s answered %s; answering here", server.url, exc.code)
    except (OSError, ValueError) as exc:  # refused, timed out, not JSON
        log.warning("cannot reach the server at %s (%s); answering here", server.url, exc)
    return None
