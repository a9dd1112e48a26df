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


@lru_cache(maxsize=4096)
def question_source(question: str, most: int = 4) -> tuple[frozenset[str], ...]:
    """The named source's words (each as its cores), or () when the question names none."""
    preps, verbs, statements = _reporting()
    toks = [t.casefold() for t in tokenize(question)]
    for i, t in enumerate(toks):
        if t in preps or not cores(t).isdisjoint(preps):
            named = [w for w in toks[i + 1:] if w not in STOPWORDS and w not in statements and w not in verbs
                     and cores(w).isdisjoint(statements | verbs) and w not in ("to", "the", "of", "s")]
            return tuple(cores(w) for w in named[:most])
    return ()


def _spelled(noun: frozenset[str], toks: tuple[str, ...]) -> bool:
    """A short source word is the initialism of a run of ``toks`` ("قدم" for "قوات الدفاع المدني")."""
    from .answer.lexicon import initialism

    for core in noun:
        n = len(core)
        if 2 <= n <= 5 and any(initialism(" ".join(toks[i:i + n])) == core for i in range(len(toks) - n + 1)):
            return True
    return False


def _share(source: tuple[frozenset[str], ...], toks: tuple[str, ...]) -> float:
    """The share of the source's words found in ``toks``: as a form of the word, or spelled out."""
    return sum(any(matches(c, w) for w in toks) or _spelled(c, toks) for c in source) / len(source)


@lru_cache(maxsize=16384)
def headline_hold(source: tuple[frozenset[str], ...], headline: str) -> float:
    return _share(source, words(headline)) if source else 0.0


SPEAKER_AFTER = 5  # words after "قال / أعلن / حسب" where its speaker stands ("قالت وزارة الصحة في بيان")
SPEAKER_BEFORE = 3  # words before a reporting verb ("الوزارة أعلنت")


@lru_cache(maxsize=16384)
def speaker_zone(sentence: str) -> tuple[str, ...]:
    """The words of ``sentence`` where a speaker stands: just after each reporting verb or "حسب / وفق",
    and just before each reporting verb. Empty when nobody speaks in it."""
    preps, verbs, _ = _reporting()
    toks = words(sentence)
    zone: set[int] = set()
    for i, w in enumerate(toks):
        verb = w in verbs or not cores(w).isdisjoint(verbs)
        if verb or w in preps or not cores(w).isdisjoint(preps):
            zone.update(range(i + 1, min(len(toks), i + 1 + SPEAKER_AFTER)))
            if verb:
                zone.update(range(max(0, i - SPEAKER_BEFORE), i))
    return tuple(toks[i] for i in sorted(zone))


@lru_cache(maxsize=16384)
def sentence_hold(source: tuple[frozenset[str], ...], sentence: str) -> float:
    """The share of the source's words where ``sentence`` names its speaker (``speaker_zone``)."""
    if not source:
        return 0.0
    zone = speaker_zone(sentence)
    return _share(source, zone) if zone else 0.0
