"""Do the sources agree? Claims compared by meaning: numbers as ranges ("أكثر من 60", "عشرات",
"نحو 3500", "بين 20 و30"), dates as calendar days (relative ones — "اليوم", "أمس", "الخميس الماضي" —
resolved against the document's date where it has one), places and names by folded containment
("سوق أريحا" agrees with "أريحا"), yes/no statements by whether any source denies.

Claims are read by attribute (``number``, ``qualifier``, ``value``, ``sentence``, ``doc_id``,
``also``, ``published``), so this module depends on no record type.
"""

from __future__ import annotations

import datetime as dt
import re

from ..normalize import normalize_arabic, tokenize

# "جميع المعتقلين" / "معظم الفارين" say a share of a group, not its size: they clash with no number.
_VAGUE_RANGES = {"dozens": (12.0, 99.0), "hundreds": (100.0, 999.0), "thousands": (1000.0, 9999.0),
                 "all": (1.0, float("inf")), "most": (1.0, float("inf"))}


def compare(claims, kind: str = "") -> str:
    """"differ" when two claims cannot both be true (40 vs 121; "عشرات" vs "أكثر من 800"; Monday vs
    the 20th of a month that was a Thursday), "agree" when several documents are consistent,
    "single" when one document answers, "none" when nothing does."""
    if not claims:
        return "none"
    docs = {c.doc_id for c in claims} | {r.source.doc_id for c in claims for r in c.also}
    if kind == "date":
        days = [resolve_date(c.value, getattr(c, "published", None)) for c in claims]
        clash = any(not _same_day(a, b) for i, a in enumerate(days) for b in days[i + 1:])
    elif kind == "yesno":
        denied = [_denies(c.sentence) for c in claims]
        clash = any(denied) and not all(denied)
    else:
        ranges = [claim_range(c) for c in claims]
        if all(r is not None for r in ranges):
            clash = any(a[1] < b[0] or b[1] < a[0] for i, a in enumerate(ranges) for b in ranges[i + 1:])
        else:
            texts = [" ".join(tokenize(c.value)) for c in claims]
            clash = any(not (a in b or b in a) for i, a in enumerate(texts) for b in texts[i + 1:])
    if clash:
        return "differ"
    return "agree" if len(docs) > 1 else "single"


def claim_range(c) -> tuple[float, float] | None:
    """The values a claim allows: "أكثر من 200" -> (201, inf), "نحو 70" -> (59.5, 80.5)."""
    if c.number is None:
        return _VAGUE_RANGES.get(c.qualifier)
    n = c.number
    high = getattr(c, "high", None)
    if high:  # "بين 20 و30"
        return (n, high)
    return {"more than": (n + 1, float("inf")), "at least": (n, float("inf")), "less than": (0.0, n - 1),
            "about": (n * 0.85, n * 1.15)}.get(c.qualifier, (n, n))


_DENIAL = re.compile(r"(?:^|\s)[وف]?(?:لم|لا|ليس|ليست|نفى|نفت|ينفي|تنفي|عار عن|غير صحيح|no|not|denied)(?:\s|$)")


def _denies(sentence: str) -> bool:
    return bool(_DENIAL.search(normalize_arabic(sentence).lower()))


_MONTHS = {normalize_arabic(name): i for i, names in enumerate((
    "كانون الثاني|يناير|january", "شباط|فبراير|february", "آذار|مارس|march", "نيسان|أبريل|ابريل|april",
    "أيار|مايو|may", "حزيران|يونيو|يونيه|june", "تموز|يوليو|يوليه|july", "آب|أغسطس|اغسطس|august",
    "أيلول|سبتمبر|september", "تشرين الأول|أكتوبر|october", "تشرين الثاني|نوفمبر|november",
    "كانون الأول|ديسمبر|december"), 1) for name in names.split("|")}
_WEEKDAYS = {normalize_arabic(w): i for i, w in enumerate(
    ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"))}
_WEEKDAYS[normalize_arabic("الإثنين")] = 0


def resolve_date(text: str, published: dt.date | None = None) -> dt.date | int | None:
    """A calendar day, or a weekday (0 = Monday) when only that is known, or None.

    "20 كانون الثاني / يناير 2022" -> 2022-01-20; with ``published`` 2022-01-22: "أمس" -> 2022-01-21,
    "الخميس الماضي" -> 2022-01-20; without it "الخميس الماضي" -> 3 (a Thursday)."""
    t = normalize_arabic(text).lower()
    m = re.search(r"(\d{1,2})/(\d{1,2})/(\d{4})", t)
    if m:
        return _day(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    for name, month in sorted(_MONTHS.items(), key=lambda kv: -len(kv[0])):
        m = re.search(rf"(\d{{1,2}})\s+{re.escape(name)}(?:[^\d]{{0,30}}?(\d{{4}}))?", t)
        if m:
            year = int(m.group(2)) if m.group(2) else (published.year if published else None)
            return _day(year, month, int(m.group(1))) if year else None
    if published and re.search(r"(?:^|\s)(?:اليوم|الليله)(?:\s|$)", t):
        return published
    if published and re.search(r"(?:^|\s)(?:امس|الامس|البارحه)(?:\s|$)", t):
        return published - dt.timedelta(days=1)
    for name, weekday in _WEEKDAYS.items():
        if re.search(rf"(?:^|\s){name}(?:\s|$)", t):
            if published:
                back = (published.weekday() - weekday) % 7 or (7 if "الماضي" in t else 0)
                return published - dt.timedelta(days=back)
            return weekday
    return None


def _day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _same_day(a, b) -> bool:
    if a is None or b is None:
        return True  # an unresolved day ("منذ مساء الأمس" with no date for the article) is no clash
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        return a == b
    if isinstance(a, dt.date):
        return a.weekday() == b
    if isinstance(b, dt.date):
        return b.weekday() == a
    return a == b


def published_date(date: str, text: str) -> dt.date | None:
    """The document's date: its metadata (YYYY-MM-DD), else a dateline in its first lines."""
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", date or "")
    if m:
        return _day(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    head = normalize_arabic(text[:300]).lower()
    m = re.search(r"(\d{4})-(\d{2})-(\d{2})", head)
    if m:
        return _day(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    day = resolve_date(head)
    return day if isinstance(day, dt.date) else None
