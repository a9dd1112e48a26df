"""Who says what in the chat: the table and the figure chart, escaped and right-to-left (no server)."""

from __future__ import annotations

import shutil

import pytest

from assistant.answer import Answer, AnswerSentence, Claim
from assistant.records import Hit, Passage, Source
from assistant.ui.views import answer_markdown

PAYLOAD = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'


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


def test_table_sorted_by_figure_with_a_chart_escaped():
    html = answer_markdown(_answer())
    table = html.split('<table class="who-says-what"')[1].split("</table>")[0]
    assert table.index("صحيفة الوادي") < table.index("الشرق")  # 12 before 14
    assert "المصدر نفسه" in table  # no speaker: the outlet's own voice
    assert "<script" not in html and "<img" not in html and "&lt;b&gt;الشرق" in html
    chart = html.split('<svg class="figure-chart"')[1].split("</svg>")[0]
    assert chart.count("<rect") == 2 and 'data-citation="1"' in chart
    single = _answer()
    single = Answer(single.question, single.sentences[:1], single.claims[:1], "single", single.hits[:1], "figure")
    assert "<svg" not in answer_markdown(single)  # a chart only where the figures differ


@pytest.mark.browser
def test_table_and_chart_render_right_to_left_in_a_browser():
    if not shutil.which("/usr/bin/chromium"):
        pytest.fail("chromium is not installed: apt-get install chromium fonts-noto-core (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        page = browser.new_page()
        page.set_content(f"<html><body>{answer_markdown(_answer())}</body></html>")
        assert page.evaluate("window.__pwned") is None
        table = page.locator("table.who-says-what")
        assert table.evaluate("t => getComputedStyle(t).direction") == "rtl"
        assert table.locator("tbody tr").count() == 2
        assert page.locator("svg.figure-chart rect").count() == 2
        widths = page.locator("svg.figure-chart rect").evaluate_all("rs => rs.map(r => r.getBBox().width)")
        assert widths[0] < widths[1]  # 12 then 14
        browser.close()
