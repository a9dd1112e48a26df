"""Which figures of a sentence answer a figure question: the number's own noun or verb must be
what the question counts ("15 قتيلا", "مقتل 15", "أصيب 33 آخرون", "ارتفع عدد الضحايا إلى 12"; in
"قُتل X وأصيب Y" each figure takes its own verb), and its party the question's party."""

from __future__ import annotations

import re

from ..normalize import STOPWORDS, normalize_arabic
from .claims import Figure, find_dates, find_figures
from .lexicon import Folded, Token, concepts_of, events, roles, same_word, variants
from .parties import PartyMatcher
from .question import Question, Span, make_span


def _n(spec: str) -> set[str]:
    return {normalize_arabic(w) for w in spec.split()}


_CHAIN = _n("إضافة فضلا كما فيما بينما جانب")  # a new item of a list starts; its noun is its own
_HEAD_STOP = _n("إلى الى في على عن من منذ مع")
_TAIL_STOP = _n("في خلال مع على عند جراء بعد قبل منذ أثناء بسبب إثر")
_OTHERS = _n("آخرين آخرون أخرى آخر")
_OWN = re.compile(r"^(?:عناصر|مقاتلي|افراد|منتسبي|قوات|جنود)(?:ها|ه|هم)$")
_SPLIT = re.compile(r"[,.;:!?]")


def _clause_break(f: Folded, a: Token, b: Token) -> bool:
    return bool(_SPLIT.search(f.text[a.fend:b.fstart]))


def figure_spans(q: Question, f: Folded, toks: list[Token], speaker: str = "",
                 parties: PartyMatcher | None = None) -> list[Span]:
    """Figures in the sentence that count what the question asks about, best first.

    ``speaker``: who makes the claim ("مقتل 17 من عناصرها" counts the speaker's own side);
    ``parties``: matches the question's party in a figure's words (lexical only when None)."""
    parties = parties or PartyMatcher(q.party)
    dates = find_dates(f)
    out: list[Span] = []
    previous = [False]  # did the figure before match the party? ("23 آخرين": others of that side)
    for fig in find_figures(f, toks):
        if any(a <= fig.start < b for a, b in dates):
            continue
        fit = _figure_fit(q, f, toks, fig, speaker, parties, previous)
        if fit is not None:
            out.append(make_span(f, fig.start, fig.end, fig.number, fig.qualifier, fit, fig.high))
    out += _noun_counts(q, f, toks)
    return sorted(out, key=lambda s: -s.fit)


_AMONG_THEM = _n("بينهم بينهن بينها")


def _among(head: list[Token]) -> bool:
    """Whether the words before a figure make it a part of a group: "من بينهم 9 أطفال", "بين القتلى 9
    أطفال" (not the range "بين 20 و30", whose "بين" is right before its first number)."""
    for i, t in enumerate(head):
        forms = variants(t.text)
        if any(v in _AMONG_THEM for v in forms) or "بين" in forms and i < len(head) - 1:
            return True
    return False


def _neighbours(f: Folded, toks: list[Token], fig: Figure) -> tuple[list[Token], list[Token]]:
    """The words after the figure (its noun: "15 قتيلا", "23 عنصرا من الحركة") and before it ("مقتل 15",
    "عدد قتلى X"), each within its clause."""
    tail: list[Token] = []
    for j in range(fig.last + 1, min(fig.last + 7, len(toks))):
        if toks[j].text in _n("في") and j + 1 < len(toks) and toks[j + 1].text in _n("عداد"):
            continue  # "5 أشخاص في عداد المفقودين": counted among the missing
        if _clause_break(f, toks[j - 1], toks[j]) or toks[j].text in _CHAIN | _TAIL_STOP:
            break
        if toks[j].text == "و" or find_figures(f, toks[j:j + 1]):
            break
        if toks[j].text.startswith("و") and j + 1 < len(toks) and find_figures(f, toks[j + 1:j + 2]):
            break
        tail.append(toks[j])
    head: list[Token] = []
    for j in range(fig.first - 1, max(fig.first - 6, -1), -1):
        if _clause_break(f, toks[j], toks[j + 1]) or toks[j].text in _HEAD_STOP or find_figures(f, toks[j:j + 1]):
            break
        head.insert(0, toks[j])
    return tail, head


def _figure_fit(q: Question, f: Folded, toks: list[Token], fig: Figure, speaker: str,
                parties: PartyMatcher, previous: list[bool]) -> float | None:
    tail, head = _neighbours(f, toks, fig)
    party = _party_of(q, f, toks, fig, tail, head, speaker, parties, previous[0])
    previous[0] = bool(party)

    def party_ok() -> bool:
        if party is not False or not parties.embedder:
            return bool(party)
        a = (head or [toks[fig.first]])[0].start - f.base
        b = (tail or [toks[fig.last]])[-1].end - f.base
        return parties.matches(tail + head, f.original[a:b]) is True

    noun_c: set[str] = set()
    for t in tail[:3]:
        noun_c |= concepts_of(t.text)
    r = roles()
    unit = {c for c in noun_c if r.get(c) == "unit"}
    counted = {c for c in noun_c if r.get(c) in ("person", "thing", "unit")}
    fig_events = frozenset()
    for t in tail[:4]:  # "15 قتيلا", "7 أشخاص حتفهم", "200 منزل دمرت"
        fig_events = events(concepts_of(t.text))
        if fig_events:
            break
    if not fig_events:  # the nearest event word before it: "قتل 15 وأصيب 33", "مقتل 4 مدنيين"
        for j in range(fig.first - 1, max(fig.first - 25, -1), -1):
            if toks[j].text in _CHAIN:
                break
            fig_events = events(concepts_of(toks[j].text))
            if fig_events:
                break
    if "duration" in unit and not q.duration and not q.counted & unit or q.duration and "duration" not in unit:
        return None  # "استمرت 7 أيام" answers "how long", not "how many"
    if q.events and not fig_events & q.events:
        return None
    lo = max(0, fig.first - 4)  # the words just before it, within its clause ("و200 جريح، وأن نحو 5000 عائلة")
    lo = next((j for j in range(fig.first - 1, lo, -1) if _clause_break(f, toks[j - 1], toks[j])), lo)
    near = events(noun_c) | {e for t in toks[lo:fig.first] for e in events(concepts_of(t.text))}
    if not q.events and q.counted and near:
        return None  # "how many prisoners does it hold" is not answered by "dozens escaped"
    want = q.counted - {"duration"}
    if want and counted and not want & counted and not (want <= _GENERIC and counted & _people()):
        return None  # "4 مدنيين" does not answer "how many workers"
    if want and not counted and (not want <= _GENERIC or not q.events and not q.party):
        return None  # a bare "40" may count fighters, not civilians; "كم عنصرا" needs its noun
    if _among(head) and not want & counted and not (q.noun and any(same_word(q.noun, t.text) for t in tail[:3])):
        return None  # "بينهم 9 أطفال": a part of the toll, which answers only a question about that part
    attributes = {c for c in q.concepts if r.get(c) == "attribute"}
    if attributes and not attributes <= noun_c:
        return None
    if q.noun and not any(same_word(q.noun, t.text) for t in tail[:3]):
        return None
    if q.party and not (want - _GENERIC and want & counted) and not party_ok():
        return None  # "كم موظفا في المصنع قتل": the counted people themselves say whose they are
    return 1.0


def _party_of(q: Question, f: Folded, toks: list[Token], fig: Figure, tail: list[Token], head: list[Token],
              speaker: str, parties: PartyMatcher, previous: bool) -> bool | None:
    """Lexically, does the figure belong to the question's party? None when the question names none;
    False may still be overturned by the embedding model (``PartyMatcher.matches``)."""
    if not q.party:
        return None
    if any(_OWN.match(t.text) for t in tail):  # "مقتل 17 من عناصرها": the speaker's own side
        return bool(speaker) and parties.matches_text(speaker)
    if tail and tail[0].text in _OTHERS:  # "إصابة 23 آخرين": others of the side before
        return previous
    phrase = [t for t in head + tail if t.text not in STOPWORDS and _names_someone(t.text)]
    verdict = parties.matches(phrase, None, lexical_only=True)
    if verdict is None and len(find_figures(f, toks)) == 1:
        # the only figure of the sentence, and it names no one: the sentence must name the party in full
        verdict = parties.matches(toks, None, lexical_only=True, whole=True)
    return bool(verdict)


def _people() -> set[str]:
    """The vocabulary's kinds of people (its "person" table)."""
    return {name for name, table in roles().items() if table == "person"}


def _names_someone(word: str) -> bool:
    """A word that can say whose a figure is: a name, or a specific kind of people ("العاملين")."""
    c = concepts_of(word)
    return not c or bool(c & _people() - {"person", "member"})


_GENERIC = frozenset({"person", "member", "fighter", "soldier"})  # often left unsaid after a number
_DUAL = re.compile(r"(?:تين|تان|ين|ان)$")


def _noun_counts(q: Question, f: Folded, toks: list[Token]) -> list[Span]:
    """"سيارتين مفخختين" counts two, "سيارة مفخخة" one: Arabic marks small numbers on the noun."""
    r = roles()
    things = {c for c in q.counted if r.get(c) == "thing"}
    if not things or q.events:
        return []
    attributes = {c for c in q.concepts if r.get(c) == "attribute"}
    out = []
    for i in range(len(toks)):
        first = concepts_of(toks[i].text)
        if not first & things:
            continue
        pair = toks[i:i + 2] if attributes else toks[i:i + 1]
        found = set().union(*(concepts_of(t.text) for t in pair))
        if not attributes <= found:
            continue
        words = [t.text for t in pair]
        if not all(w.endswith("ه") or re.search(r"(?:تين|تان)$", w) for w in words) or any(
                v.startswith("ال") for w in words for v in variants(w)):
            continue  # only an indefinite singular or dual noun says how many
        after = toks[i + len(pair)].text if i + len(pair) < len(toks) else ""
        if after and find_figures(f, toks[i + len(pair):i + len(pair) + 1]):
            continue  # "سيارة واحدة" is read as a figure already
        if after in _OTHERS:
            continue  # "من جهة أخرى": another one, not one
        number = 2.0 if any(re.search(r"(?:تين|تان)$", w) for w in words) else 1.0
        out.append(make_span(f, pair[0].start, pair[-1].end, number, "", 0.9))
    return out
