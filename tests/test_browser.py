"""End to end in a real browser: Debian's chromium driven by Playwright against the launched UI.

Screenshots go to artifacts/ (kept by CI as test artifacts, ignored by git).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import launch_ui

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]
PAYLOAD = ('<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1"> '
           "${window.__pwned=1} {{constructor}}")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail("chromium is not installed: apt-get install chromium fonts-noto-core (see .ci/run)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1300}, locale="ar")
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    yield pg
    context.close()


@pytest.fixture(scope="module")
def payload_url(tmp_path_factory):
    from assistant.embedding.embedder import FakeEmbedder
    from assistant.sources import read_documents
    from assistant.store import build_index

    folder = tmp_path_factory.mktemp("payload-docs")
    (folder / "evil.txt").write_text(f"{PAYLOAD}\nهجوم على سجن الحسكة.\n{PAYLOAD}\nانتهى الهجوم على السجن.",
                                     "utf-8")
    index_dir = folder.parent / (folder.name + "-index")
    embedder = FakeEmbedder()
    build_index(read_documents([folder]), embedder, index_dir, source_roots=[str(folder)])
    demo, url = launch_ui(index_dir, embedder)
    yield url
    demo.close()


def _search(pg, url: str, question: str) -> None:
    pg.goto(url)
    pg.wait_for_selector("#search-question textarea", timeout=60_000)
    pg.fill("#search-question textarea", question)
    pg.click("#search-button")
    pg.wait_for_selector("#search-results article.result", timeout=120_000)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _rendering_fonts(pg, selector: str) -> dict[str, int]:
    """Font family -> glyphs Chromium really drew the first ``selector`` element's text with
    (DevTools' CSS.getPlatformFontsForNode: the platform fonts after fallback, not the CSS wish list)."""
    cdp = pg.context.new_cdp_session(pg)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"no element {selector}"
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    return {f["familyName"]: f["glyphCount"] for f in fonts}


@pytest.mark.integration
def test_arabic_search_citation_opens_the_source_right_to_left(page, seeds_ui_url):
    question = "كم عدد قتلى قوات سوريا الديمقراطية في هجوم السِّجن؟"
    _search(page, seeds_ui_url, question)
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('.gradio-container')).direction") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('#search-question textarea')).direction") \
        == "rtl"
    # The Arabic is drawn with Noto Naskh Arabic: all of a highlighted word, nearly all of a passage
    # (the rest is punctuation the font lacks, such as “ ” and –, drawn by a fallback).
    assert set(_rendering_fonts(page, "#search-results article.result mark.hl")) == {"Noto Naskh Arabic"}
    fonts = _rendering_fonts(page, "#search-results article.result .passage-text")
    assert fonts and fonts.get("Noto Naskh Arabic", 0) >= 0.9 * sum(fonts.values()), fonts
    first = page.locator("#search-results article.result").first
    assert first.locator("mark.hl").count() > 0  # the question's words, found after normalisation
    assert first.locator("mark.evidence").count() == 1  # the sentence that answers, marked inside it
    assert first.locator("a.cite").count() == 1 and first.locator(".cite-file").inner_text().endswith(".txt")
    passage = _flat(first.locator(".passage-text").inner_text())
    page.screenshot(path=str(ARTIFACTS / "search-results.png"), full_page=True)

    first.locator("a.cite").click()
    page.wait_for_selector("#search-document mark.passage", timeout=30_000)
    doc = page.locator("#search-document")
    assert _flat(doc.locator("mark.passage").inner_text()) == passage  # the same passage, in place
    assert len(doc.locator(".doc-text").inner_text()) > len(passage)  # inside the whole document
    assert page.evaluate("getComputedStyle(document.querySelector('#search-document .doc-view')).direction") \
        == "rtl"
    page.screenshot(path=str(ARTIFACTS / "search-document.png"), full_page=True)
    assert page.errors == []


@pytest.mark.integration
def test_chat_answers_with_expandable_references(page, seeds_ui_url):
    page.goto(seeds_ui_url)
    page.wait_for_selector("#search-question textarea", timeout=60_000)
    page.get_by_role("tab", name="المحادثة (chat)").click()
    for question in ("كم سيارة مفخخة استخدمت في الهجوم؟", "ما أفضل وصفة لكعكة الشوكولاتة؟"):
        page.fill("#chat-question textarea", question)
        page.click("#chat-button")
        page.wait_for_function("(q) => document.querySelector('#chat-question textarea').value === ''",
                               arg=None, timeout=120_000)
    page.wait_for_selector("#chatbot details summary", timeout=30_000)
    text = page.locator("#chatbot").inner_text()
    assert "[1]" in text and "لم أجد" in text  # first answer cited, second says nothing was found
    assert "مفخخة" in text  # both turns stay visible
    page.locator("#chatbot details summary").first.click()
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
    assert page.errors == []


def test_html_in_documents_is_shown_as_text_and_never_runs(page, payload_url):
    _search(page, payload_url, "هجوم الحسكة")
    results = page.locator("#search-results")
    assert "<script>window.__pwned=1</script>" in results.inner_text()
    assert results.locator("img, script").count() == 0
    results.locator("a.cite").first.click()
    page.wait_for_selector("#search-document mark.passage", timeout=30_000)
    doc = page.locator("#search-document")
    assert '<img src=x onerror="window.__pwned=1">' in doc.inner_text()
    assert "${window.__pwned=1} {{constructor}}" in doc.inner_text()
    assert doc.locator("img, script").count() == 0
    page.get_by_role("tab", name="المصادر (sources)").click()
    assert "<script>" in page.locator("#sources-panel").inner_text()
    page.wait_for_timeout(500)  # give any injected handler time to fire
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.screenshot(path=str(ARTIFACTS / "html-payload.png"), full_page=True)
    assert page.errors == []


# ---------------------------------------------------------------- sign-in and roles (fake embedder)
SIGN_IN = {"editor": ("amina", "editor-pass-1"), "reader": ("omar", "reader-pass-1")}


@pytest.fixture(scope="module")
def signin_url(tmp_path_factory):
    from assistant.access import Access
    from assistant.config import Config
    from assistant.corpus import add_paths
    from assistant.embedding.embedder import FakeEmbedder
    from assistant.ui.server import start
    from assistant.ui.service import UIService
    from assistant.users import add_user

    root = tmp_path_factory.mktemp("signin")
    shutil.copytree(ROOT / "seeds", root / "seeds")
    add_paths(root / "index", [root / "seeds"], FakeEmbedder)
    for role, (name, password) in SIGN_IN.items():
        add_user(root / "users.json", name, role, password)
    access = Access.for_server("127.0.0.1", root / "users.json")
    running, url = start(UIService(Config(index_dir=root / "index"), embedder=FakeEmbedder(), access=access))
    yield url
    running.close()


@pytest.fixture(scope="module")
def signin_no_uploads_url(tmp_path_factory):
    """A signed-in server with uploads switched off: the page has no upload tab at all."""
    from assistant.access import Access
    from assistant.config import Config
    from assistant.corpus import add_paths
    from assistant.embedding.embedder import FakeEmbedder
    from assistant.ui.server import start
    from assistant.ui.service import UIService
    from assistant.users import add_user

    root = tmp_path_factory.mktemp("signin-no-uploads")
    add_paths(root / "index", [ROOT / "seeds"], FakeEmbedder)
    name, password = SIGN_IN["reader"]
    add_user(root / "users.json", name, "reader", password)
    access = Access.for_server("127.0.0.1", root / "users.json")
    running, url = start(UIService(Config(index_dir=root / "index", uploads=0), embedder=FakeEmbedder(),
                                   access=access))
    yield url
    running.close()


def _sign_in(pg, url: str, name: str, password: str) -> None:
    pg.goto(url)
    pg.wait_for_selector("input[type=password]", timeout=60_000)
    pg.locator("input[type=text]").first.fill(name)
    pg.fill("input[type=password]", password)
    pg.get_by_role("button", name="تسجيل الدخول").click()  # Gradio's "Login", in the page's Arabic


def test_login_page_refuses_a_wrong_password_and_a_reader_sees_no_upload(page, signin_url):
    _sign_in(page, signin_url, "omar", "not-the-password")
    page.wait_for_selector("text=بيانات الاعتماد غير صحيحة", timeout=30_000)  # "Incorrect Credentials"
    assert page.locator("#search-question").count() == 0  # still the login page
    page.screenshot(path=str(ARTIFACTS / "login-refused.png"), full_page=True)
    _sign_in(page, signin_url, *SIGN_IN["reader"])
    page.wait_for_selector("#search-question textarea", timeout=60_000)
    page.wait_for_selector("#signed-in :text('omar (reader)')", timeout=30_000)
    assert page.get_by_role("tab", name="إضافة وثائق (upload)").count() == 0
    assert page.locator("#upload-files, #upload-button").count() == 0
    page.fill("#search-question textarea", "هجوم السجن")
    page.click("#search-button")
    page.wait_for_selector("#search-results article.result", timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "reader-signed-in.png"), full_page=True)
    assert page.errors == []


def test_the_signed_in_label_shows_without_an_upload_tab(page, signin_no_uploads_url):
    _sign_in(page, signin_no_uploads_url, *SIGN_IN["reader"])
    page.wait_for_selector("#signed-in :text('omar (reader)')", timeout=30_000)


def test_an_editor_uploads_but_cannot_replace_a_document(page, signin_url, tmp_path):
    _sign_in(page, signin_url, *SIGN_IN["editor"])
    page.wait_for_selector("#signed-in :text('amina (editor)')", timeout=60_000)
    page.get_by_role("tab", name="إضافة وثائق (upload)").click()
    new, evil = tmp_path / "جسر.txt", tmp_path / "000_d04d6feca1dbbff6.txt"
    new.write_text("أعلنت البلدية افتتاح جسر جديد فوق النهر.", "utf-8")
    evil.write_text("نص مزيف يحاول أن يحل محل وثيقة موجودة.", "utf-8")
    page.locator("#upload-files input[type=file]").set_input_files([str(new), str(evil)])
    page.wait_for_timeout(1000)
    page.click("#upload-button")
    page.wait_for_selector("#upload-status :text('أُضيفت')", timeout=60_000)
    status = page.locator("#upload-status").inner_text()
    assert "جسر" in status and "already has a document with the id" in status and str(tmp_path) not in status
    page.screenshot(path=str(ARTIFACTS / "editor-upload.png"), full_page=True)
    assert page.errors == []
