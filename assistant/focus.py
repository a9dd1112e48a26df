"""What a question asks about, and which sentence holds it: the question's focus.

"أي مستشفى …؟", "كم سيارة …؟", "ما نوع المساعدات …؟", "which hospital …?", "how many cars …?": the word after
the question word names the kind of thing the answer is (the *focus noun*), and a count question
wants a number next to it. Among many passages on the same event, the one that answers has that
noun — and, for a count, a figure beside it — in one sentence; a passage that only shares the
event's words does not. ``question_focus`` reads the focus from the question; ``sentence_focus``
scores one sentence, 1.0 when it holds the answer's slot filled:

- a count ("كم X"): a figure within three words of the noun X (1.0); the noun or a figure alone 0.5;
- a time ("في أي عام / يوم / ساعة"): a figure or a calendar word (1.0); the noun alone 0.5;
- any other "which X": X followed by a word the question does not have — "وكالة رويترز" for "أي
  وكالة" (1.0); X followed only by the question's own words 0.5.

Pure grammar: question words, number words and clitics of Arabic (and English question words) —
nothing about any collection. Words are compared through ``normalize`` and a light, prefix-tolerant
match, so "قتيلاً" finds "قتيل", "سيارة" finds the dual "سيارتين" and "المساعدات" finds "بمساعدات".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .normalize import STOPWORDS, tokenize

WHICH = frozenset({"اي", "باي", "لاي", "فاي", "واي", "وباي", "ايه", "which", "what"})
HOW_MANY = frozenset({"كم", "بكم", "لكم", "وكم", "فكم"})
# "ما نوع X" / "ما عدد X" / "what kind of X": the noun after these is the focus; عدد also asks a count
KIND_OF = frozenset({"نوع", "اسم", "حجم", "مقدار", "طبيعه", "kind", "type", "name", "sort"})
WHAT = frozenset({"ما", "وما", "فما"})  # "ما نوع X" / "ما المنصب الذي": what + a noun
COPULAS = frozenset({"بلغ", "بلغت", "يبلغ", "تبلغ", "كان", "كانت", "يكون", "تكون", "هو", "هي", "هم"})
COUNT_OF = frozenset({"عدد", "حصيله", "number", "toll"})
EN_STOP = frozenset({"of", "the", "a", "an", "did", "does", "do", "was", "were", "is", "are", "had", "has", "have"})
NUMBER_WORDS = frozenset("""
واحد واحده اثنان اثنين اثنتان اثنتين ثلاث ثلاثه اربع اربعه خمس خمسه ست سته سبع سبعه ثمان ثماني ثمانيه
تسع تسعه عشر عشره عشرات عشرين عشرون ثلاثين ثلاثون اربعين اربعون خمسين خمسون ستين ستون سبعين سبعون
ثمانين ثمانون تسعين تسعون مئه مائه مئات مائتين مئتين مائتان مئتان الف الاف الفين الفان مليون ملايين
""".split())
# a "which" question about a time ("في أي عام / يوم / ساعة") is answered by a date, not by the noun
TIME_NOUNS = frozenset("عام سن سنوات اعوام يوم ايام شهر اشهر تاريخ ساع وقت قرن عقد موعد "
                       "year day month date time hour".split())
CALENDAR = frozenset("""
سبت احد اثنين ثلاثاء اربعاء خميس جمع صباح مساء ظهر فجر ليل امس غد يناير فبراير مارس ابريل مايو يونيو يوليو
اغسطس سبتمبر اكتوبر نوفمبر ديسمبر كانون شباط اذار نيسان ايار حزيران تموز اب ايلول تشرين
""".split())
_CLITICS = ("وب", "ول", "وك", "فب", "فل", "و", "ف", "ب", "ل", "ك")
_ARTICLE = ("وال", "بال", "كال", "فال", "لل", "ال")
_DUAL = ("تين", "تان", "ين", "ان")
_DIGITS = re.compile(r"^\d+$")


@dataclass(frozen=True)
class Focus:
    noun: frozenset[str]  # the focus noun's cores ("سيار"; "وكال" and "كال"); empty when none is named
    count: bool  # the question asks how many / how much
    asked: frozenset[str] = frozenset()  # the cores of every word of the question
    forms: tuple[str, ...] = ()  # the vocabulary's forms of what the noun names ("جهة": محور، محاور…)

    def __bool__(self) -> bool:
        return bool(self.noun) or self.count


NO_FOCUS = Focus(frozenset(), False)


def _trim(word: str) -> str:
    while len(word) > 3 and word[-1] in "هاىة":  # ة (folded to ه), tanween alif, alif maqsura
        word = word[:-1]
    return word


@lru_cache(maxsize=65536)
def cores(word: str) -> frozenset[str]:
    """The part a word's inflected forms begin with: without its article and final ة/ه/ا/ى, and
    also without a one-letter clitic (و ف ب ل ك) — both, since "وكالة" is a word and "ولجنة" a
    clitic on one."""
    for prefix in _ARTICLE:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return frozenset({_trim(word[len(prefix):])})
    found = {_trim(word)}
    for prefix in _CLITICS:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2 + len(prefix):
            found.add(_trim(word[len(prefix):]))
            break
    return frozenset(found)


@lru_cache(maxsize=1 << 17)
def matches(noun: frozenset[str], word: str) -> bool:
    """``word`` is a form of the noun with cores ``noun`` (the same core, or a core plus a short suffix)."""
    return any(other == core or (len(core) >= 3 and other.startswith(core) and len(other) - len(core) <= 3)
               for core in noun for other in cores(word))


@lru_cache(maxsize=4096)
def question_focus(question: str) -> Focus:
    """The focus of ``question`` (see the module's docstring); NO_FOCUS when it has none."""
    toks = tokenize(question)
    low = [t.casefold() for t in toks]
    for i, t in enumerate(low):
        count = t in HOW_MANY or (t == "how" and i + 1 < len(low) and low[i + 1] in ("many", "much"))
        what = t in WHAT and i + 1 < len(low) and (low[i + 1] in KIND_OF or low[i + 1] in COUNT_OF
                                                   or low[i + 1].startswith("ال"))
        if not (count or what or t in WHICH):
            continue
        j = i + (2 if t == "how" else 1)
        while j < len(low) and (low[j] in EN_STOP or low[j] in COPULAS):
            j += 1  # "how many of" / "كم بلغ عدد"
        if j < len(low) and not cores(low[j]).isdisjoint(KIND_OF | COUNT_OF):
            count = count or not cores(low[j]).isdisjoint(COUNT_OF)
            j += 1
            while j < len(low) and low[j] in EN_STOP:
                j += 1
        asked = frozenset(c for w in low for c in cores(w))
        if j < len(low) and low[j] not in STOPWORDS and not _DIGITS.match(low[j]):
            return Focus(_noun_cores(low[j]), count, asked, synonyms(low[j]))
        return Focus(frozenset(), count, asked) if count else NO_FOCUS
    return NO_FOCUS


def _noun_cores(word: str) -> frozenset[str]:
    """The focus noun's cores, and for a dual its singular's ("أي قريتين" is answered by "قريتي …" or
    "قرية …"; "موقعين" by "موقع")."""
    found = set(cores(word))
    for core in cores(word):
        for ending in _DUAL:
            if core.endswith(ending) and len(core) - len(ending) >= 3:
                found.add(core[:-len(ending)])
                break
    return frozenset(found)


SYNONYM_TABLES = ("thing", "unit")


@lru_cache(maxsize=4096)
def synonyms(word: str) -> tuple[str, ...]:
    """The forms of every entry of the general news vocabulary (``answer/vocabulary.tsv``: people,
    things, units, events) that ``word`` names, so "كم جهة" finds "محاور" where the vocabulary says so."""
    from .answer.lexicon import concepts_of, roles, vocabulary

    table = roles()
    return tuple(sorted({f for name in concepts_of(word) if table[name] in SYNONYM_TABLES
                         for f in vocabulary().forms(table[name], name)}))


@lru_cache(maxsize=1 << 17)
def _names(focus_forms: tuple[str, ...], noun: frozenset[str], word: str) -> bool:
    """``word`` is a form of the focus noun, or of what the vocabulary says the noun names."""
    from .answer.lexicon import word_matches

    return matches(noun, word) or any(word_matches(word, f) for f in focus_forms)


@lru_cache(maxsize=1 << 16)
def _is_number(word: str, noun: frozenset[str]) -> bool:
    if _DIGITS.match(word) or word in NUMBER_WORDS or not cores(word).isdisjoint(NUMBER_WORDS):
        return True
    # a dual is a count of two: "سيارتين" answers "كم سيارة"
    return (bool(noun) and matches(noun, word) and any(c.endswith(_DUAL) for c in cores(word))
            and not any(c.endswith(_DUAL) for c in noun))


# a preposition or conjunction fused to the article opens another phrase: "الدعم للهجوم" (support *for*
# the attack) or "الدعم والتدريب" (support *and* training) does not say which support
_PHRASE_OPENERS = tuple(p for p in _ARTICLE if p != "ال")


def _qualifies(word: str) -> bool:
    """``word``, right after the focus noun, can name which one: a modifier or a name, not a function
    word or the start of a prepositional or coordinated phrase."""
    return word not in STOPWORDS and not word.startswith(_PHRASE_OPENERS)


@lru_cache(maxsize=16384)  # the same top passages come back question after question
def words(sentence: str) -> tuple[str, ...]:
    """The folded words of a sentence (``normalize.tokenize``), cached apart from any question."""
    return tuple(tokenize(sentence))


@lru_cache(maxsize=16384)
def sentence_focus(focus: Focus, sentence: str, window: int = 3) -> float:
    """How far ``sentence`` holds what ``focus`` asks for (0, 0.5 or 1; see the module docstring)."""
    if not focus:
        return 0.0
    toks = words(sentence)
    nouns = [i for i, t in enumerate(toks) if focus.noun and _names(focus.forms, focus.noun, t)]
    if not focus.count:
        if not focus.noun.isdisjoint(TIME_NOUNS):  # a date answers it
            dated = any(_DIGITS.match(t) or not cores(t).isdisjoint(CALENDAR) for t in toks)
            return 1.0 if dated else 0.5 if nouns else 0.0
        # the noun with a word the question does not have after it: the slot filled ("وكالة رويترز")
        filled = any(i + 1 < len(toks) and _qualifies(toks[i + 1]) and cores(toks[i + 1]).isdisjoint(focus.asked)
                     for i in nouns)
        return 1.0 if filled else 0.5 if nouns else 0.0
    numbers = [i for i, t in enumerate(toks) if _is_number(t, focus.noun)]
    if any(abs(i - j) <= window for i in nouns for j in numbers):
        return 1.0
    return 0.5 if (nouns or numbers) else 0.0
