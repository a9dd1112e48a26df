"""Whose account a question asks for ("بحسب الشرطة", "وفق رواية الوزارة", "according to the agency"),
and whether a passage gives that source's account.

On a collection of many outlets covering one event, the same figure is given differently by each
party; a question that names its source wants that source's passage, not another party's figure
on the same matter. ``question_source`` reads the named source (the words after "بحسب / حسب /
وفق / according to", statement nouns like "رواية" or "بيان" dropped); ``headline_hold`` and
``sentence_hold`` give the share of those words that a passage attributes: in its document's
headline or outlet (an article headed "الوزارة: …" is the ministry's account throughout), or where
one of its sentences names its speaker (``speaker_zone``). The words come from the question and the
vocabulary's reporting entries (``answer/vocabulary.tsv``): no source is known in advance.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .focus import cores, matches, words
from .normalize import STOPWORDS, normalize_arabic, tokenize


@lru_cache(maxsize=1)
def _reporting() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    from .answer.lexicon import vocabulary

    v = vocabulary()

    def fold(words: frozenset[str]) -> frozenset[str]:  # the words and their cores
        folded = {normalize_arabic(w).casefold() for w in words}
        return frozenset(folded | {c for w in folded for c in cores(w)})

    return (fold(v.words("reporting", "preposition")), fold(v.words("reporting", "verb")),
            fold(v.words("reporting", "statement")))


# where a source's name ends: a clause boundary, or the question word of a question put after it
# ("بحسب الشرطة، كم قتيلا سقط؟", "according to the police how many died?")
_CLAUSE_END = re.compile(r"[،,؛;:?؟!.\n]")
_ASKING = frozenset({"كم", "ما", "ماذا", "متى", "اين", "كيف", "هل", "لماذا", "اي", "how", "what", "which", "who",
                     "when", "where", "why"})


def _names(word: str) -> bool:
    """``word`` of an attribution can be part of the source's name: not a function word, a reporting
    verb or a statement noun ("ما", "أعلنت", "رواية", "the")."""
    _, verbs, statements = _reporting()
    return (word not in STOPWORDS and word not in statements and word not in verbs
            and cores(word).isdisjoint(statements | verbs) and word not in ("to", "the", "of", "s"))


@lru_cache(maxsize=4096)
def _attribution(question: str) -> tuple[str, ...]:
    """The words of the clause that names whose account the question wants, from its reporting
    preposition ("بحسب", "according") to the clause's end or the next question word; () when none."""
    preps = _reporting()[0]
    for clause in _CLAUSE_END.split(question):
        toks = [t.casefold() for t in tokenize(clause)]
        for i, t in enumerate(toks):
            if t in preps or not cores(t).isdisjoint(preps):
                # a question word ends the name once the name has begun ("بحسب ما أعلنت الشرطة" goes on)
                begun = next((j for j in range(i + 1, len(toks)) if _names(toks[j])), len(toks))
                end = next((j for j in range(begun + 1, len(toks)) if toks[j] in _ASKING), len(toks))
                return tuple(toks[i:end])
    return ()


@lru_cache(maxsize=4096)
def source_words(question: str, most: int = 4) -> tuple[str, ...]:
    """The words of ``question`` that name whose account it wants ("الشرطة" in "بحسب الشرطة"), or ()."""
    return tuple([w for w in _attribution(question)[1:] if _names(w)][:most])


@lru_cache(maxsize=4096)
def question_source(question: str, most: int = 4) -> tuple[frozenset[str], ...]:
    """The named source's words (each as its cores), or () when the question names none."""
    return tuple(cores(w) for w in source_words(question, most))


@lru_cache(maxsize=4096)
def attribution_words(question: str) -> tuple[str, ...]:
    """The words of ``question`` that say whose account it wants, not what it asks about: the
    reporting preposition and the statement nouns after it ("بحسب", "رواية" in "… بحسب رواية الشرطة"),
    when it names a source; () otherwise. The source's own words are not among them."""
    if not question_source(question):
        return ()
    _, _, statements = _reporting()
    said = _attribution(question)
    return (said[0], *(w for w in said[1:] if w in statements or not cores(w).isdisjoint(statements)))


@lru_cache(maxsize=16384)
def _initials(toks: tuple[str, ...]) -> tuple[str, ...]:
    """Each word's letter in an initialism (``lexicon.initial``), once per sentence."""
    from .answer.lexicon import initial

    return tuple(initial(w) for w in toks)


def _spelled(noun: frozenset[str], toks: tuple[str, ...], starts=None) -> bool:
    """A short source word is the initialism of a run of ``toks`` ("قدم" for "قوات الدفاع المدني"),
    the run beginning at one of ``starts`` (anywhere when None)."""
    letters = _initials(toks)
    for core in noun:
        n = len(core)
        if 2 <= n <= 5 and any("".join(letters[i:i + n]) == core for i in range(len(toks) - n + 1)
                               if starts is None or i in starts):
            return True
    return False


def _share(source: tuple[frozenset[str], ...], toks: tuple[str, ...], zone=None) -> float:
    """The share of the source's words found in ``toks`` (at the positions ``zone``, all when None):
    as a form of the word, or spelled out by a name that begins there."""
    inside = toks if zone is None else [toks[i] for i in zone]
    return sum(any(matches(c, w) for w in inside) or _spelled(c, toks, zone) for c in source) / len(source)


@lru_cache(maxsize=16384)
def headline_hold(source: tuple[frozenset[str], ...], headline: str) -> float:
    return _share(source, words(headline)) if source else 0.0


SPEAKER_AFTER = 5  # words after "قال / أعلن / حسب" where its speaker stands ("قالت وزارة الصحة في بيان")
SPEAKER_BEFORE = 3  # words before a reporting verb ("الوزارة أعلنت")


@lru_cache(maxsize=16384)
def _zone(sentence: str) -> tuple[int, ...]:
    """The positions in ``words(sentence)`` where a speaker stands (see ``speaker_zone``)."""
    preps, verbs, _ = _reporting()
    toks = words(sentence)
    zone: set[int] = set()
    for i, w in enumerate(toks):
        verb = w in verbs or not cores(w).isdisjoint(verbs)
        if verb or w in preps or not cores(w).isdisjoint(preps):
            zone.update(range(i + 1, min(len(toks), i + 1 + SPEAKER_AFTER)))
            if verb:
                zone.update(range(max(0, i - SPEAKER_BEFORE), i))
    return tuple(sorted(zone))


def speaker_zone(sentence: str) -> tuple[str, ...]:
    """The words of ``sentence`` where a speaker stands: just after each reporting verb or "حسب / وفق",
    and just before each reporting verb. Empty when nobody speaks in it."""
    toks = words(sentence)
    return tuple(toks[i] for i in _zone(sentence))


@lru_cache(maxsize=16384)
def sentence_hold(source: tuple[frozenset[str], ...], sentence: str) -> float:
    """The share of the source's words where ``sentence`` names its speaker (``speaker_zone``); a name
    that begins there may run past it ("قال مدير المركز الإعلامي لقوات الدفاع المدني" holds "قدم")."""
    zone = _zone(sentence) if source else ()
    return _share(source, words(sentence), frozenset(zone)) if zone else 0.0
