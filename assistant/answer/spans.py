"""Dates, names, places, causes and yes/no statements in one sentence, for متى / من / أين /
لماذا-كيف / هل questions."""

from __future__ import annotations

import re

from ..normalize import STOPWORDS, normalize_arabic
from .claims import REPORTING_VERBS, find_dates, find_figures
from .lexicon import Folded, Token, concepts_of, fold, question_words, same_word, tokens, variants, word_matches
from .question import CLASSIFIERS, Question, Span, make_span, which_noun

_SPLIT = re.compile(r"[,.;:!?]")


def _n(spec: str) -> set[str]:
    return {normalize_arabic(w) for w in spec.split()}


def _clause_break(f: Folded, a: Token, b: Token) -> bool:
    return bool(_SPLIT.search(f.text[a.fend:b.fstart]))


_PLACE = _n("حي مدينة محافظة منطقة قرية بلدة سجن مخيم مصنع مستشفى مدرسة سوق مطار ميناء جسر طريق "
            "ساحة ميدان شارع شوارع مقر "
            "شمال جنوب شرق غرب شمالي جنوبي شرقي غربي "
            "أحياء مناطق محيط")
_CAUSE = [normalize_arabic(w) for w in (
    "بسبب", "نتيجة", "جراء", "بغية", "بهدف", "لأن", "من أجل", "كي", "لكي", "حتى", "بعد", "عبر",
    "من خلال", "بواسطة", "because", "due to", "after", "by")]


def typed_spans(q: Question, f: Folded, toks: list[Token]) -> list[Span]:
    """Dates, names, places, causes or the statement asked about, for متى / من / أين / لماذا-كيف / هل."""
    if q.kind == "date":
        found = [make_span(f, a, b) for a, b in find_dates(f) if not _statement_date(f, toks, a)]
        if asks_start(q):  # "متى بدأ X": the time after "منذ" (since) is when it started
            found.sort(key=lambda s: not _since(f, s.start))
        return found
    mine = q.words + tuple(w for g in q.party for w in g)
    asked = [i for i, t in enumerate(toks) if any(same_word(w, t.text) for w in mine)
             or concepts_of(t.text) & q.concepts]
    after = asked[-1] + 1 if asked else 0
    if q.kind == "name":
        return _names(q, f, toks, after)
    if q.kind in ("place", "cause"):  # else the sentence itself, when it says what was asked
        found = _places(q, f, toks, after) if q.kind == "place" else _causes(f, toks, after)
        return found or [make_span(f, toks[0].start, toks[-1].end, fit=0.3)] if toks else []
    if q.kind == "yesno":
        return _statement(q, f, toks)
    return []


_START = _n("بدأ بدأت انطلق انطلقت اندلع اندلعت")


def asks_start(q: Question) -> bool:
    return any(w in _START for w in q.words)


# Verbs of a phase (began, ended, went on): "متى بدأ الهجوم" asks about the attack, which the sentence
# may tell in other words ("هاجم"); their time is read through the noun, not through the verb.
_PHASE = _START | _n("انتهى انتهت توقف توقفت استمر استمرت تجدد تجددت")
_WEAK = re.compile("[اويىءئؤأإآة]")


def asked_event(q: Question) -> str:
    """"متى افتتح السجن؟" -> افتتح: the verb whose time is asked, which a sentence giving that time
    says in some form ("افتتاح", "افتتحت"); "" for other questions, a verb of a phase, or a verb too
    short to tell by its letters ("بُني")."""
    words = [t.text for t in tokens(fold(q.text))]
    if len(words) < 2 or words[0] not in _n("متى متي ومتى"):
        return ""
    verb = words[1]
    if verb.startswith("ال") or verb in STOPWORDS or verb in _PHASE or len(_WEAK.sub("", verb)) < 3:
        return ""
    return verb


def says_event(verb: str, toks: list[Token]) -> bool:
    """Whether a word of ``toks`` is ``verb`` in another form: the same letters once the long vowels
    and hamzas are set aside ("افتتح" and "افتتاح", "هاجم" and "الهجوم"), the past's feminine "ت" too."""
    stem = _WEAK.sub("", verb)
    if stem.endswith("ت") and len(stem) > 3:
        stem = stem[:-1]
    return any(_WEAK.sub("", v).startswith(stem) for t in toks for v in variants(t.text))


def _since(f: Folded, start: int) -> bool:
    """The date at document offset ``start`` follows "منذ"/"ومنذ"."""
    i = start - f.base
    return bool(re.search(r"(?:^|\s)و?منذ\s+$", normalize_arabic(f.original[max(0, i - 12):i])))


def says_since(q: Question, f: Folded) -> bool:
    """"منذ مساء أمس": the sentence says when something started (a point in time, not "منذ 3 سنوات")."""
    return asks_start(q) and any(_since(f, a) for a, _ in find_dates(f))


def _statement(q: Question, f: Folded, toks: list[Token], width: int = 10) -> list[Span]:
    """The shortest stretch (at most ``width`` words) saying all the question asks: its events and
    its core words ("مقتل مدير المصنع" for "هل قتل مدير المصنع في الحريق؟")."""
    need: list[set[int]] = [{i for i, t in enumerate(toks) if c in concepts_of(t.text)} for c in q.events]
    need += [{i for i, t in enumerate(toks) if same_word(w, t.text)} for g in q.party for w in g]
    if not need or any(not s for s in need):
        return []
    best = None
    for a in sorted(set().union(*need)):
        ends = [min((i for i in s if i >= a), default=None) for s in need]
        if None in ends or any(not any(a <= i for i in s) for s in need):
            continue
        b = max(ends)
        if min(min(s) for s in need) < a and any(min(s) < a and not any(a <= i <= b for i in s) for s in need):
            continue
        if b - a < width and (best is None or b - a < best[1] - best[0]):
            best = (a, b)
    return [make_span(f, toks[best[0]].start, toks[best[1]].end)] if best else []


def _statement_date(f: Folded, toks: list[Token], start: int) -> bool:
    """"أعلنت X خلال بيان، اليوم الاثنين": the date a statement was made, not of what it reports."""
    i = next((k for k, t in enumerate(toks) if t.start >= start), len(toks))
    for j in range(i - 1, max(i - 7, -1), -1):
        if concepts_of(toks[j].text) or _SPLIT.search(f.text[toks[j].fend:toks[j + 1].fstart] if j + 1 < len(toks)
                                                      else "") and "," not in f.text[toks[j].fend:toks[j + 1].fstart]:
            return False
        if toks[j].text in REPORTING_VERBS or toks[j].text[1:] in REPORTING_VERBS:
            return True
    return False


_NOT_NAMES = REPORTING_VERBS | _n("أمس اليوم قد")
_QUOTED = re.compile(r'"([^"]{2,60})"')


def _names(q: Question, f: Folded, toks: list[Token], after: int) -> list[Span]:
    """An apposition after an asked word ("قائد الفرقة، سامر خليل،", "مدير المركز الإعلامي لـ“X”، سامر
    خليل،"), else a quoted name right after what is named. What the name is the name of (the head:
    "ما اسم الحملة" -> الحملة) outranks the question's other words: "حملة “X”" beats "قائد “Y”، Z،"."""
    out = []
    heads = _name_heads(q)
    if any(any(same_word(h, t.text) for t in toks) for h in heads):
        heads |= CLASSIFIERS  # "أطلق عليها اسم “X”", in a sentence about what is named
    elif _asks_who_the_title_is(q):
        return []  # "من هو وزير الداخلية ...؟": a sentence without a minister names someone else
    mine = q.words + tuple(w for g in q.party for w in g)
    asked = [i for i, t in enumerate(toks) if any(same_word(w, t.text) for w in mine)]
    which = q.which
    specific = bool(which) or _classified(q)
    for i in asked:
        name = _apposition(f, toks, i + 1)
        if name:  # "مدير الشركة، X،": X names the manager, not the company
            genitive = i > 0 and toks[i].text.startswith("ال") and not toks[i - 1].text.startswith(("ال", "وال")) \
                and toks[i - 1].text not in STOPWORDS and not _clause_break(f, toks[i - 1], toks[i])
            between = toks[i + 1:toks.index(name[0])]  # "مدير المركز الإعلامي، X،": whose manager
            other = bool(between) and not any(same_word(w, t.text) for t in between for w in mine)
            if other and len(between) > 5:
                continue  # a long genitive the question does not name: someone else's title
            head = any(same_word(h, toks[i].text) for h in heads) and not genitive and not other
            if head or not specific:  # "أي شركة"/"ما اسم الشركة": not the name of its manager
                out.append(make_span(f, name[0].start, name[-1].end, fit=1.0 if head else 0.5))
    for m in _QUOTED.finditer(f.text):  # "حملة “X”", "اسم “X”": a quoted name right after what is named
        words = m.group(1).split()
        before = [t for t in toks if t.fend <= m.start()][-1:]
        if words and before and any(same_word(h, before[0].text) for h in heads) and not all(
                any(same_word(w, x) for w in mine) for x in words):
            a, b = f.span(m.start(1), m.end(1))
            out.append(make_span(f, a, b, fit=0.9))
    if which:
        out += _which(q, f, toks, which)
    elif _asks_who_they_are(q):  # "من هم المحتجزون؟" -> "... هم عمال المصنع"
        out += _after_verb(q, f, toks, _PRONOUNS)
    elif not _classified(q):
        out += _after_verb(q, f, toks, heads)
    return sorted(out, key=lambda s: -s.fit)


_PRONOUNS = _n("هم هي هو")


def _asks_who_they_are(q: Question) -> bool:
    words = [t.text for t in tokens(fold(q.text))][:2]
    return len(words) == 2 and words[0] in _n("من ومن") and words[1] in _PRONOUNS


def _asks_who_the_title_is(q: Question) -> bool:
    """"من هو قائد ...؟", "من كانت رئيسة ...؟": who holds the noun after the copula; the answer names
    them where that noun is said ("قائد الفرقة، سامر خليل،")."""
    words = [t.text for t in tokens(fold(q.text))][:3]
    return len(words) == 3 and words[0] in _n("من ومن") and words[1] in _COPULAS and words[2] not in STOPWORDS


_COPULAS = _n("هو هي كان كانت")
_RELATIVES = _n("الذي التي الذين اللذين اللتين اللواتي")


def _skeleton(word: str) -> str:
    return word.replace("ا", "")


def _after_verb(q: Question, f: Folded, toks: list[Token], heads: set[str], width: int = 8) -> list[Span]:
    """"مَن اتخذهم المسلحون دروعاً؟" -> "بعد اتخاذهم الرهائن وعمال المصنع، ...": the words after the
    question's verb (or its verbal noun: the same letters but the long vowel) up to the clause's end.
    It outranks an apposition after another word of the question (that names someone else), not one
    after what is asked about nor a quoted name."""
    mine = q.words + tuple(w for g in q.party for w in g)
    out = []
    for i, t in enumerate(toks[:-1]):
        if not any(h == t.text or same_word(h, t.text) or len(h) >= 4 and _skeleton(h) == _skeleton(t.text)
                   for h in heads):
            continue
        words = []
        for j in range(i + 1, min(i + 1 + width, len(toks))):
            if _clause_break(f, toks[j - 1], toks[j]) or toks[j].text in _RELATIVES:
                break
            words.append(toks[j])
        while words and (words[-1].text in STOPWORDS or words[-1].text.startswith("و") and len(words) > 1
                         and words[-1].text[1:] in STOPWORDS):
            words.pop()
        if not words or find_figures(f, words[:1]) or words[0].text in _NOT_NAMES or (
                words[0].text.startswith("و") and len(words[0].text) > 3):
            continue  # "قُتل 121 من ...", "أعلن أمس ...", "وقتل وأسر ...": a count, a time, the next verb
        if not all(any(same_word(w, x.text) for w in mine) for x in words):
            out.append(make_span(f, words[0].start, words[-1].end, fit=0.6))
    return out


def _classified(q: Question) -> bool:
    """"ما اسم ..."/"ما نوع ...": a name proper is asked for, not any phrase."""
    return any(v in CLASSIFIERS for w in tokens(fold(q.text)) for v in (w.text, w.text[1:]))


def _which(q: Question, f: Folded, toks: list[Token], noun: str) -> list[Span]:
    """"أي دولة ...؟": the noun with a name or a relational adjective the question does not hold
    ("الدولة التركية", "مخيم “النور”")."""
    out = []
    for i, t in enumerate(toks[:-1]):
        if not same_word(noun, t.text):
            continue
        m = _QUOTED.match(f.text, max(0, t.fstart - 1))
        nxt = toks[i + 1]
        if m and m.start(1) == t.fstart and len(m.group(1).split()) > 1:  # "“مخيم النور”"
            a, b = f.span(m.start(1), m.end(1))
        elif (t.text.startswith("ال") == nxt.text.startswith("ال") and nxt.text.endswith(("يه", "ي"))
              and not _clause_break(f, t, nxt) and len(nxt.text) > 4):
            a, b = t.start, nxt.end
        else:
            continue
        if not all(any(same_word(w, x.text) for w in q.words) for x in toks[i + 1:] if x.end <= b):
            out.append(make_span(f, a, b, fit=0.9))
    return out




def _apposition(f: Folded, toks: list[Token], j: int) -> list[Token]:
    """The words set off by commas after token ``j`` (the asked noun's genitive, up to 7 words, may
    come first): a name of 1-3 words with no conjunction, particle or reporting verb."""
    for k in range(j, min(j + 8, len(toks))):
        sep = f.text[toks[k - 1].fend:toks[k].fstart] if k else ""
        if "," in sep:
            break
        if re.search(r"[.:;!?]", sep) or toks[k].text != "ل" and (toks[k].text in STOPWORDS
                                                                  or toks[k].text in _NOT_NAMES):
            return []
    else:
        return []
    for end in range(k + 1, min(k + 4, len(toks))):
        if "," in f.text[toks[end - 1].fend:toks[end].fstart]:
            name = toks[k:end]
            if any(t.text in _NOT_NAMES or t.text in STOPWORDS or t.text.startswith("و") for t in name):
                return []
            return name
    return []


def _name_heads(q: Question) -> set[str]:
    """What the name is the name of: "ما اسم الحملة" -> اسم, الحملة; "أي وكالة نشرت" -> وكالة."""
    words = [t.text.lower() for t in tokens(fold(q.text))]
    content = [w for w in words if w not in STOPWORDS and w not in question_words() and len(w) > 1
               and w[1:] not in question_words()]
    for i, w in enumerate(words):  # "ما اسم مدير المصنع": the name of the manager, not any name
        if any(v in CLASSIFIERS for v in (w, w[1:])):
            return set([c for c in words[i + 1:i + 3] if c in content][:1])
    return set(content[:1])


def _places(q: Question, f: Folded, toks: list[Token], after: int) -> list[Span]:
    out = []
    asked = which_noun([t.text for t in tokens(fold(q.text))])  # "في أي ساحة": a square before a street
    for i, t in enumerate(toks):
        if not any(word_matches(t.text, "=" + p) for p in _PLACE):
            continue
        j = i + 1
        while j < len(toks) and j - i <= 3 and not _clause_break(f, toks[j - 1], toks[j]) and (
                toks[j].text.startswith(("ال", "بال"))) and (
                toks[j].text not in _n("الذي التي الذين")):
            j += 1
        if j == i + 1:
            continue
        words = {x.text for x in toks[i:j]}
        if all(any(same_word(w, x) for w in q.words) for x in words):
            continue  # the place the question already names
        fit = (1.0 if i >= after else 0.8) - (0.1 if asked and not same_word(asked, t.text) else 0.0)
        out.append(make_span(f, t.start, toks[j - 1].end, fit=fit))
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
            out.append(make_span(f, a, z, fit=fit))
    return sorted(out, key=lambda s: (-s.fit, s.start))
