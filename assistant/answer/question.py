"""What a question asks for, and where in a sentence the answer to it sits.

A question becomes a ``Question`` (``parse_question``: its kind — figure, date, name, place, cause
or other — the concepts and parties it names, its other content words); ``figure_spans`` and
``typed_spans`` then find the figure, date, name, place or cause in one sentence that fits it,
or nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..normalize import normalize_arabic
from .claims import REPORTING_VERBS, TIME_UNITS, Figure, find_dates, find_figures
from .lexicon import (
    ACTORS,
    CONCEPTS,
    EVENT_CONCEPTS,
    Folded,
    Token,
    actors_in,
    concepts_of,
    content_words,
    fold,
    match_actor,
    same_word,
    tokens,
    variants,
    word_matches,
)


@dataclass(frozen=True)
class Question:
    text: str
    kind: str
    concepts: frozenset[str]
    actors: frozenset[str]
    words: tuple[str, ...]  # folded content words not covered by a concept or a party
    duration: bool = False  # "كم يوما": a figure counting time, not things

    @property
    def terms(self) -> int:
        return len(self.concepts) + len(self.actors) + len(self.words)


@dataclass(frozen=True)
class Span:
    start: int  # document offsets
    end: int
    value: str  # the span's text as written
    number: float | None = None
    qualifier: str = ""
    fit: float = 1.0  # how well it fits the question, 0..1


def _n(spec: str) -> set[str]:
    return {normalize_arabic(w) for w in spec.split()}


_KIND_CUES = [
    ("figure", _n("كم"), ("how many", "how much")),
    ("date", _n("متى متي"), ("when", "what date", "what time")),
    ("place", _n("أين اين"), ("where",)),
    ("cause", _n("لماذا كيف لم"), ("why", "how")),
    ("name", set(), ("who",)),
]


def parse_question(text: str) -> Question:
    f = fold(text)
    toks = tokens(f)
    words = [t.text for t in toks]
    low = f.text.lower()
    kind = "other"
    for k, ar, en in _KIND_CUES:
        if any(w in ar for w in words[:4]) or any(low.startswith(e) or f" {e} " in low for e in en):
            kind = k
            break
    if kind == "other" and words and words[0] in _n("من ومن"):
        kind = "name"
    if kind == "other" and re.search(r"\b(?:ما|كم)\s+(?:هو\s+|هي\s+)?عدد", f.text):
        kind = "figure"
    if kind == "other" and re.search(r"(?:تاريخ|اي يوم|اي ساعه)", f.text):
        kind = "date"
    actors = actors_in(toks)
    in_actor = _actor_tokens(toks)
    concepts: set[str] = set()
    rest: list[str] = []
    for t in content_words(toks):
        c = concepts_of(t.text)
        concepts |= c
        if not c and t.start not in in_actor:
            rest.append(t.text)
    duration = kind == "figure" and any(w in TIME_UNITS for w in words) or bool(
        re.search(r"(?:كم|مده|how long)\b.*(?:استمر|دام|last)", low))
    rest = [w for w in rest if w not in TIME_UNITS]
    return Question(text, kind, frozenset(concepts), frozenset(actors), tuple(rest), duration)


def expand_query(q: Question) -> str:
    """The other names of the question's parties and concepts, for a second lexical search:
    "قتلى قوات سوريا الديمقراطية" should also find "مقتل ... عنصر من قسد"."""
    extra: list[str] = []
    for actor in sorted(q.actors):  # one-word names only: "حرس السجن" would pull in every "السجن"
        extra += [name[0].lstrip("=") for name in ACTORS[actor] if len(name) == 1]
    for concept in sorted(q.concepts):
        extra += [t.lstrip("=") for t in CONCEPTS[concept]]
    return " ".join(extra)


def _actor_tokens(toks: list[Token], only: frozenset[str] | None = None) -> set[int]:
    """Start offsets of the tokens that name a party (any, or those in ``only``)."""
    covered: set[int] = set()
    i = 0
    while i < len(toks):
        hit = match_actor(toks, i)
        if hit and (only is None or hit[0] in only):
            covered |= {t.start for t in toks[i:hit[1]]}
            i = hit[1]
        else:
            i += 1
    return covered


def coverage(q: Question, toks: list[Token]) -> float:
    """Share of the question's concepts, parties and words that the sentence mentions."""
    if not q.terms:
        return 0.0
    found = set().union(*(concepts_of(t.text) for t in toks)) if toks else set()
    hit = len(q.concepts & found) + len(q.actors & set(actors_in(toks)))
    hit += sum(any(same_word(w, t.text) for t in toks) for w in q.words)
    return hit / q.terms


_CHAIN = _n("إضافة فضلا كما فيما بينما جانب")  # a new item of a list starts; its noun is its own
_HEAD_STOP = _n("إلى الى في على عن من منذ مع")
_TAIL_STOP = _n("في خلال مع على عند جراء بعد قبل منذ أثناء بسبب إثر")
_OTHERS = _n("آخرين آخرون أخرى")
_OWN = re.compile(r"^(?:عناصر|مقاتلي|افراد|منتسبي|قوات|جنود)(?:ها|ه|هم)$")
_SPLIT = re.compile(r"[,.;:!?]")


def _clause_break(f: Folded, a: Token, b: Token) -> bool:
    return bool(_SPLIT.search(f.text[a.fend:b.fstart]))


def figure_spans(q: Question, f: Folded, toks: list[Token], speaker_actors: frozenset[str]) -> list[Span]:
    """Figures in the sentence that count what the question asks about, best first."""
    dates = find_dates(f)
    out: list[Span] = []
    previous: set[str] = set()  # the parties of the figure before, for "23 آخرين" ("23 others")
    for fig in find_figures(f, toks):
        if any(a <= fig.start < b for a, b in dates):
            continue
        nxt = toks[fig.last + 1].text if fig.last + 1 < len(toks) else ""
        if (nxt in TIME_UNITS) != q.duration:
            continue
        fit = _figure_fit(q, f, toks, fig, speaker_actors, previous)
        if fit is not None:
            out.append(_span(f, fig.start, fig.end, fig.number, fig.qualifier, fit))
    out += _noun_counts(q, f, toks)
    return sorted(out, key=lambda s: -s.fit)


def _figure_fit(q: Question, f: Folded, toks: list[Token], fig: Figure,
                speaker_actors: frozenset[str], previous: set[str]) -> float | None:
    tail: list[Token] = []
    for j in range(fig.last + 1, min(fig.last + 7, len(toks))):
        if _clause_break(f, toks[j - 1], toks[j]) or toks[j].text in _CHAIN | _TAIL_STOP:
            break
        if toks[j].text == "و" and j + 1 < len(toks) and toks[j + 1].text.isdigit():
            break
        tail.append(toks[j])
    head: list[Token] = []
    for j in range(fig.first - 1, max(fig.first - 6, -1), -1):
        if _clause_break(f, toks[j], toks[j + 1]) or toks[j].text in _HEAD_STOP:
            break
        head.insert(0, toks[j])
    counted = set().union(*(concepts_of(t.text) for t in tail[:3])) if tail else set()
    for j in range(fig.first - 1, max(fig.first - 25, -1), -1):  # the nearest concept before
        if toks[j].text in _CHAIN:
            break
        c = concepts_of(toks[j].text)
        if c:
            counted |= c
            break
    fig_actors = set(actors_in(tail)) or set(actors_in(head))
    if not fig_actors and any(_OWN.match(t.text) for t in tail):
        fig_actors = set(speaker_actors)  # "مقتل 17 من عناصرها": the speaker's own side
    if tail and tail[0].text in _OTHERS:
        fig_actors |= previous  # "إصابة 23 آخرين": others of the same side as the figure before
    previous.clear()
    previous |= fig_actors
    events, things = q.concepts & EVENT_CONCEPTS, q.concepts - EVENT_CONCEPTS
    if events and not counted & events or not things <= counted:
        return None
    if q.concepts and not events and counted & EVENT_CONCEPTS:
        return None  # "how many prisoners does it hold" is not answered by "dozens escaped"
    if q.actors and not fig_actors & q.actors:
        return None
    matched = len(q.concepts & counted) + len(q.actors & fig_actors)
    return matched / max(1, len(q.concepts) + len(q.actors))


_DUAL = re.compile(r"(?:تين|تان)$")


def _noun_counts(q: Question, f: Folded, toks: list[Token]) -> list[Span]:
    """"سيارتين مفخختين" counts two, "سيارة مفخخة" one: Arabic marks small numbers on the noun."""
    things = q.concepts - EVENT_CONCEPTS
    if not things or q.concepts & EVENT_CONCEPTS:
        return []
    out = []
    for i in range(len(toks)):
        pair = toks[i:i + 2]
        found = set().union(*(concepts_of(t.text) for t in pair))
        if not things <= found or not concepts_of(pair[0].text) & things:
            continue
        if len(things) == 1:
            pair = pair[:1]
        words = [t.text for t in pair]
        if not all(w.endswith("ه") or _DUAL.search(w) for w in words) or any(
                v.startswith("ال") for w in words for v in variants(w)):
            continue  # only an indefinite singular or dual noun says how many
        number = 2.0 if any(_DUAL.search(w) for w in words) else 1.0
        out.append(_span(f, pair[0].start, pair[-1].end, number, "", 0.9))
    return out


def _span(f: Folded, a: int, b: int, number: float | None = None, qualifier: str = "",
          fit: float = 1.0) -> Span:
    while b > a and f.original[b - f.base - 1] in "\"'“”«»‘’،,. ":
        b -= 1  # a span ends on a word, not on the quote or comma after it
    return Span(a, b, f.original[a - f.base:b - f.base], number, qualifier, fit)


_PLACE = _n("حي مدينة محافظة منطقة قرية بلدة سجن مخيم شمال جنوب شرق غرب شمالي جنوبي شرقي غربي "
            "أحياء مناطق محيط")
_CAUSE = [normalize_arabic(w) for w in (
    "بسبب", "نتيجة", "جراء", "بغية", "بهدف", "لأن", "من أجل", "كي", "لكي", "حتى", "بعد", "عبر",
    "من خلال", "بواسطة", "because", "due to", "after", "by")]


def typed_spans(q: Question, f: Folded, toks: list[Token]) -> list[Span]:
    """Dates, names, places or causes in the sentence, for متى / من / أين / لماذا-كيف."""
    if q.kind == "date":
        return [_span(f, a, b) for a, b in find_dates(f)]
    in_actor = _actor_tokens(toks, q.actors) if q.actors else set()
    asked = [i for i, t in enumerate(toks) if any(same_word(w, t.text) for w in q.words)
             or concepts_of(t.text) & q.concepts or t.start in in_actor]
    after = asked[-1] + 1 if asked else 0
    if q.kind == "name":
        return _names(q, f, toks, after)
    if q.kind == "place":
        return _places(q, f, toks, after)
    if q.kind == "cause":
        return _causes(f, toks, after)
    return []


_NOT_NAMES = REPORTING_VERBS | _n("أمس اليوم قد")


def _names(q: Question, f: Folded, toks: list[Token], after: int) -> list[Span]:
    out = []
    if 0 < after < len(toks) and "," in f.text[toks[after - 1].fend:toks[after].fstart]:
        for k in range(after + 1, min(after + 4, len(toks))):
            if "," in f.text[toks[k - 1].fend:toks[k].fstart]:  # "قائد قسد، مظلوم عبدي،"
                if not any(t.text in _NOT_NAMES for t in toks[after:k]):
                    out.append(_span(f, toks[after].start, toks[k - 1].end))
                break
    i = 0
    while i < len(toks):
        hit = match_actor(toks, i)
        if hit and hit[0] not in q.actors:  # right after the question's verb it is the subject
            subject = any(same_word(w, toks[j].text) for w in q.words for j in range(max(0, i - 2), i))
            out.append(_span(f, toks[i].start, toks[hit[1] - 1].end, fit=0.9 if subject else 0.5))
            i = hit[1]
        else:
            i += 1
    return out


def _places(q: Question, f: Folded, toks: list[Token], after: int) -> list[Span]:
    out = []
    for i, t in enumerate(toks):
        if not any(word_matches(t.text, "=" + p) for p in _PLACE):
            continue
        j = i + 1
        while j < len(toks) and j - i <= 3 and not _clause_break(f, toks[j - 1], toks[j]) and (
                toks[j].text.startswith(("ال", "بال")) or toks[j].text in _n("سوريا العراق")) and (
                toks[j].text not in _n("الذي التي الذين")):
            j += 1
        if j == i + 1:
            continue
        words = {x.text for x in toks[i:j]}
        if all(any(same_word(w, x) for w in q.words) for x in words):
            continue  # the place the question already names
        out.append(_span(f, t.start, toks[j - 1].end, fit=1.0 if i >= after else 0.8))
    return sorted(out, key=lambda s: -s.fit)


def _causes(f: Folded, toks: list[Token], after: int) -> list[Span]:
    out = []
    for cue in _CAUSE:
        for m in re.finditer(rf"(?<![^\W\d_]){re.escape(cue)}(?![^\W\d_])", f.text):
            end = _SPLIT.search(f.text, m.end())
            b = end.start() if end else len(f.text)
            if b - m.end() < 4:
                continue
            a, z = f.span(m.start(), b)
            fit = 1.0 if not toks or after == 0 or a >= toks[min(after, len(toks)) - 1].start else 0.8
            out.append(_span(f, a, z, fit=fit))
    return sorted(out, key=lambda s: (-s.fit, s.start))
