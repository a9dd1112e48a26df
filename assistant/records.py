"""Typed records passed between pipeline stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Source:
    """Where a document came from; every citation carries it."""

    doc_id: str
    path: str  # relative to the folder given to `build` ("" for records from .jsonl)
    title: str = ""
    outlet: str = ""
    date: str = ""
    url: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Document:
    source: Source
    text: str  # the decoded original text; passage offsets index into it
    sha256: str  # of the decoded text, for change detection
    spans: tuple[tuple[int, int], ...] = ()  # clean (non-junk) regions of `text`

    @property
    def doc_id(self) -> str:
        return self.source.doc_id


@dataclass(frozen=True)
class Passage:
    passage_id: str
    doc_id: str
    start: int
    end: int
    text: str  # == document.text[start:end]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    passage: Passage
    source: Source
    scores: dict[str, float] = field(default_factory=dict)  # per-method scores, for explanations

    def to_dict(self) -> dict:
        p = self.passage
        return {"rank": self.rank, "score": round(float(self.score), 6), "passage_id": p.passage_id,
                "text": p.text, "start": p.start, "end": p.end, "source": self.source.to_dict()}
