"""Does a figure's phrase name the party a question asks about?

The party comes from the question's own words (``Question.party``: groups such as "قوات الدفاع
المدني", "حراس المصنع"); nothing here knows any party. A group is named by a phrase when

- most of its words are there after folding and peeling clitics ("الحراس" ~ "حراسه"),
- or one of them is its initialism ("قدم" ~ "قوات الدفاع المدني", either way round),
- or a definite generic noun of the phrase stands for it in the document ("عناصر الحركة" where the
  document wrote "حركة النهضة" earlier),
- or, failing those, the embedding model puts the phrase close to the group (cosine of the two as
  queries ≥ ``PARTY_COSINE``), so a party named in another language or by another name can still match.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .lexicon import Token, fold, initialism, question_words, same_word, tokens

# Chosen on the seeds: a figure's phrase and a party it names score 0.50-0.71 with EmbeddingGemma
# (the party written as in the question: case matters for Latin names), phrases about other parties
# 0.04-0.41. Some names it does not link at all (an English acronym to an Arabic one).
PARTY_COSINE = 0.48


class PartyMatcher:
    def __init__(self, groups: Sequence[Sequence[str]], embedder=None, label: str = ""):
        self.groups = [tuple(g) for g in groups if g]
        self.label = label  # the party as written in the question, for the embedding model
        self.embedder = embedder
        self._vectors: dict[str, np.ndarray] = {}
        self._initials = {initialism(" ".join(g)) for g in self.groups} - {""}
        self.document: list[Token] = []  # the words of the document being read, for aliases
        self._docs: dict[str, list[Token]] = {}

    def read(self, doc_id: str, text: str) -> None:
        """Use this document's full names for its generic nouns ("الحركة" -> "حركة النهضة")."""
        if doc_id not in self._docs:
            self._docs[doc_id] = tokens(fold(text)) if self.groups else []
        self.document = self._docs[doc_id]

    def __bool__(self) -> bool:
        return bool(self.groups)

    @property
    def text(self) -> str:
        return self.label or " و".join(" ".join(g) for g in self.groups)

    def matches_text(self, text: str) -> bool:
        return bool(self.matches(tokens(fold(text)), None, lexical_only=True))

    def matches(self, phrase: Sequence[Token], phrase_text: str | None, *, lexical_only: bool = False,
                document: Sequence[Token] = (), whole: bool = False) -> bool | None:
        """True when the phrase names one of the groups, False when it names something else, None
        when it has no naming word at all."""
        asks = question_words()
        words = [t.text.lower() for t in phrase if len(t.text) > 1 and not t.text.isdigit()
                 and t.text.lower() not in asks]
        if not words:
            return None
        if self._lexical(words, document, whole):
            return True
        if lexical_only or not self.embedder or not phrase_text:
            return False
        # "عناصر التنظيم" where the document wrote "تنظيم X" earlier: the model compares the full name
        full = [f"{w[2:]} {' '.join(a)}" for w in words for a in _alias_names(w, document or self.document)]
        return max(self._cosine(t) for t in [phrase_text, *full[:4]]) >= PARTY_COSINE

    def _lexical(self, words: list[str], document: Sequence[Token], whole: bool = False) -> bool:
        if any(w in self._initials for w in words):
            return True
        joined = [initialism(" ".join(words[i:i + n])) for n in (2, 3, 4) for i in range(len(words) - n + 1)]
        expanded = list(words) + _aliases(words, document or self.document)
        for g in self.groups:
            if any(w in joined for w in g):
                return True
            hit = sum(any(same_word(w, x) for x in expanded) for w in g)
            if hit >= (len(g) if whole else math.ceil(len(g) / 2)) and hit:
                return True
        return False

    def _cosine(self, phrase_text: str) -> float:
        for text in (self.text, phrase_text):
            if text not in self._vectors:
                self._vectors[text] = np.asarray(self.embedder.embed_queries([text])[0], np.float32)
        return float(self._vectors[self.text] @ self._vectors[phrase_text])


def _aliases(words: list[str], document: Sequence[Token]) -> list[str]:
    """"الحركة" -> the words after "حركة" where the document names it in full ("حركة النهضة")."""
    return [x for w in words for name in _alias_names(w, document) for x in name]


def _alias_names(word: str, document: Sequence[Token]) -> list[tuple[str, ...]]:
    """The two words after each bare "حركة" of the document, for the definite "الحركة"; distinct."""
    if not word.startswith("ال") or len(word) < 5:
        return []
    bare = word[2:]
    out = [tuple(x.text for x in document[i + 1:i + 3]) for i, t in enumerate(document[:-1])
           if t.text == bare or t.text[1:] == bare and t.text[:1] in "بلو"]
    return list(dict.fromkeys(out))
