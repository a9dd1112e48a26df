"""Who says what, as rows: one per source of each claim (an outlet that reprints a claim gets its own
row), sorted by figure so disagreements sit side by side. The CLI and the UI render these rows; the
UI also draws ``chart_points`` (a numeric disagreement, one bar per source, each with its citation)."""

from __future__ import annotations

from dataclasses import dataclass

from ..records import Source


@dataclass(frozen=True)
class ComparisonRow:
    outlet: str  # the outlet, else the title, else the document id
    date: str  # the document's date ("" when unknown)
    speaker: str  # who makes the claim ("" = the outlet itself)
    value: str  # the claim as written ("أكثر من 200")
    number: float | None  # the figure, for sorting and charts (None for dates, names, vague amounts)
    citation: int  # the answer's citation number of the claim's sentence (0 when not cited)
    doc_id: str
    reprint: bool = False  # the row is another outlet printing the same sentence
    start: int = 0  # the claim's sentence in ``doc_id`` (the reprint's own sentence for a reprint)
    end: int = 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ChartPoint:
    """One bar of a numeric disagreement: a source's figure and where it says so."""

    label: str  # the bar's name, unique in the chart: "[2] صحيفة الوادي"
    number: float
    value: str  # as written ("أكثر من 200")
    speaker: str
    source: str  # outlet · date · file, for the tooltip
    citation: int
    doc_id: str
    start: int  # the cited sentence in its document
    end: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict) -> ChartPoint:
        return cls(str(d["label"]), float(d["number"]), str(d["value"]), str(d["speaker"]), str(d["source"]),
                   int(d["citation"]), str(d["doc_id"]), int(d["start"]), int(d["end"]))


def outlet_of(source: Source) -> str:
    return source.outlet or source.title or source.doc_id


def comparison_rows(answer) -> list[ComparisonRow]:
    """The answer's claims as rows, smallest figure first; claims without a figure after them."""
    cite = {(s.hit.passage.doc_id, s.start): s.citation for s in answer.sentences}
    rows = []
    for c in answer.claims:
        n = cite.get((c.doc_id, c.start), 0)
        rows.append(ComparisonRow(outlet_of(c.source), c.source.date, c.speaker, c.value, c.number, n, c.doc_id,
                                  False, c.start, c.end))
        rows += [ComparisonRow(outlet_of(r.source), r.source.date, c.speaker, c.value, c.number, n,
                               r.source.doc_id, True, r.start, r.end) for r in c.also]
    return sorted(rows, key=lambda r: (r.number is None, r.number or 0.0, r.outlet))


def chart_points(answer) -> list[ChartPoint]:
    """The figures of a numeric disagreement, one per source row, smallest first; none unless the
    sources differ and at least two of them give a number."""
    rows = [r for r in comparison_rows(answer) if r.number is not None]
    if answer.agreement != "differ" or len(rows) < 2:
        return []
    paths = {c.doc_id: c.source.path for c in answer.claims} | {
        r.source.doc_id: r.source.path for c in answer.claims for r in c.also}
    points, seen = [], set()
    for r in rows:
        label = f"[{r.citation}] {r.outlet}" if r.citation else r.outlet
        if label in seen:  # one outlet, two figures: each its own bar
            label = f"{label} ({r.value})"
        seen.add(label)
        source = " · ".join(x for x in (r.outlet, r.date, paths.get(r.doc_id) or r.doc_id) if x)
        points.append(ChartPoint(label, float(r.number), r.value, r.speaker, source, r.citation, r.doc_id,
                                 r.start, r.end))
    return points
