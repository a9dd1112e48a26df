"""The HTTP API beside the UI, on a server with a users file (fake embedder): sign-in, roles,
the CLI's records, one-line JSON errors, uploads and removal, Host/Origin checks, gradio_client."""

from __future__ import annotations

import json
import shutil

import gradio_client
import httpx
import pytest
from conftest import SEEDS

from assistant.access import Access
from assistant.config import Config
from assistant.corpus import add_paths
from assistant.embedding.embedder import FakeEmbedder
from assistant.records import search_record
from assistant.search import Searcher
from assistant.store import load_index
from assistant.users import add_user

EDITOR, READER = ("amina", "editor-pass-1"), ("omar", "reader-pass-1")
SEED = "000_d04d6feca1dbbff6"
STORY = "أعلنت بلدية المدينة افتتاح جسر جديد فوق النهر بطول مئة وعشرين متراً."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from assistant.ui.server import start
    from assistant.ui.service import UIService

    root = tmp_path_factory.mktemp("api")
    shutil.copytree(SEEDS, root / "seeds")
    add_paths(root / "index", [root / "seeds"], FakeEmbedder)
    users = root / "users.json"
    add_user(users, EDITOR[0], "editor", EDITOR[1])
    add_user(users, READER[0], "reader", READER[1])
    access = Access.for_server("127.0.0.1", users, allow_hosts=("newsroom.example.org",))
    service = UIService(Config(index_dir=root / "index", upload_max_mb=1), embedder=FakeEmbedder(), access=access)
    running, url = start(service)
    yield url.rstrip("/"), root
    running.close()


@pytest.fixture
def api(server):
    return httpx.Client(base_url=server[0] + "/api/v1", timeout=60)


def test_every_route_needs_credentials(api):
    for method, path, body in (("POST", "/search", {"query": "هجوم"}), ("POST", "/ask", {"question": "هجوم"}),
                               ("GET", "/documents", None), ("GET", f"/documents/{SEED}", None),
                               ("DELETE", f"/documents/{SEED}", None)):
        r = api.request(method, path, json=body)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic"), (method, path)
        assert set(r.json()) == {"error"} and "sign in" in r.json()["error"]
    r = api.post("/search", json={"query": "هجوم"}, auth=(EDITOR[0], "wrong-password"))
    assert r.status_code == 401


def test_search_returns_the_cli_record(api, server):
    body = {"query": "عدد القتلى في الهجوم", "k": 3, "outlet": [], "id": "q1"}
    r = api.post("/search", json=body, auth=READER)
    assert r.status_code == 200
    searcher = Searcher(load_index(server[1] / "index"), FakeEmbedder())
    expected = search_record("q1", body["query"], searcher.search(body["query"], 3))
    assert r.json() == json.loads(json.dumps(expected, ensure_ascii=False))


def test_search_filters_and_bad_input_are_one_line_4xx(api):
    r = api.post("/search", json={"query": "الهجوم", "k": 5, "doc": [SEED]}, auth=READER)
    assert r.status_code == 200 and {h["source"]["doc_id"] for h in r.json()["results"]} == {SEED}
    for body, status, words in (({"query": "الهجوم", "k": "abc"}, 422, "k:"),
                                ({"query": "   "}, 400, "empty"),
                                ({"query": "الهجوم", "since": "yesterday"}, 400, "YYYY-MM-DD"),
                                ({"query": "\ud800 الهجوم"}, 400, "not valid text")):
        r = api.post("/search", content=json.dumps(body), headers={"content-type": "application/json"},
                     auth=READER)  # ASCII-escaped JSON, so a lone surrogate travels as \ud800
        assert r.status_code == status and set(r.json()) == {"error"}, (body, r.text)
        assert words in r.json()["error"] and "\n" not in r.json()["error"]
    r = api.post("/search", content=b"{not json", headers={"content-type": "application/json"}, auth=READER)
    assert r.status_code == 422 and set(r.json()) == {"error"}
    assert api.get("/nothing", auth=READER).status_code == 404


def test_ask_takes_history_and_returns_the_answer_record(api):
    r = api.post("/ask", json={"question": "كم عدد القتلى؟", "k": 4, "history": ["متى بدأ الهجوم؟"]}, auth=READER)
    assert r.status_code == 200
    assert {"question", "found", "answer", "passages"} <= set(r.json())
    r = api.post("/ask", json={"question": "كم عدد القتلى؟", "history": "not a list"}, auth=READER)
    assert r.status_code == 422


def test_documents_list_and_one_without_server_paths(api, server):
    docs = api.get("/documents", auth=READER).json()["documents"]
    assert SEED in {d["doc_id"] for d in docs} and all("origin" not in d for d in docs)
    assert str(server[1]) not in json.dumps(docs, ensure_ascii=False)
    one = api.get(f"/documents/{SEED}", auth=READER).json()
    assert one["text"] == (SEEDS / f"{SEED}.txt").read_text("utf-8") and one["uploaded_by_you"] is False
    assert api.get("/documents/missing", auth=READER).status_code == 404


def test_reader_cannot_write_editor_uploads_and_removes_only_their_own(api):
    files = {"files": ("bridge.txt", STORY.encode(), "text/plain")}
    r = api.post("/documents", files=files, auth=READER)
    assert r.status_code == 403 and "reader" in r.json()["error"]
    assert api.delete("/documents/anything", auth=READER).status_code == 403
    r = api.post("/documents", files=files, auth=EDITOR)
    assert r.status_code == 200 and r.json()["added"] == ["bridge"], r.text
    mine = {d["doc_id"]: d["uploaded_by_you"] for d in api.get("/documents", auth=EDITOR).json()["documents"]}
    assert mine["bridge"] is True and mine[SEED] is False
    evil = {"files": (f"{SEED}.txt", STORY.encode(), "text/plain")}
    r = api.post("/documents", files=evil, auth=EDITOR)
    assert r.status_code == 400 and "already has a document" in r.json()["error"]
    r = api.delete(f"/documents/{SEED}", auth=EDITOR)
    assert r.status_code == 403
    r = api.delete("/documents/bridge", auth=EDITOR)
    assert r.status_code == 200 and r.json()["removed"] == ["bridge"]
    assert api.delete("/documents/bridge", auth=EDITOR).status_code == 404


def test_upload_body_is_capped(api):
    big = {"files": ("big.txt", b"x" * (21 * 1024 * 1024 + 10), "text/plain")}  # 20 files x 1 MB + 1 MB
    r = api.post("/documents", files=big, auth=EDITOR)
    assert r.status_code == 413 and "larger than" in r.json()["error"]


def test_host_and_foreign_origin_are_refused(server):
    url = server[0]
    assert httpx.get(url + "/", headers={"Host": "attacker.example"}).status_code == 400
    assert httpx.get(url + "/", headers={"Host": "newsroom.example.org:7860"}).status_code == 200
    r = httpx.post(url + "/api/v1/search", json={"query": "هجوم"}, auth=READER,
                   headers={"Origin": "http://attacker.example"})
    assert r.status_code == 403 and "another web site" in r.json()["error"]
    r = httpx.post(url + "/gradio_api/upload", files={"files": ("a.txt", b"x")},
                   headers={"Origin": "http://attacker.example"})
    assert r.status_code == 403


def test_openapi_page_lists_the_routes_after_sign_in(server):
    assert httpx.get(server[0] + "/api/v1/openapi.json").status_code == 401
    spec = httpx.get(server[0] + "/api/v1/openapi.json", auth=READER).json()
    assert {"/search", "/ask", "/documents", "/documents/{doc_id}"} <= set(spec["paths"])
    page = httpx.get(server[0] + "/api/v1/docs", auth=READER)
    assert page.status_code == 200 and "/api/v1/openapi.json" in page.text


def test_gradio_client_signs_in_and_keeps_working(server):
    r = httpx.post(server[0] + "/gradio_api/call/search", json={"data": ["هجوم", 3, []]})
    assert r.status_code == 401  # the UI's own API is behind the same login
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own errors for a refused login
        gradio_client.Client(server[0], auth=("omar", "wrong-password"), verbose=False)
    client = gradio_client.Client(server[0], auth=READER, verbose=False)
    out = client.predict("عدد القتلى", 3, [], api_name="/search")
    assert out["error"] is None and len(out["results"]) == 3


def test_gradio_refuses_an_upload_over_the_size_cap(server):
    with httpx.Client(base_url=server[0]) as web:
        assert web.post("/login", data={"username": EDITOR[0], "password": EDITOR[1]}).status_code == 200
        small = web.post("/gradio_api/upload", files={"files": ("a.txt", "نص".encode())})
        assert small.status_code == 200
        big = web.post("/gradio_api/upload", files={"files": ("big.txt", b"x" * (1024 * 1024 + 1))})
        assert big.status_code == 413  # the server's 1 MB per file (Config.upload_max_mb)


def test_upload_without_a_declared_length_is_refused(server):
    def chunks():
        yield b"--x\r\n"

    r = httpx.post(server[0] + "/api/v1/documents", content=chunks(), auth=EDITOR,
                   headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code == 411 and "Content-Length" in r.json()["error"]


def test_cli_search_is_answered_by_the_running_server(server, monkeypatch, tmp_path):
    """`assistant search` on the server's index sends the question to its REST API (remote.py)."""
    from click.testing import CliRunner

    from assistant import remote
    from assistant.cli import cli

    url, root = server
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ASSISTANT_USER", READER[0])
    monkeypatch.setenv("ASSISTANT_PASSWORD", READER[1])
    monkeypatch.setenv("ASSISTANT_MODEL_PATH", str(tmp_path / "no-model"))  # answering here would fail
    announced = remote.announce(tmp_path / "cache", root / "index", url, sign_in=True)
    try:
        result = CliRunner().invoke(cli, ["search", "عدد القتلى في الهجوم", "-k", "3", "--json",
                                          "--index", str(root / "index")])
    finally:
        remote.withdraw(announced)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    direct = httpx.post(url + "/api/v1/search", json={"query": "عدد القتلى في الهجوم", "k": 3}, auth=READER).json()
    assert record == direct


def test_ask_history_makes_the_question_a_follow_up(api, server):
    from assistant.answer import answer_question

    searcher = Searcher(load_index(server[1] / "index"), FakeEmbedder())
    first, second = "كم عدد القتلى في الهجوم؟", "وماذا عن الجرحى؟"
    want = answer_question(searcher, second, 4, previous=[first]).to_dict()
    assert want != answer_question(searcher, second, 4).to_dict()  # the history matters here
    r = api.post("/ask", json={"question": second, "k": 4, "history": [first]}, auth=READER)
    assert r.status_code == 200 and r.json() == json.loads(json.dumps(want, ensure_ascii=False))
