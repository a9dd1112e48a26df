"""HTML fragments for the UI: result cards, the sources panel, answers.

Pure functions of records (no Gradio), so they are unit-tested without a server. All text
passes through :mod:`assistant.ui.render`, which escapes it.
"""

from __future__ import annotations

from collections import Counter

from ..records import Hit, Source
from .render import esc, esc_lines, highlight, line_of, mark


def source_label(source: Source) -> str:
    return " · ".join(x for x in (source.title or source.doc_id, source.outlet, source.date) if x)


def cite_value(doc_id: str, start: int, end: int, span: tuple[int, int] | None = None) -> str:
    """A citation as one string (read back by ``parse_cite``)."""
    return "|".join([doc_id, str(start), str(end)] + ([str(span[0]), str(span[1])] if span else []))


def cite_attr(doc_id: str, start: int, end: int, span: tuple[int, int] | None = None) -> str:
    """The value of a clickable citation's data-cite attribute (escaped ``cite_value``)."""
    return esc(cite_value(doc_id, start, end, span))


def parse_cite(value: str) -> tuple[str, int, int, tuple[int, int] | None]:
    """Inverse of :func:`cite_attr`; raises ValueError on anything malformed."""
    doc_id, *numbers = str(value).rsplit("|", 4) if str(value).count("|") >= 4 else str(value).rsplit("|", 2)
    ints = [int(x) for x in numbers]
    if len(ints) not in (2, 4):
        raise ValueError(f"bad citation {value!r}")
    return doc_id, ints[0], ints[1], (ints[2], ints[3]) if len(ints) == 4 else None


def cite_link(source: Source, start: int, end: int, span: tuple[int, int] | None = None) -> str:
    """A link that opens ``source``'s document with ``start:end`` highlighted (and ``span`` inside)."""
    return (f'<a href="#" class="cite" data-cite="{cite_attr(source.doc_id, start, end, span)}" '
            f'title="افتح المصدر كاملاً / open the source">{esc(source_label(source))}</a>')


def position_label(doc_text: str | None, start: int, end: int) -> str:
    line = f"السطر {line_of(doc_text, start)}، " if doc_text else ""
    return f"{line}المحارف {start}–{end}"


def citation_html(hit: Hit, doc_text: str | None = None) -> str:
    s, p = hit.source, hit.passage
    return (f'{cite_link(s, p.start, p.end, hit.evidence)} '
            f'<span class="cite-file" dir="ltr">{esc(s.path or s.doc_id)}</span>'
            f' <span class="cite-pos">{esc(position_label(doc_text, p.start, p.end))}</span>')


def results_html(hits: list[Hit], question: str, doc_texts: dict[str, str]) -> str:
    """Result cards: the passage with its evidence and the question's words marked, its citation, and
    the other documents that reprint it."""
    if not hits:
        return message_html("لا توجد مقاطع مطابقة. جرّب كلمات أخرى أو أزل عامل التصفية.")
    cards = []
    for n, h in enumerate(hits, 1):
        also = ""
        if h.also_in:
            links = "، ".join(cite_link(r.source, r.start, r.end) for r in h.also_in)
            also = f'<div class="also-in">ورد أيضاً في (also in): {links}</div>'
        text = highlight(h.passage.text, question, evidence=h.evidence, offset=h.passage.start)
        cards.append(
            f'<article class="result" dir="rtl"><header><span class="rank">{n}</span>'
            f'<span class="score" title="score">الدرجة {h.score:.4f}</span></header>'
            f'<p class="passage-text" dir="auto">{text}</p>'
            f'<footer class="citation">{citation_html(h, doc_texts.get(h.passage.doc_id))}</footer>'
            f"{also}</article>")
    return f'<div class="results" dir="rtl">{"".join(cards)}</div>'


def message_html(text: str) -> str:
    return f'<div class="notice" dir="rtl">{esc(text)}</div>'


def sources_html(index) -> str:
    """A table of the indexed documents with metadata and passage counts."""
    counts = Counter(p.doc_id for p in index.passages)
    rows = []
    for doc_id, doc in index.documents.items():
        s = doc.source
        rows.append(f"<tr><td dir=\"auto\">{esc(s.title or doc_id)}</td><td>{esc(s.outlet) or '—'}</td>"
                    f"<td>{esc(s.date) or '—'}</td><td dir=\"ltr\">{esc(s.path or doc_id)}</td>"
                    f"<td>{counts.get(doc_id, 0)}</td><td>{len(doc.text):,}</td></tr>")
    head = ("<tr><th>العنوان (title)</th><th>الوسيلة (outlet)</th><th>التاريخ (date)</th>"
            "<th>الملف (file)</th><th>المقاطع (passages)</th><th>المحارف (chars)</th></tr>")
    total = f"{len(index.documents)} وثائق، {len(index.passages)} مقطعاً"
    return (f'<div class="sources" dir="rtl"><p>{esc(total)}</p>'
            f'<table><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>')


_AGREEMENT = {"agree": "المصادر متفقة على هذه المعلومة.", "single": "مصدر واحد فقط يذكر هذه المعلومة.",
              "differ": "تنبيه: المصادر تختلف في هذه المعلومة:"}
NOT_FOUND = "لم أجد في المصادر المفهرسة ما يجيب عن هذا السؤال. جرّب صياغة أخرى أو كلمات مختلفة."


def answer_markdown(answer) -> str:
    """One line of escaped HTML for the chat: cited sentences, who says what, expandable references."""
    if not answer.found:
        return f'<div class="answer" dir="rtl"><p>{esc(NOT_FOUND)}</p></div>'
    body = " ".join(f'{esc_lines(s.text)} <sup class="ref">&#91;{s.citation}&#93;</sup>'
                    for s in answer.sentences)
    parts = [f'<div class="answer" dir="rtl"><p>{body}</p>']
    note = _AGREEMENT.get(answer.agreement)
    if note:
        parts.append(f'<p class="agreement">{esc(note)}</p>')
    if answer.claims:
        parts.append(who_says_what_html(answer))
    for n, hit in enumerate(answer.hits, 1):
        p = hit.passage
        spans = [(s.start, s.end) for s in answer.sentences if s.citation == n]
        text = mark(p.text, spans, cls="answer-span", offset=p.start).replace("\n", "<br>")
        label = esc(source_label(hit.source))
        parts.append(f'<details class="ref-detail"><summary>&#91;{n}&#93; {label}</summary>'
                     f'<blockquote dir="auto">{text}</blockquote>'
                     f'<small dir="rtl">{esc(hit.source.path or hit.source.doc_id)} — '
                     f"{esc(position_label(None, p.start, p.end))}</small></details>")
    parts.append("</div>")
    return "".join(parts)


def who_says_what_html(answer) -> str:
    """Who says what: a table of source (outlet, date), speaker, claim and figure, sorted by figure.
    A numeric disagreement is also drawn as a chart (``chart_frame``) under the conversation."""
    from ..answer.table import chart_points, comparison_rows

    rows = comparison_rows(answer)
    body = []
    for r in rows:
        claim = next((c for c in answer.claims if c.doc_id == r.doc_id or
                      any(x.source.doc_id == r.doc_id for x in c.also)), None)
        quote = f"«{_claim_sentence(claim)}»" if claim is not None and not r.reprint else ""
        cite = f' <sup class="ref">&#91;{r.citation}&#93;</sup>' if r.citation else ""
        figure = "" if r.number is None else f"{r.number:g}"
        body.append(f"<tr><td>{esc(r.outlet)}<br><small>{esc(r.date)}</small></td>"
                    f"<td><b>{esc(r.speaker or 'المصدر نفسه')}</b></td><td><b>{esc(r.value)}</b>{cite}"
                    f"<br><small>{quote}</small></td><td>{esc(figure)}</td></tr>")
    table = ('<table class="who-says-what" dir="rtl" style="border-collapse:collapse;margin:.5em 0">'
             '<thead><tr><th>المصدر</th><th>المتحدث</th><th>الرواية</th><th>الرقم</th></tr></thead>'
             f'<tbody>{"".join(body)}</tbody></table>')
    if chart_points(answer):
        table += f'<p class="chart-note">{esc(CHART_NOTE)}</p>'
    return table


CHART_NOTE = "الأرقام حسب المصدر في الرسم تحت المحادثة؛ مرّر المؤشر على عمود لمرجعه، أو حدّده لفتح المقطع."
CHART_X, CHART_Y = "المصدر (source)", "الرقم (figure)"
CHART_TOOLTIP = ["الرواية (claim)", "المتحدث (speaker)", "المرجع (citation)"]


def chart_frame(points):
    """The chart's data (a pandas DataFrame, one row per bar), or None when there is nothing to draw.
    Text goes to the plot as data: Vega draws it as SVG text and its tooltip escapes it."""
    if not points:
        return None
    import pandas as pd

    return pd.DataFrame({
        CHART_X: [p.label for p in points],
        CHART_Y: [p.number for p in points],
        CHART_TOOLTIP[0]: [p.value for p in points],
        CHART_TOOLTIP[1]: [p.speaker or "المصدر نفسه" for p in points],
        CHART_TOOLTIP[2]: [f"[{p.citation}] {p.source}" if p.citation else p.source for p in points],
    })


def _claim_sentence(claim) -> str:
    """The claim's sentence with its figure marked (offsets are in the document, like the sentence's)."""
    span = (getattr(claim, "value_start", 0), getattr(claim, "value_end", 0))
    spans = [span] if claim.start <= span[0] < span[1] <= claim.end else []
    return mark(claim.sentence, spans, cls="answer-span", offset=claim.start).replace("\n", "<br>")


def references_html(answer) -> str:
    """The latest answer's references as clickable citations that open the source document."""
    if not answer.found:
        return message_html(NOT_FOUND)
    items = []
    for n, hit in enumerate(answer.hits, 1):
        p = hit.passage
        first = next((s for s in answer.sentences if s.citation == n), None)
        span = (first.span_start, first.span_end) if first else None
        items.append(f'<li><span class="ref">&#91;{n}&#93;</span> {cite_link(hit.source, p.start, p.end, span)}'
                     f' <span class="cite-pos">{esc(position_label(None, p.start, p.end))}</span></li>')
    return f'<div class="references" dir="rtl"><p>المراجع (references):</p><ul>{"".join(items)}</ul></div>'
