"""What a sentence claims: figures, dates and times, and who is speaking.

Everything runs on ``lexicon.Folded`` text, so each match maps back to exact document offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..normalize import normalize_arabic
from .lexicon import Folded, Token, concepts_of, events, fold, tokens, vocabulary


@dataclass(frozen=True)
class Figure:
    start: int  # document offsets of the whole figure, qualifier included ("أكثر من 200")
    end: int
    first: int  # token index range of the figure inside the sentence's tokens
    last: int
    number: float | None  # None for vague amounts (عشرات = "dozens", جميع = "all")
    qualifier: str  # "", "more than", "about", "less than", "between", "dozens", "hundreds", "thousands", "all"...
    high: float | None = None  # the top of a range: "بين 20 و30" is 20..30


@dataclass(frozen=True)
class Attribution:
    speaker: str  # the party, as written (quotes and tatweel dropped)
    start: int  # document offsets of the attribution (verb or preposition .. end of speaker)
    end: int
    named: bool  # False when the verb has no explicit subject ("ولفتت إلى ...")


def _n(spec: str) -> list[str]:
    return [normalize_arabic(w) for w in spec.split()]


_UNITS = dict(zip(_n("واحد واحدة اثنان اثنين اثنتان اثنتين ثلاث ثلاثة أربع أربعة خمس خمسة ست ستة "
                     "سبع سبعة ثمان ثماني ثمانية تسع تسعة عشر عشرة"),
                  [1, 1, 2, 2, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 8, 9, 9, 10, 10], strict=True))
_UNITS.update({w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split()) if i})
_TENS = {w: 10 * (i // 2 + 2) for i, w in enumerate(_n(
    "عشرون عشرين ثلاثون ثلاثين أربعون أربعين خمسون خمسين ستون ستين سبعون سبعين ثمانون ثمانين "
    "تسعون تسعين"))}
_HUNDREDS = {normalize_arabic(p + s): v * 100 for p, v in (
    ("", 1), ("ثلاث", 3), ("أربع", 4), ("خمس", 5), ("ست", 6), ("سبع", 7), ("ثمان", 8), ("تسع", 9))
    for s in ("مئة", "مائة")}
_HUNDREDS.update(dict.fromkeys(_n("مئتين مئتان مائتين مائتان"), 200))
_THOUSANDS = {normalize_arabic("ألف"): 1000, normalize_arabic("ألفين"): 2000, normalize_arabic("آلاف"): 1000}
_VAGUE = dict(zip(_n("عشرات مئات آلاف الآلاف dozens hundreds thousands"),
                  ["dozens", "hundreds", "thousands", "thousands", "dozens", "hundreds", "thousands"],
                  strict=True))
# A share of a definite group ("جميع المعتقلين", "معظم الركاب"): a vague figure of that noun.
_SHARES = {**dict.fromkeys(_n("جميع كل كافة"), "all"), **dict.fromkeys(_n("معظم أغلب أغلبية غالبية"), "most")}
_QUALIFIERS = [(_n(p), q) for p, q in (
    ("أكثر من", "more than"), ("ما يزيد عن", "more than"), ("ما يزيد على", "more than"),
    ("أزيد من", "more than"), ("ما لا يقل عن", "at least"), ("أقل من", "less than"),
    ("نحو", "about"), ("حوالي", "about"), ("قرابة", "about"), ("زهاء", "about"),
    ("more than", "more than"), ("over", "more than"), ("about", "about"), ("nearly", "about"),
    ("at least", "at least"), ("almost", "about"), ("around", "about"))]


def _number_word(word: str) -> tuple[float | None, str] | None:
    for v in dict.fromkeys((word, word[1:] if word[:1] in "وب" and len(word) > 3 else word)):
        if v.isdigit():
            return float(v), ""
        if v in _VAGUE:  # "آلاف النازحين": thousands; "ثلاثة آلاف" is read as a compound below
            return None, _VAGUE[v]
        for table in (_UNITS, _TENS, _HUNDREDS, _THOUSANDS):
            if v in table:
                return float(table[v]), ""
    return None


def find_figures(f: Folded, toks: list[Token]) -> list[Figure]:
    """Numbers in digits (any script) or words, with their qualifier ("أكثر من", "نحو")."""
    out: list[Figure] = []
    i = 0
    while i < len(toks):
        got = _number_word(toks[i].text)
        if got is None:
            if share := _share(f, toks, i):
                out.append(Figure(toks[i].start, toks[i].end, i, i, None, share))
            i += 1
            continue
        number, qual = got
        first = last = i
        if number is not None and i + 1 < len(toks) and toks[i].text.isdigit() and toks[i + 1].text.isdigit() \
                and len(toks[i + 1].text) != 3 and _sep(f, toks[i], toks[i + 1]) == ".":  # not "254.000" (thousands)
            number, last = float(f"{toks[i].text}.{toks[i + 1].text}"), i + 1  # "6.2", "6٫2" (٫ folds to ".")
        # compounds: "خمسة وعشرون", "ثلاثة آلاف", "1,500" is left as two numbers on purpose
        while last + 1 < len(toks):
            word = toks[last + 1].text
            mult = _THOUSANDS.get(word) or _THOUSANDS.get(word[1:])
            nxt = (float(mult), "") if mult else _number_word(word)
            if nxt is None or nxt[0] is None or number is None:
                break
            if mult:
                number *= nxt[0] if number < 1000 else 1
            elif word.startswith("و"):
                number += nxt[0]
            else:
                break
            last += 1
        for words, q in _QUALIFIERS:
            k = len(words)
            if first - k >= 0 and [t.text for t in toks[first - k:first]] == words:
                first -= k
                qual = qual or q
                break
        out.append(Figure(toks[first].start, toks[last].end, first, last, number, qual))
        i = last + 1
    return _ranges(out, toks)


def _share(f: Folded, toks: list[Token], i: int) -> str:
    """"جميع المعتقلين", "ومعظم الركاب": a share word right before a definite noun of its clause
    ("كل يوم", "جميعاً", "كل من" are no figure)."""
    word = toks[i].text
    share = _SHARES.get(word) or (_SHARES.get(word[1:]) if word.startswith("و") else None)
    if not share or i + 1 >= len(toks) or f.text[toks[i].fend:toks[i + 1].fstart].strip():
        return ""
    return share if toks[i + 1].text.startswith("ال") and len(toks[i + 1].text) > 3 else ""


_BETWEEN = frozenset(_n("بين ما بين between"))


def _ranges(figures: list[Figure], toks: list[Token]) -> list[Figure]:
    """"بين 20 و30" / "between 20 and 30" -> one figure 20..30."""
    out: list[Figure] = []
    for fig in figures:
        prev = out[-1] if out else None
        if (prev and prev.first > 0 and toks[prev.first - 1].text.lower() in _BETWEEN and prev.number is not None
                and fig.number is not None and fig.first == prev.last + 1
                and toks[fig.first].text.startswith("و")):
            out[-1] = Figure(toks[prev.first - 1].start, fig.end, prev.first - 1, fig.last, prev.number,
                             "between", fig.number)
        elif (prev and prev.first > 0 and toks[prev.first - 1].text.lower() in _BETWEEN and fig.number is not None
              and fig.first == prev.last + 2 and toks[prev.last + 1].text.lower() in ("and", "و")):
            out[-1] = Figure(toks[prev.first - 1].start, fig.end, prev.first - 1, fig.last, prev.number,
                             "between", fig.number)
        else:
            out.append(fig)
    return out


_MONTHS = ("كانون الثاني|كانون الاول|شباط|اذار|نيسان|ايار|حزيران|تموز|اب|ايلول|تشرين الاول|"
           "تشرين الثاني|يناير|فبراير|مارس|ابريل|مايو|يونيو|يونيه|يوليو|يوليه|اغسطس|سبتمبر|اكتوبر|"
           "نوفمبر|ديسمبر|january|february|march|april|may|june|july|august|september|october|"
           "november|december")
_DAYS = "السبت|الاحد|الاثنين|الثلاثاء|الاربعاء|الخميس|الجمعه"
_DATE_PATTERNS = [re.compile(p) for p in (
    r"\d{1,2}/\d{1,2}/\d{2,4}",
    rf"(?:\d{{1,2}}\s+)?(?:{_MONTHS})(?:\s*/\s*(?:{_MONTHS}))?(?:\s+(?:من\s+)?(?:العام\s+|عام\s+)?\d{{4}})?",
    rf"(?:(?:يوم|مساء|صباح|فجر|ليله)\s+)?(?:{_DAYS})(?:\s+(?:الماضي|المقبل|الفائت))?",
    r"(?:(?:مساء|صباح|فجر|ليل|ظهر)\s+)?(?:اليوم|امس|الامس|البارحه)(?:\s+(?:" + _DAYS + r"))?",
    r"(?:عند\s+)?الساعه\s+(?:ال)?\d{1,2}(?::\d{2})?(?:\s*(?:صباحا|مساء|ظهرا|ليلا))?",
    r"(?:العام|عام|سنه)\s+\d{4}",
    r"منذ\s+(?:\d+|\w+)\s+(?:سنوات|ايام|اشهر|ساعات|اسابيع|سنه|يوما|ساعه)",
    r"(?:19|20)\d{2}",
)]
_LETTER = re.compile(r"[^\W\d_]")


def find_dates(f: Folded) -> list[tuple[int, int]]:
    """Dates and times as document spans; touching pieces ("20 كانون الثاني 2022، وعند الساعة 7") merge."""
    spans: list[tuple[int, int]] = []
    for pat in _DATE_PATTERNS:
        for m in pat.finditer(f.text):
            a, b = m.start(), m.end()
            before = f.text[a - 1] if a else " "
            after = f.text[b] if b < len(f.text) else " "
            if _LETTER.match(before) and f.text[a - 1:a] not in "وب" or _LETTER.match(after):
                continue  # inside a longer word ("اب" in "ابواب")
            spans.append((a, b))
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and re.fullmatch(r"[\s,،;/و]*", f.text[merged[-1][1]:a] if a > merged[-1][1] else ""):
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [f.span(a, b) for a, b in merged]


# The words of reporting (verbs, "according to", speakers' heads, titles, statements): vocabulary.tsv.
_V = vocabulary()
REPORTING_VERBS = _VERBS = _V.words("reporting", "verb")
_PREPS = _V.words("reporting", "preposition")
_STOP = frozenset(_n(
    "أن إن أنه إنه أنها إنها فإن بأن عن إلى على في خلال بعد قبل منذ اليوم أمس ل عبر ضد مع حول لدى "
    "عند بين حتى التي الذي الذين اللذين هو هي ما فيه فيها عنه عنها عنهم عليه عليها منه منها منهم له لها لهم "
    "به بها بهم هذا هذه ذلك تلك هناك that to on in who which what it they"))
_TIME = frozenset(_n("اليوم أمس الأمس السبت الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة "
                     "مساء صباح قد"))
_HEADS = _V.words("reporting", "head")
# A generic subject ("الوكالة") is resolved to the nearest earlier full name ("وكالة الأنباء الرسمية").
GENERIC = _V.words("reporting", "generic")
STATEMENTS = _V.words("reporting", "statement")
_TITLES, _OFFICES = _V.words("reporting", "title"), _V.words("reporting", "office")
_QUOTES = "\"'“”«»‘’"


def _sep(f: Folded, a: Token, b: Token) -> str:
    return f.text[a.fend:b.fstart]


def _noun_phrase(f: Folded, toks: list[Token], i: int, limit: int = 7) -> int:
    """Index after the agent noun phrase starting at token ``i`` (== i when there is none)."""
    j = i
    while j < len(toks) and toks[j].text in _TIME:
        j += 1
    if j >= len(toks) or toks[j].text in _STOP or toks[j].text.isdigit() or toks[j].text in _VERBS:
        return i
    if j > 0 and re.search(r"[,.:;!?]", _sep(f, toks[j - 1], toks[j])):
        return i  # "قد رصد، إصابة ...": what follows the comma is the object, not the subject
    first = toks[j].text
    if first.startswith("ل") and not first.startswith("ال"):
        return i  # "أضاف لوكالة ...": the listener
    start = j
    head = first in _HEADS or (first[:1] in "وفب" and first[1:] in _HEADS)
    plain = 0 if head else 1  # a head noun may take one indefinite word ("مصدر عسكري")
    latin = first.isascii()
    while j < len(toks) and j - start < limit:
        if j > start and re.search(r"[,.:;!?]", _sep(f, toks[j - 1], toks[j])):
            break
        word = toks[j].text
        if latin:  # "according to the fire brigade": Latin words up to a stop word or verb
            if not word.isascii() or word.lower() in _STOP or word.lower() in _VERBS or word.isdigit():
                break
            j += 1
            continue
        quoted = j > start and any(q in _sep(f, toks[j - 1], toks[j]) for q in _QUOTES)
        if (word in _STOP and word != "ل") or word in _VERBS or word.isdigit():
            break
        if j == start or word == "ل" or quoted or any(v.startswith("ال") for v in _peel(word)):
            j += 1
        elif _construct(toks, j, start):
            j += 1
        elif plain < 1 and head and j == start + 1:
            plain += 1
            j += 1
        elif any(v in _TITLES | _OFFICES for v in _peel(toks[j - 1].text)) or (
                j >= start + 2 and any(v in _TITLES | _OFFICES for v in _peel(toks[j - 2].text))):
            j += 1  # "الدكتور أحمد سالم": a title takes a personal name
        else:
            break
    while j > start and toks[j - 1].text in _TIME:
        j -= 1
    return j if j > start else i


def _definite(word: str) -> bool:
    return any(v.startswith("ال") for v in _peel(word))


def _construct(toks: list[Token], j: int, start: int) -> bool:
    """"قوات الدفاع المدني", "لقوات الدفاع ...": a bare noun after a construct noun (bare, or
    "ل"+noun after a definite word) when a definite word follows it; an event word ("مقتل",
    "تحرير") never continues a name."""
    word, prev = toks[j].text, toks[j - 1].text
    if concepts_of(word) or word in _STOP or word in _VERBS or word.isdigit():
        return False
    nxt = toks[j + 1].text if j + 1 < len(toks) else ""
    if word.startswith("ل") and not word.startswith("ال"):  # "المركز الإعلامي لقوات"
        return j > start and _definite(prev)
    if word.startswith("ب") and len(word) > 3:  # "الناطق الرسمي باسم الجيش"
        return j > start and _definite(prev) and _definite(nxt)
    bare_prev = not _definite(prev) and not events(concepts_of(prev))
    return bare_prev and _definite(nxt) and not concepts_of(nxt)


def _apposition(f: Folded, toks: list[Token], j: int) -> int:
    """Extend past ", سامر خليل،": a short name set off by commas right after the subject."""
    if j >= len(toks) or not re.search(r"[,]", _sep(f, toks[j - 1], toks[j])):
        return j
    for k in range(j + 1, min(j + 4, len(toks))):
        if re.search(r"[.:;!?]", _sep(f, toks[k - 1], toks[k])):
            return j
        if "," in _sep(f, toks[k - 1], toks[k]):
            nxt = toks[k].text
            return k if nxt in _STOP or nxt in _TIME or nxt in _VERBS else j
    return j


def _peel(word: str) -> tuple[str, ...]:
    return (word, word[1:]) if len(word) > 3 and word[0] in "وفبلك" else (word,)


def _clean(text: str) -> str:
    for q in _QUOTES:
        text = text.replace(q, "")
    return re.sub(r"\s+", " ", text).strip(" ،,:")


def find_attributions(f: Folded, toks: list[Token]) -> list[Attribution]:
    """Every "X said" / "according to X" in a span, in text order."""
    out: list[Attribution] = []
    for i, t in enumerate(toks):
        word = t.text if t.text in _VERBS | _PREPS else (t.text[1:] if t.text[:1] in "وف" else "")
        if word in _PREPS:
            if i + 1 < len(toks) and toks[i + 1].text in _VERBS:
                continue  # "حسبما نقلت الوكالة": the verb carries the speaker
            s0 = i + 1 + (toks[i + 1].text.lower() == "to" if i + 1 < len(toks) else 0)
            j = _noun_phrase(f, toks, s0)
            if j > s0:
                out.append(_make(f, toks, i, s0, j))
            continue
        if word not in _VERBS:
            continue
        k = _svo_subject(f, toks, i)
        if k is not None:
            out.append(_make(f, toks, i, k, i, subject_first=True))
            continue
        j = _noun_phrase(f, toks, i + 1)
        if j > i + 1:
            a = _make(f, toks, i, i + 1, _apposition(f, toks, j))
            if word in _n("نقل نقلت") and j < len(toks) and toks[j].text == "عن":
                k = _noun_phrase(f, toks, j + 1, limit=3)
                if k > j + 1:  # "نقلت الوكالة عن مصدر عسكري": keep who it quotes
                    a = Attribution(a.speaker + " عن " + _clean(_orig(f, toks, j + 1, k)), a.start,
                                    toks[k - 1].end, True)
            out.append(a)
        else:
            out.append(Attribution("", t.start, t.end, False))
    return out


def _svo_subject(f: Folded, toks: list[Token], i: int) -> int | None:
    """Start of a subject written before its verb ("وكان المركز قد رصد", "لكن وكالة X أكدت")."""
    k = i
    while k > 0 and toks[k - 1].text in _TIME:
        k -= 1
    lead = _n("كان كانت وكان وكانت لكن ولكن")
    j = k - 1
    while j >= 0 and toks[j].text not in lead and i - j <= 8:
        if re.search(r"[.;:!?]", _sep(f, toks[j], toks[j + 1])):
            break
        j -= 1
    start = j + 1 if j >= 0 and toks[j].text in lead else (0 if j < 0 else None)
    if start is None or start >= k:
        return None
    first = toks[start].text
    if not (first.isascii() or any(v in _HEADS or v.startswith("ال") for v in _peel(first))):
        return None  # "وحسبما نقلت": a subject before its verb starts with a noun we recognise
    end = _apposition(f, toks, _noun_phrase(f, toks, start, limit=k - start))
    return start if end == k and end > start else None


def _orig(f: Folded, toks: list[Token], a: int, b: int) -> str:
    lo, hi = toks[a].start - f.base, toks[b - 1].end - f.base
    return f.original[lo:hi]


def _make(f: Folded, toks: list[Token], cue: int, a: int, b: int, subject_first: bool = False) -> Attribution:
    """The attribution whose speaker is tokens [a, b) (a statement noun or a bare title is no
    speaker: "وفق رواية التنظيم" -> "التنظيم", "ولفت البيان" -> unnamed, the speaker before)."""
    end = b
    if subject_first:  # a is the subject start, b the verb
        while end > a and toks[end - 1].text in _TIME:
            end -= 1
    while a < end and any(v in STATEMENTS for v in _peel(toks[a].text)):
        if _definite(toks[a].text):  # "بحسب الحصيلة الرسمية": what follows is an adjective
            a = end
            break
        a += 1  # "وفق رواية الشرطة": whose statement it is
    lo, hi = (toks[a].start if a < end else toks[cue].start), toks[cue].end if subject_first else toks[b - 1].end
    if a >= end or all(any(v in _TITLES for v in _peel(t.text)) for t in toks[a:end]):
        return Attribution("", min(lo, toks[cue].start), hi, False)
    return Attribution(_clean(_orig(f, toks, a, end)), min(toks[a].start, toks[cue].start), hi, True)


def resolve_generic(speaker: str, doc_text: str, before: int, previous: str = "") -> str:
    """"الوكالة" -> "الوكالة (وكالة الأنباء الرسمية)": the nearest earlier full name in the document.

    ``previous`` (the last named speaker before) stands in for a statement ("البيان").
    """
    own = speaker.split(" عن ")[0].split()
    if not own or normalize_arabic(own[-1].strip(_QUOTES)) not in GENERIC:
        return speaker
    head = normalize_arabic(own[-1].strip(_QUOTES))[2:]  # "الوكالة" -> "وكاله"
    f = fold(doc_text[:before])
    toks = tokens(f)
    for definite in (False, True):  # an indefinite head names its owner: "وكالة “نبأ“"
        for i in range(len(toks) - 1, -1, -1):
            word = toks[i].text
            forms = {word: 0, word[1:]: 1} if word[:1] in "وفبل" else {word: 0}
            cut = forms.get(("ال" if definite else "") + head)
            if cut is None:
                continue
            j = _noun_phrase(f, toks, i)
            nisba = toks[i + 1].text.endswith("ي") if i + 1 < len(toks) else False
            if j - i >= 2 and (not definite or nisba):
                name = _clean(_orig(f, toks, i, j))[cut:]
                if normalize_arabic(name) != normalize_arabic(speaker):
                    return f"{speaker} ({name})"
    return f"{speaker} ({previous})" if previous and previous != speaker else speaker
