"""Who says what in the chat: the table in the conversation and, for a numeric disagreement, a Gradio
bar chart of the figure per source whose bars carry their citations (tooltip) and open the cited
passage (select). Escaped and right-to-left; unit tests without a server, then a real browser."""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest
from conftest import ROOT, launch_ui

from assistant.answer import Answer, AnswerSentence, Claim
from assistant.answer.table import chart_points
from assistant.records import Hit, Passage, Source
from assistant.ui.views import CHART_TOOLTIP, CHART_X, CHART_Y, answer_markdown, chart_frame

PAYLOAD = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'
CHROMIUM = "/usr/bin/chromium"


def _answer() -> Answer:
    rows = [("a", "وكالة <b>الشرق</b>", "مقتل 14 عاملاً " + PAYLOAD, "14", 14.0, "الدفاع " + PAYLOAD),
            ("b", "صحيفة الوادي", "قُتل 12 عاملاً.", "12", 12.0, "")]
    sentences, claims, hits = [], [], []
    for n, (d, outlet, text, value, number, speaker) in enumerate(rows, 1):
        source = Source(d, f"{d}.txt", outlet=outlet, date="2025-03-14")
        hit = Hit(n, 1.0, Passage(f"{d}:0", d, 0, len(text), text), source)
        hits.append(hit)
        sentences.append(AnswerSentence(text, n, 0, len(text), 0, 2, hit))
        at = text.index(value)
        claims.append(Claim(source, speaker, text, value, 0, len(text), d, at, at + len(value), number=number))
    return Answer("كم عدد القتلى؟", tuple(sentences), tuple(claims), "differ", tuple(hits), "figure")


def test_table_sorted_by_figure_escaped_and_the_chart_announced():
    html = answer_markdown(_answer())
    table = html.split('<table class="who-says-what"')[1].split("</table>")[0]
    assert table.index("صحيفة الوادي") < table.index("الشرق")  # 12 before 14
    assert "المصدر نفسه" in table  # no speaker: the outlet's own voice
    assert "<script" not in html and "<img" not in html and "&lt;b&gt;الشرق" in html
    assert 'class="chart-note"' in html and "<svg" not in html  # the chart is a Gradio plot, not inline
    single = _answer()
    single = Answer(single.question, single.sentences[:1], single.claims[:1], "single", single.hits[:1], "figure")
    assert 'class="chart-note"' not in answer_markdown(single)  # a chart only where the figures differ


def test_chart_data_one_bar_per_source_with_its_citation():
    points = chart_points(_answer())
    assert [(p.label, p.number, p.citation, p.doc_id) for p in points] == [
        ("[2] صحيفة الوادي", 12, 2, "b"), ("[1] وكالة <b>الشرق</b>", 14, 1, "a")]
    frame = chart_frame(points)
    assert list(frame[CHART_X]) == [p.label for p in points] and list(frame[CHART_Y]) == [12, 14]
    assert list(frame[CHART_TOOLTIP[2]]) == ["[2] صحيفة الوادي · 2025-03-14 · b.txt",
                                            "[1] وكالة <b>الشرق</b> · 2025-03-14 · a.txt"]
    assert list(frame[CHART_TOOLTIP[1]]) == ["المصدر نفسه", "الدفاع " + PAYLOAD]
    assert chart_frame([]) is None


@pytest.mark.browser
def test_table_renders_right_to_left_in_a_browser():
    if not shutil.which(CHROMIUM):
        pytest.fail("chromium is not installed: apt-get install chromium fonts-noto-core (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = browser.new_page()
        page.set_content(f"<html><body>{answer_markdown(_answer())}</body></html>")
        assert page.evaluate("window.__pwned") is None
        table = page.locator("table.who-says-what")
        assert table.evaluate("t => getComputedStyle(t).direction") == "rtl"
        assert table.locator("tbody tr").count() == 2
        browser.close()


def _figure(aria_label: str) -> str:
    """Vega's label of a bar ("المصدر (source): [2] موقع الخبر; الرقم (figure): 12; ...") -> "12"."""
    return re.search(re.escape(CHART_Y) + r": ([\d.]+)", aria_label).group(1)


@pytest.fixture(scope="module")
def fire_ui_url(real_embedder, tmp_path_factory):
    """The UI over the invented fire reports (three outlets: 12, 12 and 14 dead); one outlet's name
    is an HTML payload."""
    from assistant.sources import read_documents
    from assistant.store import build_index

    root = tmp_path_factory.mktemp("fire-ui")
    docs = root / "docs"
    docs.mkdir()
    fixtures = ROOT / "tests" / "fixtures" / "other_events"
    meta = json.loads((fixtures / "metadata.json").read_text("utf-8"))["documents"]
    for name in ("fire_east.txt", "fire_valley.txt", "fire_news.txt"):
        shutil.copy(fixtures / name, docs / name)
    meta = {k: v for k, v in meta.items() if k.startswith("fire_")}
    meta["fire_valley.txt"]["outlet"] = "صحيفة " + PAYLOAD
    (docs / "metadata.json").write_text(json.dumps({"documents": meta}, ensure_ascii=False), "utf-8")
    build_index(read_documents([docs]), real_embedder, root / "index", source_roots=[str(docs)])
    demo, url = launch_ui(root / "index", real_embedder)
    yield url
    demo.close()


@pytest.mark.browser
def test_chat_chart_bars_carry_their_citations_and_open_the_passage(fire_ui_url):
    if not shutil.which(CHROMIUM):
        pytest.fail("chromium is not installed: apt-get install chromium fonts-noto-core (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1600}, locale="ar")
        page.goto(fire_ui_url)
        page.get_by_role("tab", name="المحادثة (chat)").click()
        page.fill("#chat-question textarea", "كم عدد قتلى حريق مصنع النسيج؟")
        page.click("#chat-button")
        bars = page.locator("#chat-chart svg path[aria-roledescription='bar']")
        bars.first.wait_for(timeout=60_000)
        assert page.locator("#chatbot table.who-says-what tbody tr").count() == 3
        assert bars.count() == 3
        assert page.locator("#chat-chart").evaluate("e => getComputedStyle(e).direction") == "rtl"
        # right to left like the page: the smallest figure's bar stands rightmost, the 14 leftmost
        placed = sorted(bars.evaluate_all(
            "bs => bs.map(b => [b.getBoundingClientRect().x, b.getAttribute('aria-label')])"))
        assert [_figure(label) for _, label in placed] == ["14", "12", "12"]
        # the payload outlet is drawn as text, never run
        assert page.evaluate("window.__pwned") is None
        assert "&lt;script&gt;" in page.locator("#chat-chart svg").inner_html()  # text, not an element
        assert page.locator("#chat-chart script, #chat-chart img").count() == 0
        # hover: the tooltip names the bar's citation
        box = bars.nth(0).bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tip = page.locator("#vg-tooltip-element")
        tip.wait_for(state="visible", timeout=5_000)
        text = tip.inner_text()
        assert "المرجع (citation)" in text and "fire_" in text and "[" in text
        assert tip.locator("script, img").count() == 0 and page.evaluate("window.__pwned") is None
        # select (drag across) the bar: its cited passage opens, highlighted in its document
        page.mouse.move(box["x"] + 5, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] - 5, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
        page.wait_for_selector("#chat-document mark.passage", timeout=15_000)
        cited = page.locator("#chat-document mark.passage").inner_text()
        assert _figure(bars.nth(0).get_attribute("aria-label")) in cited
        time.sleep(0.5)
        assert page.evaluate("window.__pwned") is None
        browser.close()
