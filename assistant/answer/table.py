"""Who says what, as rows: one per source of each claim (an outlet that reprints a claim gets its own
row), sorted by figure so disagreements sit side by side. The CLI and the UI render these rows."""

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
    citation: int  # the answer's citation number of the claim's sentence (0 for a reprint)
    doc_id: str
    reprint: bool = False  # the row is another outlet printing the same sentence

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def outlet_of(source: Source) -> str:
    return source.outlet or source.title or source.doc_id


def comparison_rows(answer) -> list[ComparisonRow]:
    """The answer's claims as rows, smallest figure first; claims without a figure after them."""
    cite = {(s.hit.passage.doc_id, s.start): s.citation for s in answer.sentences}
    rows = []
    for c in answer.claims:
        n = cite.get((c.doc_id, c.start), 0)
        rows.append(ComparisonRow(outlet_of(c.source), c.source.date, c.speaker, c.value, c.number, n, c.doc_id))
        rows += [ComparisonRow(outlet_of(r.source), r.source.date, c.speaker, c.value, c.number, n,
                               r.source.doc_id, True) for r in c.also]
    return sorted(rows, key=lambda r: (r.number is None, r.number or 0.0, r.outlet))
