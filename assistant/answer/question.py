"""What a question asks for, and where in a sentence the answer to it sits.

A question becomes a ``Question`` (``parse_question``: its kind — figure, date, name, place, cause,
yes/no or other — the vocabulary concepts it names, the noun a figure must count, the party that
noun belongs to, its other content words); ``figure_spans`` and ``typed_spans`` then find the
figure, date, name, place or cause in one sentence that fits it, or nothing. Parties are never
listed in code: they are the question's own words, matched in a sentence by ``parties.PartyMatcher``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..normalize import STOPWORDS, normalize_arabic
from .lexicon import (
    Folded,
    Token,
    concepts_of,
    content_words,
    events,
    fold,
    question_words,
    roles,
    same_word,
    tokens,
    variants,
    vocabulary,
    word_matches,
)


@dataclass(frozen=True)
class Question:
    text: str
    kind: str
    concepts: frozenset[str]  # every vocabulary entry the question names
    words: tuple[str, ...]  # folded content words outside the vocabulary and the party (context)
    counted: frozenset[str] = frozenset()  # what a figure must count: people, things, units
    noun: str = ""  # the counted noun when the vocabulary does not know it ("كم فريقا")
    party: tuple[tuple[str, ...], ...] = ()  # whose: groups of folded words ("قوات الدفاع المدني")
    party_label: str = ""  # the party as the question writes it (case kept: "UNICEF", not "unicef")
    sequel: bool = False  # "ما الخطوة التالية بعد X": the answer is what the sources tell after X
    which: str = ""  # "أي دولة ...": the noun the answer must name (folded)

    @property
    def events(self) -> frozenset[str]:
        return events(self.concepts)

    @property
    def duration(self) -> bool:
        return "duration" in self.counted

    @property
    def terms(self) -> int:
        return len(self.concepts) + len(self.party) + len(self.words)


@dataclass(frozen=True)
class Span:
    start: int  # document offsets
    end: int
    value: str  # the span's text as written
    number: float | None = None
    qualifier: str = ""
    fit: float = 1.0  # how well it fits the question, 0..1
    high: float | None = None  # the top of a range ("بين 20 و30")


def _n(spec: str) -> set[str]:
    return {normalize_arabic(w) for w in spec.split()}


_KIND_CUES = [
    ("figure", _n("كم"), ("how many", "how much", "how long")),
    ("date", _n("متى متي"), ("when", "what date", "what time", "what day")),
    ("place", _n("أين اين"), ("where", "in which")),
    ("cause", _n("لماذا كيف لم"), ("why", "how")),
    ("name", set(), ("who",)),
    ("yesno", _n("هل"), ("did", "was", "were", "is", "are", "has", "have")),
]
# Where a question's party ends and its context starts ("قتلى X في Y").
_CONTEXT = _n("في خلال على عند بعد قبل منذ بحسب حسب وفق وفقا إلى الى أثناء جراء بسبب إثر حين الذي التي "
              "الذين ضد عن مع لدى according during in at after before since by on")
_EN_STOP = frozenset("were was been be have has had are is the a an of did do does to total from".split())


CLASSIFIERS = _n("اسم نوع")  # "ما اسم الحملة": asks for a name; a sentence that gives it seldom says "اسم"
_MOTION = frozenset({"escape", "displaced", "evacuation", "rescue"})  # their "من X" is a place
_PLACE_NOUNS = _n("مناطق منطقه مدينه مدن حي احياء قريه قري بلده مكان اماكن محافظه دوله دول بلد جهه مخيم "
                  "ساحه ميدان شارع")
_FOLLOW_CUES = _n("كم متى متي أين اين لماذا كيف هل من ما ماذا")


def _kind(f: Folded, words: list[str]) -> str:
    low = f.text.lower()
    if words and words[0][:1] == "و" and len(words[0]) >= 3 and words[0][1:] in _FOLLOW_CUES:
        words = [words[0][1:], *words[1:]]  # "ومتى؟": a follow-up's question word
    for k, ar, en in _KIND_CUES:
        first = words[:4] if k != "yesno" else words[:1]
        if any(w in ar for w in first) or any(low.startswith(e + " ") or f" {e} " in low for e in en
                                               if k != "yesno" or low.startswith(e + " ")):
            return k
    if len(words) > 2 and words[0] in _n("من في الى") and words[1] in _n("اي") and (
            any(same_word(words[2], p) for p in _PLACE_NOUNS)):
        return "place"  # "من أي مناطق", "في أي مدينة", "في أي قريتين"
    if words and words[0] in _n("من ومن"):
        return "name"
    if re.search(r"\b(?:ما|كم)\s+(?:هو\s+|هي\s+)?(?:عدد|حصيله)", f.text):
        return "figure"
    if re.search(r"(?:تاريخ|اي يوم|اي ساعه)", f.text):
        return "date"
    if re.search(r"(?:^|\s)(?:ما|باي|اي)\s+(?:اسم|وكاله|دوله|جهه|منصب)", f.text):
        return "name"
    if which_noun(words):
        return "name"  # "أي دولة اتهمت ...": which one, named
    return "other"


def which_noun(words: list[str]) -> str:
    """"أي دولة اتهمت ..." / "بأي معركة" -> the noun the question asks to name."""
    for i, w in enumerate(words[:3]):
        if w in _n("اي باي لاي") and i + 1 < len(words) and words[i + 1] not in STOPWORDS:
            return words[i + 1]
    return ""


def parse_question(text: str) -> Question:
    f = fold(text)
    toks = tokens(f)
    words = [t.text.lower() for t in toks]
    kind = _kind(f, words)
    concepts: set[str] = set()
    for t in toks:
        concepts |= concepts_of(t.text.lower())
    counted, noun, party_at = _counted(toks, kind)
    party = _party(toks, party_at) if party_at is not None else []
    if kind == "yesno":  # "هل قتل مدير المصنع في الحريق؟": what must be said together, before the context
        core = []
        for w in words[1:]:
            if w in _CONTEXT:
                break
            if w not in STOPWORDS and not concepts_of(w) and len(w) > 1:
                core.append(w)
        party = [tuple(core)] if core else []
    in_party = {w for g in party for w in g}
    rest = [w for w in (t.text.lower() for t in content_words(toks)) if not concepts_of(w)
            and not in_party & set(variants(w)) and w not in _EN_STOP | _CONTEXT | CLASSIFIERS and w != noun]
    if kind == "figure" and re.search(r"(?:كم|مده|how long)\b", f.text.lower()) and any(map(_lasting_verb, words)):
        counted |= {"duration"}  # "كم استمر الإضراب", "how long did it last"
    in_party = {w for g in party for w in g}
    label = " ".join(text[t.start:t.end] for t in toks if t.text.lower() in in_party or t.text.lower()[1:] in in_party)
    sequel_words = vocabulary().words("question", "sequel")
    sequel = kind == "other" and any(v in sequel_words for w in words for v in variants(w))
    return Question(text, kind, frozenset(concepts), tuple(rest), frozenset(counted), noun, tuple(party), label,
                    sequel, which_noun(words) if kind == "name" else "")


def _counted(toks: list[Token], kind: str) -> tuple[set[str], str, int | None]:
    """What a figure question counts, its noun when unknown, and where its party may start."""
    if kind != "figure":
        return set(), "", None
    words = [t.text.lower() for t in toks]
    r = roles()
    for i, w in enumerate(words):
        if w in _n("كم") or w in ("many", "much"):
            j = i + 1
            while j < len(words) and (words[j] in _n("عدد حصيلة بلغ بلغت يبلغ تبلغ هو هي") or words[j] in _EN_STOP):
                j += 1
            break
        if w in _n("عدد حصيله") and i > 0 and words[i - 1] in _n("ما وما هو هي"):
            j = i + 1
            break
    else:
        return set(), "", None
    if j >= len(words):
        return set(), "", None
    counted: set[str] = set()
    k = j
    if words[i] not in ("many", "much"):  # Arabic: the noun right after the cue
        c = concepts_of(words[k])
        counted = {x for x in c if r.get(x) not in ("event", "attribute")}
        noun = "" if c or words[k] in STOPWORDS else words[k]
        after_cue = k == i + 1 and words[i] in _n("كم")  # "كم سيارة": a tamyiz, no genitive follows
        if c and not (after_cue and counted) and not words[k].startswith("ال"):
            return counted, noun, k + 1  # "عدد قتلى X", "كم قتل من X"
        if counted and words[k].startswith("ال") and _plural_nisba(words[k + 1:k + 2]):
            return counted, noun, k + 1  # "عدد الجنود الأمريكيين": the adjective says whose they are
        from_place = events(c) & _MOTION  # "الفارين من السجن": where from, not whose
        return counted, noun, (k + 1 if words[k + 1:k + 2] == [normalize_arabic("من")] and not from_place else None)
    # English: "how many rebel fighters were killed": the words before the counted noun are its party
    while k < len(words) and not concepts_of(words[k]):
        k += 1
    if k < len(words):
        counted = {x for x in concepts_of(words[k]) if r.get(x) not in ("event", "attribute")}
    return counted, "", -(j + 1) if k > j else None


def _plural_nisba(next_word: list[str]) -> bool:
    """A definite sound-plural relational adjective ("الأمريكيين", "الحكوميون") that is no concept of
    the vocabulary (not "المدنيين": a counted group of its own)."""
    w = next_word[0] if next_word else ""
    return w.startswith("ال") and len(w) > 6 and w.endswith(("يين", "يون")) and not concepts_of(w) \
        and w not in STOPWORDS


def _party(toks: list[Token], at: int) -> list[tuple[str, ...]]:
    """Groups of content words naming whose the counted things are: "قتلى قوات الدفاع المدني
    وحراس المصنع" -> (قوات الدفاع المدني), (حراس المصنع)."""
    words = [t.text.lower() for t in toks]
    if at < 0:  # English: from the cue to the counted noun
        j = -at - 1
        span = []
        while j < len(words) and not concepts_of(words[j]):
            if words[j] not in _EN_STOP:
                span.append(words[j])
            j += 1
        return [tuple(span)] if span else []
    if words[at:at + 1] == [normalize_arabic("من")]:
        at += 1
    if at < len(words) and vocabulary().words("incident", "incident") & set(variants(words[at])):
        return []  # "قتلى حريق المصنع": the occasion, not whose the dead were
    groups: list[list[str]] = [[]]
    for w in words[at:at + 8]:
        if w in _CONTEXT or w in question_words() and w not in _n("من"):
            break
        if w.startswith("و") and len(w) > 3 and groups[-1]:  # "وحراس المصنع": the next group
            groups.append([])
            w = w[1:]
        if w in STOPWORDS or events(concepts_of(w)):
            continue
        groups[-1].append(w)
    # "عناصر حركة النهضة": a vocabulary noun inside a name does not name the party ("العاملين" alone does)
    groups = [[w for w in g if not concepts_of(w)] or g for g in groups]
    return [tuple(g) for g in groups if g]


def expand_query(q: Question) -> str:
    """The vocabulary's other words for the question's concepts, for a second lexical search:
    "عدد الضحايا" should also find "مقتل 12 شخصا"."""
    v = vocabulary()
    extra: list[str] = []
    for concept in sorted(q.concepts):
        table = roles()[concept]
        extra += [t.lstrip("=") for t in v.forms(table, concept) if not t.lstrip("=").isascii()][:12]
    return " ".join(extra)


def lasting(q: Question) -> Question:
    """The question without its lasting verb ("كم يوما استمر الإضراب" -> الإضراب): what lasted."""
    return replace(q, words=tuple(w for w in q.words if not _lasting_verb(w)))


def _lasting_verb(word: str) -> bool:
    """"استمر", "دامت", "lasted": the vocabulary's verbs of how long something lasted."""
    return any(word_matches(word, t) for t in vocabulary().forms("question", "lasting"))


def coverage(q: Question, toks: list[Token], without: str = "") -> float:
    """Share of the question's concepts, party groups and words that the sentence mentions (leaving
    out the word ``without``: "أي دولة ...؟" asks what else the sentence says of the state)."""
    words = [w for w in q.words if w != without]
    terms = len(q.concepts) + len(q.party) + len(words)
    if not terms:
        return 0.0
    found = set().union(*(concepts_of(t.text.lower()) for t in toks)) if toks else set()
    hit = len(q.concepts & found)
    hit += sum(any(any(same_word(w, t.text) for t in toks) for w in g) for g in q.party)
    hit += sum(any(same_word(w, t.text) for t in toks) for w in words)
    return hit / terms


def asked_noun(q: Question) -> str:
    """"ما جنسيات المقاتلين؟" -> جنسيات: what a "ما + noun" question asks for, which a sentence that
    answers names ("ما نوع الدعم" -> الدعم)."""
    words = [t.text.lower() for t in tokens(fold(q.text))]
    if not words or words[0] not in _n("ما وما"):
        return ""
    for w in words[1:3]:
        if w in _n("نوع اسم هو هي") or w in STOPWORDS:
            continue
        return "" if concepts_of(w) or variants(w)[-1] in _n("منصب صفه دور وظيفه") else w
    return ""


def make_span(f: Folded, a: int, b: int, number: float | None = None, qualifier: str = "",
              fit: float = 1.0, high: float | None = None) -> Span:
    while b > a and f.original[b - f.base - 1] in "\"'“”«»‘’،,. ":
        b -= 1  # a span ends on a word, not on the quote or comma after it
    return Span(a, b, f.original[a - f.base:b - f.base], number, qualifier, fit, high)


