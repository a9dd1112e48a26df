"""Which documents a search may return: by id, by outlet, by date range.

One record (``Filters``) for every interface: the CLI's ``--doc/--outlet/--since/--until``, the
API's and UI's ``"doc:ID"``, ``"outlet:NAME"``, ``"since:YYYY-MM-DD"``, ``"until:YYYY-MM-DD"``
strings (``Filters.parse``), and ``Searcher.search(filters=...)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .errors import QueryError
from .records import Document

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
PREFIXES = ("doc:", "outlet:", "since:", "until:")


@dataclass(frozen=True)
class Filters:
    """Documents named by id or outlet (either matches; none given = all), within an inclusive
    date range. A document whose date is not written YYYY-MM-DD… is outside every date range:
    the user asked for dates we cannot confirm."""

    doc_ids: frozenset[str] = frozenset()
    outlets: frozenset[str] = frozenset()
    since: str = ""  # YYYY-MM-DD, inclusive; "" = open
    until: str = ""

    def __post_init__(self):
        for name in ("since", "until"):
            value = getattr(self, name)
            if value and not _DATE.fullmatch(value):
                raise QueryError(f"{name} must be a date written YYYY-MM-DD, not {value!r}")

    def __bool__(self) -> bool:
        return bool(self.doc_ids or self.outlets or self.since or self.until)

    @classmethod
    def parse(cls, specs: Iterable[str] | None) -> Filters:
        """From ``"doc:ID"``, ``"outlet:NAME"``, ``"since:DATE"``, ``"until:DATE"`` strings."""
        docs, outlets, since, until = set(), set(), "", ""
        for spec in specs or ():
            spec = str(spec)
            if spec.startswith("doc:"):
                docs.add(spec[4:])
            elif spec.startswith("outlet:"):
                outlets.add(spec[7:])
            elif spec.startswith("since:"):
                since = spec[6:].strip()
            elif spec.startswith("until:"):
                until = spec[6:].strip()
            else:
                raise QueryError(f"unknown filter {spec!r}; use one of {', '.join(p + '…' for p in PREFIXES)}")
        return cls(frozenset(docs), frozenset(outlets), since, until)

    def admits(self, doc: Document) -> bool:
        s = doc.source
        if (self.doc_ids or self.outlets) and not (doc.doc_id in self.doc_ids or s.outlet in self.outlets):
            return False
        if self.since or self.until:
            m = _DATE.match(s.date.strip())
            if not m:
                return False
            day = m.group()
            if (self.since and day < self.since) or (self.until and day > self.until):
                return False
        return True

    def allowed(self, documents: Mapping[str, Document]) -> frozenset[str]:
        """The ids of ``documents`` these filters admit."""
        return frozenset(d for d, doc in documents.items() if self.admits(doc))
