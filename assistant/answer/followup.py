"""Follow-up questions: "وماذا عن المدنيين؟" after "كم عدد القتلى في الحريق؟" asks how many
civilians were killed in the fire.

A follow-up keeps what the previous question asked — its kind, what happened, the counted noun,
the party, the place and time (its other words) — unless it says them anew: a new party or kind of
people replaces the party and the counted people, a new event replaces the event, a new question
word replaces the kind. A question that stands on its own (it has its own event or counted noun and
more than a few words) is no follow-up and inherits nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from ..normalize import normalize_arabic
from .lexicon import concepts_of, events, fold, roles, tokens
from .question import Question, parse_question

_CUE = re.compile(r"^\s*(?:و?(?:ماذا|ما|ماذا)\s+عن|و(?:كم|من|متى|متي|اين|هل|ما|ماذا|لماذا|كيف)\b|"
                  r"(?:and\s+)?what\s+about|and\s+(?:how|who|when|where|why|what)\b|و\s)")
_SHORT = 2  # content words: a question this short leans on the one before


def resolve(question: str, previous: Sequence[str] = ()) -> tuple[Question, str]:
    """The question with what it leaves unsaid taken from the previous ones (oldest first), and
    the text to search for it."""
    q = parse_question(question)
    if not previous:
        return q, question
    p, _ = resolve(previous[-1], previous[:-1])
    if not is_follow_up(question, q):
        return q, question
    r = roles()
    own_people = {c for c in q.concepts if r.get(c) == "person"}
    kind = q.kind if q.kind != "other" else p.kind
    concepts = set(q.concepts)
    same_kind = kind == p.kind  # "ومتى؟" after "كم؟" keeps the place and party, not the count
    if not q.events and same_kind:
        concepts |= p.events
    counted = q.counted or (p.counted if not own_people and same_kind else frozenset(own_people))
    if not (q.counted or own_people) and same_kind:
        concepts |= {c for c in p.concepts if r.get(c) in ("person", "thing", "unit", "attribute")}
    new_names = q.party or (((*q.words,),) if q.words and p.party and kind == p.kind else ())
    party = new_names or (() if own_people else p.party)
    words = tuple(w for w in q.words if not any(w in g for g in party)) or p.words
    if q.words and not new_names:
        words = tuple(dict.fromkeys(q.words + p.words))
    merged = replace(q, kind=kind, concepts=frozenset(concepts), counted=frozenset(counted),
                     noun=q.noun or (p.noun if not own_people else ""), party=tuple(party), words=words)
    return merged, _search_text(question, merged, p)


def is_follow_up(text: str, q: Question) -> bool:
    if _CUE.match(normalize_arabic(text).lower()):
        return True
    content = len(q.words) + sum(len(g) for g in q.party) + len(q.concepts)
    return content <= _SHORT


def _search_text(question: str, merged: Question, p: Question) -> str:
    """The follow-up's words, and the previous question's words it keeps, as they were written."""
    keep = set(merged.words) | {w for g in merged.party for w in g}
    extra = [p.text[t.start:t.end] for t in tokens(fold(p.text))
             if t.text.lower() in keep or events(concepts_of(t.text.lower())) & merged.events
             or concepts_of(t.text.lower()) & merged.counted]
    own = {t.text.lower() for t in tokens(fold(question))}
    extra = [w for w in dict.fromkeys(extra) if normalize_arabic(w).lower() not in own]
    return " ".join([question.strip().rstrip("؟?"), *extra]).strip() + "؟"
