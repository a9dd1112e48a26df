"""Extractive answers: the sentences that answer, cited to their passages, and who says what.

No generative model: every word shown is a slice of a source document, addressed by offsets
(``document.text[start:end] == sentence.text``). For a figure question the answer lists what each
source claims, names the party making the claim, and says whether the sources agree.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ..chunk import split_sentences
from ..config import DEFAULTS
from ..normalize import tokenize
from ..records import Document, Hit, Reprint, Source
from ..reprints import is_reprint, shingles
from .closeness import SentenceCloseness
from .compare import compare, published_date
from .figures import figure_spans
from .followup import resolve
from .lexicon import fold, same_word, tokens
from .parties import PartyMatcher
from .question import Question, Span, asked_noun, coverage, expand_query, lasting
from .spans import asked_event, says_event, says_since, typed_spans
from .speakers import claim_date, speaker_of

log = logging.getLogger(__name__)

NOT_FOUND = "not found in the sources"
# Calibrated on seeds_qa with benchmarks/answer_threshold.py (grid of both sentence gates): the
# values that decline all 7 unanswerable questions and answer the most answerable ones (48/53).
# A passage the model finds related (cosine >= MIN_DENSE) must hold a sentence that mentions half of
# the question's concepts, party groups and words, or that the model finds close to the question.
# A figure question's sentence needs less: the figure's own noun and party are checked word by word.
MIN_COVERAGE = 0.5
MIN_FIGURE_COVERAGE = 0.2
MIN_SENTENCE_COSINE = 0.5
MIN_NAMED_COSINE = 0.6  # "ما جنسيات ...": a sentence without the asked noun must be this close
MIN_DENSE = 0.15
MAX_SENTENCES = 8


@dataclass(frozen=True)
class AnswerSentence:
    text: str
    citation: int  # 1-based into Answer.hits
    start: int  # the sentence in its document
    end: int
    span_start: int  # the answer inside it (== start/end when nothing narrower)
    span_end: int
    hit: Hit

    def to_dict(self) -> dict:
        return {"text": self.text, "citation": self.citation, "start": self.start, "end": self.end,
                "span": {"start": self.span_start, "end": self.span_end}}


@dataclass(frozen=True)
class Claim:
    source: Source
    speaker: str  # who makes the claim ("" = the outlet itself)
    sentence: str
    value: str  # the figure/date/name as written
    start: int  # the sentence in its document
    end: int
    doc_id: str
    value_start: int = 0
    value_end: int = 0
    number: float | None = None
    qualifier: str = ""
    date: str = ""  # when the claim was made, where the text says
    also: tuple[Reprint, ...] = ()
    high: float | None = None  # the top of a range ("بين 20 و30": number 20, high 30)
    published: dt.date | None = None  # the document's date, for "اليوم", "أمس", "الخميس الماضي"

    def to_dict(self) -> dict:
        return {"source": self.source.to_dict(), "speaker": self.speaker, "sentence": self.sentence,
                "value": self.value, "start": self.start, "end": self.end,
                "value_span": {"start": self.value_start, "end": self.value_end},
                "number": self.number, "high": self.high, "qualifier": self.qualifier, "date": self.date,
                "also": [r.to_dict() for r in self.also]}


@dataclass(frozen=True)
class Answer:
    question: str
    sentences: tuple[AnswerSentence, ...]
    claims: tuple[Claim, ...]
    agreement: str  # "agree" | "differ" | "single" | "none"
    hits: tuple[Hit, ...]  # the cited passages, [1]..[n]
    kind: str = "other"

    @property
    def found(self) -> bool:
        return bool(self.sentences)

    def to_dict(self) -> dict:
        return {"question": self.question, "found": self.found,
                "answer": [s.to_dict() for s in self.sentences],
                "claims": [c.to_dict() for c in self.claims], "agreement": self.agreement,
                "passages": [h.to_dict() for h in self.hits]}

    @classmethod
    def from_dict(cls, d: dict) -> Answer:
        """The answer a ``to_dict`` record describes (a server's, for the instant CLI)."""
        hits = tuple(Hit.from_dict(h) for h in d.get("passages", ()))
        sentences = tuple(AnswerSentence(s["text"], int(s["citation"]), int(s["start"]), int(s["end"]),
                                         int(s["span"]["start"]), int(s["span"]["end"]), hits[int(s["citation"]) - 1])
                          for s in d.get("answer", ()))
        claims = []
        for c in d.get("claims", ()):
            source = Source.from_dict(c["source"])
            also = tuple(Reprint(Source.from_dict(r["source"]), int(r["start"]), int(r["end"]))
                         for r in c.get("also", ()))
            claims.append(Claim(source, c["speaker"], c["sentence"], c["value"], int(c["start"]), int(c["end"]),
                                source.doc_id, int(c["value_span"]["start"]), int(c["value_span"]["end"]),
                                c.get("number"), c.get("qualifier", ""), c.get("date", ""), also, c.get("high")))
        return cls(d["question"], sentences, tuple(claims), d.get("agreement", "none"), hits)


@dataclass
class _Candidate:
    hit: Hit
    start: int
    end: int
    span: Span
    score: float
    speaker: str
    date: str
    also: list[Reprint] = field(default_factory=list)


def answer_question(searcher, question: str, k: int = DEFAULTS.answer_k, *,
                    previous: Sequence[str] = ()) -> Answer:
    """Answer ``question`` from the passages of ``searcher`` (a ``Searcher``).

    ``previous``: the conversation's earlier questions, oldest first; a follow-up ("وماذا عن
    المدنيين؟") keeps what they asked unless it says it anew (``followup.resolve``).

    Candidates are the top ``2 * k`` passages of the hybrid search (``3 * k`` for a date question: a
    time is often said in passing, in a sentence about something else) plus the top ``k`` of a lexical
    search for the sources' other names of the question's parties and concepts; the answer cites at
    most ``k`` of them.

    Raises:
        QueryError: the question is empty or too long.
    """
    q, text = resolve(question, [p for p in previous if isinstance(p, str) and p.strip()])
    if len(text) > getattr(searcher, "max_query_chars", len(text)):
        text = question
    hits = searcher.search(text, (3 if q.kind == "date" else 2) * k, fold=False)  # reprinted sentences are folded below
    docs = searcher.index.documents
    pool = list(hits)
    expanded = expand_query(q)
    if expanded:  # the sources' own names for the question's parties and concepts
        seen = {h.passage.passage_id for h in hits}
        pool += [h for h in searcher.search(expanded, k, method="bm25", fold=False)
                 if h.passage.passage_id not in seen and _names_context(q, docs[h.passage.doc_id], h)]
    related = max((h.scores.get("dense", -1.0) for h in hits), default=-1.0) >= MIN_DENSE
    parties = PartyMatcher(q.party, getattr(searcher, "embedder", None), q.party_label)
    closeness = SentenceCloseness(searcher, text) if related and q.terms else None
    candidates = [c for h in pool if related and q.terms
                  for c in _candidates(q, h, docs[h.passage.doc_id], parties, closeness)]
    if q.sequel:
        candidates += _sequels(candidates, docs)
    if q.kind in ("name", "place", "cause") and candidates:
        best_fit = max(c.span.fit for c in candidates)  # an apposition beats any party named
        candidates = [c for c in candidates if c.span.fit >= best_fit]
    candidates.sort(key=lambda c: (-c.score, c.hit.rank, c.start))
    chosen, allowed = [], set()
    for c in _merge_reprints(candidates, docs):
        pid = c.hit.passage.passage_id
        if len(chosen) < MAX_SENTENCES and (pid in allowed or len(allowed) < k):
            chosen.append(c)
            allowed.add(pid)
    chosen.sort(key=lambda c: (c.hit.rank, c.start))
    cited: list[Hit] = []
    sentences, claims = [], []
    for c in chosen:
        if c.hit not in cited:
            cited.append(c.hit)
        n = cited.index(c.hit) + 1
        cited_hit = Hit(n, c.hit.score, c.hit.passage, c.hit.source, c.hit.scores)
        text = docs[c.hit.passage.doc_id].text
        sentences.append(AnswerSentence(text[c.start:c.end], n, c.start, c.end, c.span.start,
                                        c.span.end, cited_hit))
        if q.kind != "other":
            doc = docs[c.hit.passage.doc_id]
            claims.append(Claim(c.hit.source, c.speaker, text[c.start:c.end], c.span.value, c.start,
                                c.end, c.hit.passage.doc_id, c.span.start, c.span.end, c.span.number,
                                c.span.qualifier, c.date, tuple(c.also), c.span.high,
                                published_date(doc.source.date, doc.text)))
    hits_out = tuple(Hit(i + 1, h.score, h.passage, h.source, h.scores) for i, h in enumerate(cited))
    log.info("answer: %d candidate sentences, %d chosen", len(candidates), len(chosen))
    return Answer(question, tuple(sentences), tuple(claims), compare(claims, q.kind) if sentences else "none",
                  hits_out, q.kind)


def _names_context(q: Question, doc: Document, hit: Hit) -> bool:
    """Whether a passage found by the concepts' other names alone (``expand_query``) also names one
    of the question's own words or parties: "كم عدد العمال العالقين في المنجم" is not answered by
    a passage counting workers somewhere else."""
    return _names_own(q, tokens(fold(doc.text[hit.passage.start:hit.passage.end], hit.passage.start)))


def _names_own(q: Question, toks) -> bool:
    """Whether ``toks`` name one of the question's own words or parties, not only its concepts; true
    for a question of concepts alone."""
    return not q.words and not q.party or coverage(replace(q, concepts=frozenset()), toks) > 0


def _candidates(q: Question, hit: Hit, doc: Document, parties: PartyMatcher | None = None,
                closeness: SentenceCloseness | None = None) -> list[_Candidate]:
    dense = max(0.0, hit.scores.get("dense", 0.0))
    spans = split_sentences(doc.text, hit.passage.start, hit.passage.end)
    if parties is not None:
        parties.read(doc.doc_id, doc.text)
    near = closeness.of(hit) if closeness else {}
    event = asked_event(q) if q.kind == "date" else ""
    out = []
    for idx, (s, e) in enumerate(spans):
        f = fold(doc.text[s:e], s)
        toks = tokens(f)
        cov = coverage(q, toks)
        if q.kind == "date" and says_since(q, f):
            cov += 1 / max(1, len(q.words))  # "منذ مساء أمس" says the question's "بدأ"
        close = near.get((s, e), 0.0)
        if cov < (MIN_FIGURE_COVERAGE if q.kind == "figure" else MIN_COVERAGE) and close < MIN_SENTENCE_COSINE:
            continue  # a figure's own words are checked by figure_spans: a short sentence may hold it
        if q.kind == "figure" and q.duration and close < MIN_SENTENCE_COSINE and not _names_own(lasting(q), toks):
            continue  # "كم يوما استمر الإضراب": a span of time counts nothing; the sentence must say of what
        if event and close < MIN_SENTENCE_COSINE and not says_event(event, toks):
            continue  # "متى افتتح السجن؟": the time of another event of the same place is no answer
        speaker, said_at = speaker_of(doc, spans, idx, f, toks)
        if q.kind == "figure":
            found = figure_spans(q, f, toks, speaker, parties)
        else:
            found = typed_spans(q, f, toks) if q.kind != "other" else []
            if q.which and found and coverage(q, toks, without=q.which) < MIN_COVERAGE:
                found = []  # "أي دولة أرسلت قوات؟": a state named where the rest of the question is not said
            elif q.which and not found and close >= MIN_NAMED_COSINE:  # "بأي وسيلة ...": no name to
                found = [Span(s, e, doc.text[s:e], fit=0.3)]  # give; the sentence the model vouches for
            elif q.kind == "other":  # the sentence, where it names the asked noun
                noun = asked_noun(q)
                named = not noun or any(same_word(noun, t.text) for t in toks) or close >= MIN_NAMED_COSINE
                found = [Span(s, e, doc.text[s:e])] if named else []
        if not found:
            continue
        best = found[0]
        date = claim_date(doc, (s, e), said_at)
        out.append(_Candidate(hit, s, e, best, cov + 0.5 * best.fit + 0.5 * dense + close, speaker, date))
    return out


def _sequels(candidates: list[_Candidate], docs: dict[str, Document], best: int = 3) -> list[_Candidate]:
    """"ما الخطوة التالية بعد X؟": the sentence that follows each of the ``best`` sentences telling X
    in its passage ("... تم فرض طوق أمني على الحي. بعدها دخلت القوات مرحلة الهجوم.")."""
    have = {(c.hit.passage.doc_id, c.start) for c in candidates}
    out = []
    for c in sorted(candidates, key=lambda c: -c.score)[:best]:
        doc = docs[c.hit.passage.doc_id]
        following = split_sentences(doc.text, c.end, c.hit.passage.end)[:1]
        for s, e in following:
            if (doc.doc_id, s) not in have:
                have.add((doc.doc_id, s))
                out.append(_Candidate(c.hit, s, e, Span(s, e, doc.text[s:e]), c.score - 0.01, c.speaker, c.date))
    return out


def _merge_reprints(candidates: list[_Candidate], docs: dict[str, Document]) -> list[_Candidate]:
    """Keep one of each claim reprinted near-verbatim by several documents, naming them all; a
    figure a document repeats (its headline and its body) is one claim, with the body's speaker."""
    kept: list[tuple[_Candidate, frozenset[str]]] = []
    for c in candidates:
        words = shingles(docs[c.hit.passage.doc_id].text[c.start:c.end])
        for n, (k, other) in enumerate(kept):
            same_doc = k.hit.passage.doc_id == c.hit.passage.doc_id
            if not same_doc and is_reprint(words, other) and _key(k.span) == _key(c.span):
                k.also.append(Reprint(c.hit.source, c.start, c.end))
                break
            if same_doc and k.start == c.start:
                break
            if same_doc and c.span.number is not None and _key(k.span) == _key(c.span):
                if c.speaker and not k.speaker:  # the headline's figure, said by the body's speaker
                    kept[n] = (replace(c, also=k.also), words)
                break
        else:
            kept.append((c, words))
    return [k for k, _ in kept]


def _key(span: Span) -> str:
    if span.number is not None or span.qualifier:
        number = "" if span.number is None else f"{span.number:g}"
        return f"{span.qualifier}:{number}"
    return " ".join(tokenize(span.value))
