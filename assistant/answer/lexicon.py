"""Offset-keeping Arabic folding, word tokens, and the small lexicons answers are matched with.

Answers must point back into the original text, so every match here runs on a folded copy
whose characters map one-to-one back to document offsets. The vocabulary (what counts as a
death, an injury, a vehicle; which verbs report speech) is general news knowledge kept as data in
``vocabulary.tsv``; the parties a question asks about come from the question itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..normalize import STOPWORDS, normalize_arabic, normalize_with_offsets


@dataclass(frozen=True)
class Token:
    text: str  # folded
    start: int  # offsets into the original text
    end: int
    fstart: int  # offsets into the folded text
    fend: int


@dataclass(frozen=True)
class Folded:
    """A folded (normalised) copy of ``original`` with a map back to original offsets."""

    original: str
    text: str
    index: tuple[int, ...]  # index[i] = original offset of folded char i; one extra at the end
    base: int = 0  # offset of ``original`` inside the document

    def span(self, fa: int, fb: int) -> tuple[int, int]:
        """Folded [fa, fb) -> document offsets."""
        if fb <= fa:
            return self.base + self.index[fa], self.base + self.index[fa]
        return self.base + self.index[fa], self.base + self.index[fb - 1] + 1


def fold(text: str, base: int = 0) -> Folded:
    folded, origin = normalize_with_offsets(text)
    return Folded(text, folded, (*origin, len(text)), base)


_WORD = re.compile(r"[^\W\d_]+|\d+")


def tokens(f: Folded) -> list[Token]:
    """Letter runs and digit runs apart ("مقتل17" is two tokens), with original offsets."""
    out = []
    for m in _WORD.finditer(f.text):
        a, b = f.span(m.start(), m.end())
        out.append(Token(m.group(), a, b, m.start(), m.end()))
    return out


@lru_cache(maxsize=4096)
def variants(word: str) -> tuple[str, ...]:
    """The word with its attached clitics (و ف ب ل ك, the article) peeled off one by one."""
    out = [word]
    if len(word) > 3 and word[0] in "وفبلك":
        out.append(word[1:])
    for v in list(out):
        if v.startswith("لل") and len(v) > 4:
            out += ["ال" + v[2:], v[2:]]
        elif v.startswith("ال") and len(v) > 4:
            out.append(v[2:])
    return tuple(dict.fromkeys(out))


def word_matches(word: str, term: str) -> bool:
    """``term`` is a folded stem matched as a prefix of a variant; ``=term`` must match whole."""
    if term.startswith("="):
        return term[1:] in variants(word)
    return any(v.startswith(term) for v in variants(word))


@dataclass(frozen=True)
class Vocabulary:
    """The general news vocabulary of ``vocabulary.tsv``: table -> name -> folded forms."""

    tables: dict[str, dict[str, tuple[str, ...]]]

    def forms(self, table: str, name: str) -> tuple[str, ...]:
        return self.tables.get(table, {}).get(name, ())

    def words(self, table: str, name: str) -> frozenset[str]:
        """The forms of one entry as plain folded words (the "=" dropped)."""
        return frozenset(f.lstrip("=") for f in self.forms(table, name))


VOCABULARY_FILE = "vocabulary.tsv"
CONCEPT_TABLES = ("event", "person", "thing", "attribute", "unit")


def parse_vocabulary(text: str) -> Vocabulary:
    tables: dict[str, dict[str, tuple[str, ...]]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        table, name, forms = line.split("\t")
        folded = tuple(("=" if f.startswith("=") else "") + normalize_arabic(f.lstrip("=")).lower()
                       for f in forms.split())
        tables.setdefault(table, {})[name] = folded
    return Vocabulary(tables)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    from importlib.resources import files

    return parse_vocabulary(files(__package__).joinpath(VOCABULARY_FILE).read_text("utf-8"))


@lru_cache(maxsize=1)
def _concepts() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    v = vocabulary()
    return tuple((table, name, forms) for table in CONCEPT_TABLES for name, forms in v.tables.get(table, {}).items())


@lru_cache(maxsize=16384)
def concepts_of(word: str) -> frozenset[str]:
    """The vocabulary entries (events, people, things, attributes, units) this folded word names."""
    word = word.lower()
    return frozenset(name for _, name, forms in _concepts() if any(word_matches(word, t) for t in forms))


@lru_cache(maxsize=1)
def roles() -> dict[str, str]:
    """Concept name -> its table ("event", "person", "thing", "attribute", "unit")."""
    return {name: table for table, name, _ in _concepts()}


def events(concepts) -> frozenset[str]:
    r = roles()
    return frozenset(c for c in concepts if r.get(c) == "event")


@lru_cache(maxsize=1)
def question_words() -> frozenset[str]:
    return vocabulary().words("question", "word")


def content_words(toks: list[Token]) -> list[Token]:
    asks = question_words()
    return [t for t in toks if len(t.text) > 1 and not any(v in STOPWORDS or v.lower() in asks
                                                           for v in (t.text, *_peeled(t.text)))]


def _peeled(word: str) -> tuple[str, ...]:
    """"وماذا" -> "ماذا", "ومتي" -> "متي": a conjunction on a short function word."""
    return (word[1:],) if word[:1] in "وف" and len(word) >= 3 else ()


_SUFFIXES = ("تين", "تان", "ات", "ين", "ون", "ان", "ه", "ا")


def _bare(word: str) -> str:
    """A folded word without a feminine, dual or sound plural ending ("مضخه", "مضخات" -> "مضخ")."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def same_word(a: str, b: str) -> bool:
    """Loose equality of two folded words: equal after peeling clitics, one a 4+ letter prefix of
    the other, or the same once singular/plural endings are dropped."""
    va, vb = variants(a), variants(b)
    if set(va) & set(vb):
        return True
    if any(len(x) >= 4 and len(y) >= 4 and (x.startswith(y) or y.startswith(x)) for x in va for y in vb):
        return True
    return bool({_bare(x) for x in va if len(x) >= 4} & {_bare(y) for y in vb if len(y) >= 4})


def initial(word: str) -> str:
    """The letter a folded word gives an initialism: its first after a clitic or the article; ""
    for a one-letter word ("ل" of "لـ”قوات")."""
    if len(word) <= 1:
        return ""
    if word[0] in "وفبل" and not word.startswith("ال") and len(word) > 3:
        word = word[1:]
    if word.startswith("ال") and len(word) > 3:
        word = word[2:]
    return word[0]


def initialism(name: str) -> str:
    """First letters of a multi-word name, clitics and the article dropped: "قوات الدفاع المدني"
    and "لقوات الدفاع المدني" -> "قدم"."""
    words = [w for w in normalize_arabic(name).lower().split() if len(w) > 1]
    return "".join(initial(w) for w in words) if len(words) >= 2 else ""
