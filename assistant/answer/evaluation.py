"""Score the answer module on the seeds_qa development set: answers and declines on
``queries.jsonl``, who-says-what on ``conflicts.jsonl``.

- answered: an answerable question gets an answer whose sentences hold one of its ``answers``
  (Arabic-normalised); declined: an unanswerable one gets "not found".
- conflicts: the right ``agreement``; per source file, one of its ``per_source`` figures among the
  claims (a claim reprinted by another file counts for that file too); a claim is *right* when its
  value is one of its file's figures (number equal, or text contained either way), and its speaker
  is right when it shares a name (or an initialism: قدم ↔ قوات الدفاع المدني) with the file's
  ``speaker`` note for that figure.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SourceError
from ..jsonl import read_user_jsonl
from ..normalize import normalize_arabic, tokenize
from .claims import find_figures
from .compose import Answer, Claim, answer_question
from .lexicon import fold, initialism, tokens

CONFLICTS = "conflicts.jsonl"


@dataclass(frozen=True)
class ConflictQuery:
    qid: str
    text: str
    per_source: dict[str, tuple[str, ...]]  # file name -> figures or facts as written there
    speaker: dict[str, str]  # file name -> who makes those claims there (a free-text note)
    agreement: str


@dataclass
class AnswerEvalResult:
    answerable: int = 0
    answered: int = 0  # answerable questions whose answer holds one of their answers
    unanswerable: int = 0
    declined: int = 0
    conflicts: int = 0
    agreement_right: int = 0
    files: int = 0
    files_found: int = 0  # files with one of their per_source figures among the claims
    claims: int = 0
    claims_right: int = 0  # claims whose value is one of their file's figures
    speakers_right: int = 0  # of those, with the right speaker
    misses: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        def share(a: int, b: int) -> str:
            return f"{a}/{b} ({a / b:.0%})" if b else "0/0"
        return [f"answerable answered with one of their answers: {share(self.answered, self.answerable)}",
                f"unanswerable declined: {share(self.declined, self.unanswerable)}",
                f"conflicts: right agreement {share(self.agreement_right, self.conflicts)}; "
                f"files with one of their figures {share(self.files_found, self.files)}; "
                f"claims right {share(self.claims_right, self.claims)}; "
                f"right speaker {share(self.speakers_right, self.claims_right)}"]

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def load_conflicts(path: Path) -> list[ConflictQuery]:
    expected = "a JSON object with id, text, per_source, speaker and agreement"
    out = []
    for lineno, rec in read_user_jsonl(Path(path), expected):
        try:
            out.append(ConflictQuery(str(rec["id"]), str(rec["text"]),
                                     {str(k): tuple(map(str, v)) for k, v in rec["per_source"].items()},
                                     {str(k): str(v) for k, v in rec.get("speaker", {}).items()},
                                     str(rec["agreement"])))
        except (KeyError, TypeError, AttributeError) as exc:
            raise SourceError(f"{path}:{lineno}: expected {expected}") from exc
    return out


def _numbers(text: str) -> set[float]:
    f = fold(text)
    return {x.number for x in find_figures(f, tokens(f)) if x.number is not None}


def _norm(text: str) -> str:
    return " ".join(tokenize(normalize_arabic(text)))


def value_matches(claim: Claim, written: str) -> bool:
    """The claim states this figure or fact: the same number, or the text contained either way."""
    nums = _numbers(written)
    if claim.number is not None and nums:
        return claim.number in nums
    a, b = _norm(claim.value), _norm(written)
    return bool(a and b) and (a in b or b in a)


def _words(text: str) -> set[str]:
    return {w for w in tokenize(normalize_arabic(text)) if len(w) >= 3}


def speaker_matches(speaker: str, note: str) -> bool:
    """The claim's speaker shares a name word, or an initialism, with the note's "who" part."""
    if not speaker:
        return False
    who = " ".join(re.split(r":", part)[0] for part in re.split(r"[؛;]", note))
    words, said = _words(who), _words(speaker)
    stems = {w[2:] if w.startswith("ال") else w for w in words}
    if any((w[2:] if w.startswith("ال") else w) in stems for w in said):
        return True
    initials = {initialism(m.group()) for m in re.finditer(r"[^()،,:]+", who)}
    return any(w in initials for w in said)


def _note_for(note: str, claim: Claim) -> str:
    """The part of a file's speaker note about this claim's figure (the whole note when none is)."""
    parts = [p for p in re.split(r"[؛;]", note) if p.strip()]
    hit = [p for p in parts if claim.number is not None and claim.number in _numbers(p)]
    return "؛".join(hit) if hit else note


def _files(claim: Claim) -> list[str]:
    return [claim.source.path or claim.doc_id, *(r.source.path or r.source.doc_id for r in claim.also)]


def score_conflict(answer: Answer, q: ConflictQuery, result: AnswerEvalResult) -> None:
    result.conflicts += 1
    if answer.agreement == q.agreement:
        result.agreement_right += 1
    else:
        result.misses.append(f"{q.qid}: agreement {answer.agreement}, expected {q.agreement}")
    for name, figures in q.per_source.items():
        result.files += 1
        if any(name in _files(c) and value_matches(c, f) for c in answer.claims for f in figures):
            result.files_found += 1
        else:
            result.misses.append(f"{q.qid}: {name} none of {list(figures)} in "
                                 f"{[(c.value, _files(c)) for c in answer.claims]}")
    for c in answer.claims:
        result.claims += 1
        own = [name for name in _files(c) if any(value_matches(c, f) for f in q.per_source.get(name, ()))]
        if not own:
            result.misses.append(f"{q.qid}: extra claim {c.value!r} in {_files(c)[0]}")
            continue
        result.claims_right += 1
        if any(speaker_matches(c.speaker, _note_for(q.speaker.get(name, ""), c)) for name in own):
            result.speakers_right += 1
        else:
            result.misses.append(f"{q.qid}: speaker {c.speaker!r} for {c.value!r} in {own[0]}")


def score_question(answer: Answer, answers: tuple[str, ...], result: AnswerEvalResult, qid: str = "") -> None:
    if not answers:
        result.unanswerable += 1
        result.declined += not answer.found
        if answer.found:
            result.misses.append(f"{qid}: answered an unanswerable question")
        return
    result.answerable += 1
    text = _norm(" ".join(s.text for s in answer.sentences))
    if any(_norm(a) and _norm(a) in text for a in answers):
        result.answered += 1
    else:
        result.misses.append(f"{qid}: no answer among {len(answer.sentences)} sentences")


def evaluate_answers(searcher, queries, conflicts: list[ConflictQuery]) -> AnswerEvalResult:
    """``queries``: ``evaluate.EvidenceQuery`` records (answers empty = unanswerable)."""
    result = AnswerEvalResult()
    for q in queries:
        score_question(answer_question(searcher, q.text), q.answers, result, q.qid)
    for q in conflicts:
        score_conflict(answer_question(searcher, q.text), q, result)
    return result


def run_answer_eval(embedder, config, *, cache=None) -> AnswerEvalResult:
    """seeds_qa's questions and conflicts asked of a temporary index of the seed articles."""
    from ..embedding.cache import CachedQueryEmbedder, EmbeddingCache
    from ..evaluate import EVIDENCE_SET, find_eval_dir, load_evidence_queries
    from ..search import Searcher
    from ..sources import read_documents
    from ..store import BuildSettings, build_index, load_index

    folder = find_eval_dir(config) / EVIDENCE_SET
    seeds = folder.parent.parent / "seeds"
    if not (folder / CONFLICTS).is_file() or not seeds.is_dir():
        raise SourceError(f"no {EVIDENCE_SET}/{CONFLICTS} in {folder.parent} (or no seeds/ beside it)")
    queries = load_evidence_queries(folder / "queries.jsonl")
    conflicts = load_conflicts(folder / CONFLICTS)
    cache = cache or EmbeddingCache.for_embedder(embedder)
    cached = CachedQueryEmbedder(embedder, cache)
    with tempfile.TemporaryDirectory(prefix="assistant-answer-eval-") as tmp:
        build_index(read_documents([seeds]), cached, Path(tmp), settings=BuildSettings.from_config(config),
                    reuse=cache.vectors("documents"), show_progress=False)
        cache.save()
        return evaluate_answers(Searcher(load_index(Path(tmp)), cached, config), queries, conflicts)
