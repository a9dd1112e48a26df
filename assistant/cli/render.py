"""Plain-text rendering for the terminal: search hits and answers. Only formatting lives here."""

from __future__ import annotations

from ..answer.compose import NOT_FOUND, Answer
from ..answer.table import comparison_rows, outlet_of
from ..records import Hit, Source, search_record


def hits_text(hits: list[Hit]) -> str:
    """Rank, score, title · outlet · date, the passage with its evidence sentence between » «, its
    exact citation, and the other documents that reprint it."""
    if not hits:
        return "no matching passages"
    lines = []
    for h in hits:
        s, p = h.source, h.passage
        label = " · ".join(x for x in (s.title, s.outlet, s.date) if x)
        text = p.text
        if h.evidence:  # offsets are in the document; the passage starts at p.start
            a, b = h.evidence[0] - p.start, h.evidence[1] - p.start
            text = f"{text[:a]}»{text[a:b]}«{text[b:]}"
        lines += [f"{h.rank}. [{h.score:.4f}] {label}", f"   {text}",
                  f"   ↳ {s.path or s.doc_id} [{p.start}:{p.end}]  ({p.passage_id})"]
        if h.evidence:
            lines.append(f"   evidence [{h.evidence[0]}:{h.evidence[1]}]")
        if h.also_in:
            lines.append("   also in: " + ", ".join(f"{r.source.path or r.source.doc_id} [{r.start}:{r.end}]"
                                                    for r in h.also_in))
        lines.append("")
    return "\n".join(lines)


def hits_json(query_id, query: str, hits: list[Hit]) -> dict:
    return search_record(query_id, query, hits)


_VERDICT = {"differ": "The sources differ:", "agree": "The sources agree:", "single": "One source answers:"}


def answer_text(answer: Answer) -> str:
    """Plain-text rendering for the terminal: cited sentences, who says what, the passages."""
    if not answer.found:
        return NOT_FOUND
    lines = [f"[{s.citation}] {' '.join(s.text.split())}" for s in answer.sentences]
    if answer.claims:
        lines += ["", _VERDICT[answer.agreement], *_table(comparison_rows(answer))]
    lines += ["", "Passages:"]
    for h in answer.hits:
        s = h.source
        lines.append(f"  [{h.rank}] {_outlet(s)} — {s.path or s.doc_id} [{h.passage.start}:{h.passage.end}]")
    return "\n".join(lines)


_HEAD = ("source (outlet, date)", "speaker", "claim", "figure")


def _table(rows) -> list[str]:
    """Who says what as aligned columns, one row per source, sorted by figure."""
    cells = [_HEAD] + [(f"{r.outlet}, {r.date}" if r.date else r.outlet, r.speaker or "(the outlet itself)",
                        f"{r.value} [{r.citation}]" if r.citation else r.value,
                        "" if r.number is None else f"{r.number:g}") for r in rows]
    width = [max(len(" ".join(c[i].split())) for c in cells) for i in range(4)]
    return ["  " + " | ".join(" ".join(c[i].split()).ljust(width[i]) for i in range(4)).rstrip() for c in cells]


def _outlet(source: Source) -> str:
    return outlet_of(source)
