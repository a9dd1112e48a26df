"""Who says what as a table: one row per source, sorted by figure; rendered in the terminal (no model)."""

from __future__ import annotations

from assistant.answer import Answer, AnswerSentence, Claim, Reprint
from assistant.answer.table import comparison_rows
from assistant.cli.render import answer_text
from assistant.records import Hit, Passage, Source


def _answer() -> Answer:
    texts = {"a": "أعلن الدفاع المدني مقتل 14 عاملاً.", "b": "قُتل 12 عاملاً بحسب الوزارة.",
             "c": "قُتل 12 عاملاً بحسب الوزارة."}
    sources = {d: Source(d, f"{d}.txt", outlet=o, date=dt) for d, o, dt in
               (("a", "وكالة الشرق", "2025-03-14"), ("b", "صحيفة الوادي", "2025-03-15"), ("c", "موقع الخبر", ""))}
    hits = {d: Hit(1, 1.0, Passage(f"{d}:0", d, 0, len(t), t), sources[d]) for d, t in texts.items()}
    sentences = (AnswerSentence(texts["a"], 1, 0, len(texts["a"]), 0, 1, hits["a"]),
                 AnswerSentence(texts["b"], 2, 0, len(texts["b"]), 0, 1, hits["b"]))
    claims = (Claim(sources["a"], "الدفاع المدني", texts["a"], "14", 0, len(texts["a"]), "a", number=14),
              Claim(sources["b"], "الوزارة", texts["b"], "12", 0, len(texts["b"]), "b", number=12,
                    also=(Reprint(sources["c"], 0, len(texts["c"])),)))
    return Answer("كم عدد القتلى؟", sentences, claims, "differ", (hits["a"], hits["b"]), "figure")


def test_rows_one_per_source_sorted_by_figure():
    rows = comparison_rows(_answer())
    assert [(r.outlet, r.number, r.citation, r.reprint) for r in rows] == [
        ("صحيفة الوادي", 12, 2, False), ("موقع الخبر", 12, 2, True), ("وكالة الشرق", 14, 1, False)]
    assert rows[0].speaker == "الوزارة" and rows[0].date == "2025-03-15"


def test_terminal_table():
    text = answer_text(_answer())
    table = text.split("The sources differ:")[1].split("Passages:")[0].strip().splitlines()
    assert table[0].split("|")[0].strip() == "source (outlet, date)"
    assert "صحيفة الوادي, 2025-03-15" in table[1] and "12 [2]" in table[1] and table[1].rstrip().endswith("12")
    assert "موقع الخبر" in table[2] and "وكالة الشرق, 2025-03-14" in table[3]


def test_chart_points_one_bar_per_source_each_with_its_own_citation():
    from assistant.answer.table import chart_points

    points = chart_points(_answer())
    assert [(p.label, p.number, p.doc_id) for p in points] == [
        ("[2] صحيفة الوادي", 12, "b"), ("[2] موقع الخبر", 12, "c"), ("[1] وكالة الشرق", 14, "a")]
    assert points[1].source == "موقع الخبر · c.txt"  # the reprint opens its own document
    agree = _answer()
    agree = type(agree)(agree.question, agree.sentences, agree.claims, "agree", agree.hits, "figure")
    assert chart_points(agree) == []  # a chart only for a disagreement
