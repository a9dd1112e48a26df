"""Arabic normalisation, tokenisation and light stemming, for matching only.

Displayed text always stays the original; these functions feed BM25, highlighting and
answer matching. Each rule is one entry below and has a unit test.
"""

from __future__ import annotations

import re
from functools import lru_cache

NORMALIZER_VERSION = "ar-norm-4"

# Harakat (fathatan..sukun and the rarer marks up to U+065F), superscript alef (U+0670),
# and Quranic annotation marks.
_DIACRITICS = re.compile("[\u064B-\u065F\u0670\u06D6-\u06ED]")
_TATWEEL = "\u0640"

_CHAR_MAP = str.maketrans({
    # alef forms -> bare alef
    "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",
    # alef maqsura -> ya; ta marbuta -> ha
    "\u0649": "\u064A", "\u0629": "\u0647",
    # Arabic punctuation -> ASCII
    "\u060C": ",", "\u061B": ";", "\u061F": "?", "\u066A": "%", "\u066B": ".", "\u066C": ",",
    "\u06D4": ".", "\u00AB": '"', "\u00BB": '"', "\u201C": '"', "\u201D": '"',
    # Arabic-Indic and Persian (extended) digits -> ASCII
    **{chr(0x0660 + i): str(i) for i in range(10)},
    **{chr(0x06F0 + i): str(i) for i in range(10)},
})


# The same folds as one table, indexed by code point (a list: ``str.translate`` reads it much faster
# than a dict; a character past its end stays as it is): the marks and tatweel deleted, then _CHAR_MAP.
FOLD_TABLE: list[int | str | None] = [
    None if _DIACRITICS.match(chr(c)) or chr(c) == _TATWEEL else _CHAR_MAP.get(c, c)
    for c in range(max(_CHAR_MAP) + 1)
]


def normalize_arabic(text: str) -> str:
    """Fold the spelling variants of Arabic that should match each other.

    Every step keeps one character per character or deletes it, never adds.
    """
    return text.translate(FOLD_TABLE).casefold()


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """``normalize_arabic(text)`` plus, for each of its characters, the offset it came from.

    Normalisation maps or deletes one character at a time, so folding each character on its own
    gives the same string and an exact way back to original offsets (for highlighting and spans).
    """
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for c in normalize_arabic(ch):
            chars.append(c)
            origin.append(i)
    return "".join(chars), origin


# A token is a run of letters/digits; Arabic letters are \w in Python's re.
_TOKEN = re.compile(r"[^\W_]+")


def tokenize(text: str) -> list[str]:
    """Normalise, then split into word tokens (Arabic and Latin letters, digits)."""
    return _TOKEN.findall(normalize_arabic(text))


# Common Arabic function words, written in normalised form (so they match normalised tokens).
_STOPWORDS_RAW = """
في من على الى إلى عن مع هذا هذه ذلك تلك هو هي هم هن انا نحن انت انتم التي الذي الذين اللذين
اللتين اللواتي ما ماذا لم لن لا ان أن إن كان كانت يكون تكون قد كل بعض غير او أو ثم بل لكن حتى
اذا إذا كما عند عندما بين منذ خلال حيث التي أي اي ايضا أيضا وقد وكان وكانت وهو وهي وفي ومن
فيه فيها منه منها عليه عليها اليه اليها له لها لهم به بها هناك هنا قبل بعد دون ضد لدى لقد
و ف ب ل ك يا وان وأن وإن فان فإن بأن بان لان لأن كانوا الا إلا
كم متى أين اين لماذا كيف هل ماذا مَن
أجل لأجل
""".split()
STOPWORDS: frozenset[str] = frozenset(normalize_arabic(w) for w in _STOPWORDS_RAW)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer; imported lazily so `assistant --help` stays instant

    return Stemmer.Stemmer("arabic")


# Proclitic + article combinations, longest first (Larkey's light10 prefixes, normalised).
_ARTICLE_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_LONG_PREFIXES = frozenset(p for p in _ARTICLE_PREFIXES if len(p) == 3)
_SHORT_PREFIXES = frozenset(p for p in _ARTICLE_PREFIXES if len(p) == 2)


def strip_article(token: str) -> str:
    """Remove a leading (conjunction/preposition +) definite article when a stem of 2+ letters
    remains. Snowball alone is inconsistent here: it leaves والسجن as والسج but السجن as سجن."""
    # the prefixes of one length differ in their first letter: at most one of each length fits, and
    # a token that fits a three-letter one cannot fit a two-letter one, so longest first is these two looks
    if token[:3] in _LONG_PREFIXES and len(token) >= 5:
        return token[3:]
    if token[:2] in _SHORT_PREFIXES and len(token) >= 4:
        return token[2:]
    return token


def stem_tokens(tokens: list[str]) -> list[str]:
    """Light prefix stripping, then the Snowball Arabic stemmer, over normalised tokens."""
    # most tokens carry no article: one startswith over the tuple settles them without a call
    return _stemmer().stemWords([strip_article(t) if t.startswith(_ARTICLE_PREFIXES) else t for t in tokens])


# The alif that carries (or follows) tanween fatha is spelling, not a letter of the word: "سجيناً" is
# "سجين" in the accusative, but Snowball reads the "نا" of "سجينا" as the suffix "our" ("سجي"). Where the
# mark is written the alif goes before stemming; an unmarked "سجينا" stays ambiguous, as written.
_TANWEEN_ALIF = re.compile("\u0627(?=\u064B)|(?<=\u064B)\u0627")


def analyze(text: str, *, stem: bool = True, stopwords: bool = True) -> list[str]:
    """The lexical pipeline used for both documents and queries: normalise, tokenise,
    drop stopwords, stem (the tanween alif dropped first, for the stemmer)."""
    tokens = tokenize(_TANWEEN_ALIF.sub("", text) if stem else text)
    if stopwords:
        tokens = [t for t in tokens if t not in STOPWORDS]
    return stem_tokens(tokens) if stem else tokens
