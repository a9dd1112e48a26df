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

    @classmethod
    def from_dict(cls, d: dict) -> Source:
        return cls(**{k: str(d.get(k) or "") for k in ("doc_id", "path", "title", "outlet", "date", "url")})


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
class Reprint:
    """The same text printed again by another document, at its own place (document offsets)."""

    source: Source
    start: int
    end: int

    def to_dict(self) -> dict:
        return {"source": self.source.to_dict(), "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    passage: Passage
    source: Source
    scores: dict[str, float] = field(default_factory=dict)  # per-method scores, for explanations
    also_in: tuple[Reprint, ...] = ()  # the same passage reprinted by other documents
    evidence: tuple[int, int] | None = None  # the best-matching sentence(s) inside the passage

    def to_dict(self) -> dict:
        p = self.passage
        evidence = {"start": self.evidence[0], "end": self.evidence[1]} if self.evidence else None
        return {"rank": self.rank, "score": round(float(self.score), 6), "passage_id": p.passage_id,
                "text": p.text, "start": p.start, "end": p.end, "source": self.source.to_dict(),
                "evidence": evidence, "also_in": [r.to_dict() for r in self.also_in]}

    @classmethod
    def from_dict(cls, d: dict) -> Hit:
        """The hit a ``to_dict`` record describes (per-method scores are not in records)."""
        source = Source.from_dict(d["source"])
        passage = Passage(d["passage_id"], source.doc_id, int(d["start"]), int(d["end"]), d["text"])
        evidence = (int(d["evidence"]["start"]), int(d["evidence"]["end"])) if d.get("evidence") else None
        also = tuple(Reprint(Source.from_dict(r["source"]), int(r["start"]), int(r["end"]))
                     for r in d.get("also_in", ()))
        return cls(int(d["rank"]), float(d["score"]), passage, source, also_in=also, evidence=evidence)


def search_record(query_id, query: str, hits: list[Hit]) -> dict:
    """One question's results as JSON: what `assistant search --json` prints and the HTTP API returns."""
    return {"id": query_id, "query": query, "results": [h.to_dict() for h in hits]}
