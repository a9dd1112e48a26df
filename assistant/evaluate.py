"""Measure retrieval on question sets in the ../shared/eval format, with the build code itself.

A run reads corpus records (documents) and questions with gold document ids, builds a
temporary index with ``store.build_index`` (document vectors reused from the embedding
cache), searches every question with each method and scores the rankings (``metrics``).

An evidence run (``seeds_qa``: many outlets on one event) asks instead whether the passage that
answers comes first: a result counts when it comes from one of the question's source files and
holds one of its answer strings (evidence@k), and the answer module must decline the
unanswerable questions. Its distractor run indexes the same files among the Wikipedia passages.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .config import DEFAULTS, Config
from .decode import sha256_text
from .embedding.cache import CachedQueryEmbedder, EmbeddingCache
from .errors import SourceError
from .jsonl import read_user_jsonl
from .metrics import TOP_KS, Scores, contains_answer, dedupe_docs, score_run
from .search import Searcher
from .sources import read_documents
from .store import BuildSettings, build_index, load_index

log = logging.getLogger(__name__)

EVAL_SETS = ("xquad_ar", "tydiqa_goldp_ar")
EVIDENCE_SET = "seeds_qa"  # its corpus is the seed articles beside the eval folder (../shared/seeds)
EVIDENCE_KS = (1, 5)


@dataclass(frozen=True)
class EvalQuery:
    qid: str
    text: str
    answers: tuple[str, ...]
    gold_ids: frozenset[str]


@dataclass(frozen=True)
class MethodResult:
    method: str
    scores: Scores
    ms_per_query: float  # mean search time in one search_many call, query vectors already cached

    def to_dict(self) -> dict:
        return {"method": self.method, **self.scores.to_dict(), "ms_per_query": self.ms_per_query}


@dataclass(frozen=True)
class RunResult:
    name: str
    documents: int
    passages: int
    questions: int
    build_seconds: float
    embedded_texts: int  # passages and sentences embedded afresh (0 when the cache had them all)
    embedded_queries: int
    methods: tuple[MethodResult, ...] = field(default_factory=tuple)
    query_embed_ms: float | None = None  # per fresh question (batched); None when all were cached

    def to_dict(self) -> dict:
        return {"name": self.name, "documents": self.documents, "passages": self.passages,
                "questions": self.questions, "build_seconds": self.build_seconds,
                "embedded_texts": self.embedded_texts, "embedded_queries": self.embedded_queries,
                "query_embed_ms": self.query_embed_ms, "methods": [m.to_dict() for m in self.methods]}


@dataclass(frozen=True)
class EvidenceQuery:
    qid: str
    text: str
    lang: str
    answers: tuple[str, ...]  # empty: the question is unanswerable from the corpus
    sources: frozenset[str]  # file names (paths relative to the corpus folder) that answer it


@dataclass(frozen=True)
class EvidenceResult:
    name: str
    documents: int
    passages: int
    counts: dict[str, tuple[int, dict[int, int]]]  # lang -> (questions, {k: questions with evidence in top k})
    unanswerable: int
    declined: int  # unanswerable questions the answer module declined

    def rate(self, k: int, lang: str | None = None) -> float:
        langs = [lang] if lang else list(self.counts)
        n = sum(self.counts[g][0] for g in langs if g in self.counts)
        return sum(self.counts[g][1][k] for g in langs if g in self.counts) / n if n else 0.0

    def to_dict(self) -> dict:
        return {"name": self.name, "documents": self.documents, "passages": self.passages,
                **{f"evidence@{k}": self.rate(k) for k in EVIDENCE_KS},
                "by_lang": {g: {"questions": n, **{f"evidence@{k}": hits[k] for k in EVIDENCE_KS}}
                            for g, (n, hits) in self.counts.items()},
                "unanswerable": self.unanswerable, "declined": self.declined}


def load_queries(path: Path) -> list[EvalQuery]:
    """Read ``{"id", "text", "answers", "gold_ids"}`` lines; SourceError names a bad line."""
    expected = "a JSON object with id, text and gold_ids"
    queries = []
    for lineno, rec in read_user_jsonl(Path(path), expected):
        try:
            q = EvalQuery(str(rec["id"]), str(rec["text"]), tuple(str(a) for a in rec.get("answers", [])),
                          frozenset(str(g) for g in rec["gold_ids"]))
        except (KeyError, TypeError, AttributeError) as exc:
            raise SourceError(f"{path}:{lineno}: expected {expected}") from exc
        queries.append(q)
    if not queries:
        raise SourceError(f"{path}: no questions")
    return queries


def run_eval(name: str, corpus_paths: list[Path], queries: list[EvalQuery], embedder, config: Config = DEFAULTS,
             *, methods: tuple[str, ...] = ("bm25", "dense", "hybrid"), cache: EmbeddingCache | None = None,
             ks: tuple[int, ...] = TOP_KS) -> RunResult:
    """Build a temporary index of ``corpus_paths`` with ``config``'s settings and score every
    method on ``queries`` (each question's top ``config.candidates`` passages)."""
    docs = read_documents([Path(p) for p in corpus_paths])
    known = {d.doc_id for d in docs}
    missing = sum(1 for q in queries if not q.gold_ids & known)
    if missing:
        log.warning("%s: %d questions have no gold document in the corpus", name, missing)
    cache = cache or EmbeddingCache.for_embedder(embedder)
    cached = CachedQueryEmbedder(embedder, cache)
    before = len(cache.vectors("documents"))
    fresh_queries = len({q.text for q in queries} - _cached_texts(cache, [q.text for q in queries]))
    t0 = time.perf_counter()
    cached.embed_queries([q.text for q in queries])  # one batched call; searches then hit the cache
    embed_ms = round(1000 * (time.perf_counter() - t0) / fresh_queries, 1) if fresh_queries else None
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as tmp:
        t0 = time.perf_counter()
        build_index(docs, cached, Path(tmp), settings=BuildSettings.from_config(config),
                    reuse=cache.vectors("documents"),
                    show_progress=True)
        build_seconds = time.perf_counter() - t0
        index = load_index(Path(tmp))
        embedded = len(cache.vectors("documents")) - before
        cache.save()
        searcher = Searcher(index, cached, config)
        results = tuple(_score_method(searcher, queries, m, config.candidates, ks) for m in methods)
        passages = len(index.passages)
        del index, searcher
    return RunResult(name, len(docs), passages, len(queries), round(build_seconds, 2), embedded,
                     fresh_queries, results, embed_ms)


def _cached_texts(cache: EmbeddingCache, texts: list[str]) -> set[str]:
    known = cache.vectors("queries")
    return {t for t in texts if sha256_text(t) in known}


def _score_method(searcher, queries: list[EvalQuery], method: str, depth: int, ks) -> MethodResult:
    rankings, texts = [], []
    t0 = time.perf_counter()
    results = searcher.search_many([q.text for q in queries], depth, method=method)
    ms_per_query = 1000 * (time.perf_counter() - t0) / max(1, len(queries))
    for hits in results:
        # a reprint folded into a hit ranks with it
        rankings.append(dedupe_docs(d for h in hits for d in (h.passage.doc_id, *(r.source.doc_id for r in h.also_in))))
        texts.append([h.passage.text for h in hits])
    scores = score_run(rankings, [set(q.gold_ids) for q in queries], texts, [q.answers for q in queries], ks)
    return MethodResult(method, scores, round(ms_per_query, 2))


def load_evidence_queries(path: Path) -> list[EvidenceQuery]:
    """Read ``{"id", "text", "lang", "answers", "sources"}`` lines (the seeds_qa format)."""
    expected = "a JSON object with id, text, answers and sources"
    queries = []
    for lineno, rec in read_user_jsonl(Path(path), expected):
        try:
            queries.append(EvidenceQuery(str(rec["id"]), str(rec["text"]), str(rec.get("lang") or "ar"),
                                         tuple(str(a) for a in rec["answers"]),
                                         frozenset(str(f) for f in rec["sources"])))
        except (KeyError, TypeError) as exc:
            raise SourceError(f"{path}:{lineno}: expected {expected}") from exc
    if not queries:
        raise SourceError(f"{path}: no questions")
    return queries


def evidence_rank(searcher, hits, q: EvidenceQuery) -> int | None:
    """1-based rank of the first hit from one of ``q``'s source files whose text holds an answer
    (a reprint in another source file counts, with its own text), or None."""
    docs = searcher.index.documents
    for hit in hits:
        places = [(hit.source.path, hit.passage.text)]
        places += [(r.source.path, docs[r.source.doc_id].text[r.start:r.end]) for r in hit.also_in]
        if any(path in q.sources and contains_answer(text, q.answers) for path, text in places):
            return hit.rank
    return None


def run_evidence(name: str, roots: list[Path], queries: list[EvidenceQuery], embedder, config: Config = DEFAULTS,
                 *, cache: EmbeddingCache | None = None) -> EvidenceResult:
    """Index ``roots`` (temporary), rank every answerable question's passages and ask the answer
    module every unanswerable one."""
    from .answer import answer_question

    docs = read_documents([Path(r) for r in roots])
    cache = cache or EmbeddingCache.for_embedder(embedder)
    cached = CachedQueryEmbedder(embedder, cache)
    cached.embed_queries([q.text for q in queries])
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as tmp:
        build_index(docs, cached, Path(tmp), settings=BuildSettings.from_config(config),
                    reuse=cache.vectors("documents"), show_progress=True)
        cache.save()
        searcher = Searcher(load_index(Path(tmp)), cached, config)
        counts: dict[str, tuple[int, dict[int, int]]] = {}
        declined = 0
        for q in queries:
            if not q.answers:
                declined += not answer_question(searcher, q.text).found
                continue
            rank = evidence_rank(searcher, searcher.search(q.text, max(EVIDENCE_KS)), q)
            n, hits = counts.get(q.lang, (0, {k: 0 for k in EVIDENCE_KS}))
            counts[q.lang] = (n + 1, {k: hits[k] + (rank is not None and rank <= k) for k in EVIDENCE_KS})
        passages = len(searcher.index.passages)
    return EvidenceResult(name, len(docs), passages, counts, sum(not q.answers for q in queries), declined)


def run_evidence_suite(embedder, config: Config = DEFAULTS, *,
                       cache: EmbeddingCache | None = None) -> list[EvidenceResult]:
    """seeds_qa on the seed articles alone, then the same questions with the seeds among the
    pooled Wikipedia passages (real collections are never only one story)."""
    eval_dir = find_eval_dir(config)
    queries_file = eval_dir / EVIDENCE_SET / "queries.jsonl"
    seeds = eval_dir.parent / "seeds"
    if not queries_file.is_file() or not seeds.is_dir():
        raise SourceError(f"no {EVIDENCE_SET} set in {eval_dir} (or no seeds/ beside it)")
    queries = load_evidence_queries(queries_file)
    cache = cache or EmbeddingCache.for_embedder(embedder)
    distractors = [eval_dir / name / "corpus.jsonl" for name in EVAL_SETS]
    return [run_evidence(EVIDENCE_SET, [seeds], queries, embedder, config, cache=cache),
            run_evidence(f"{EVIDENCE_SET} + distractors", [seeds, *distractors], queries, embedder, config,
                         cache=cache)]


def format_evidence_table(results: list[EvidenceResult]) -> str:
    """A markdown table: evidence@1/@5 overall and per language, and the unanswerable declined."""
    langs = sorted({g for r in results for g in r.counts})
    head = ["run", "questions"] + [f"evidence@{k}" for k in EVIDENCE_KS] + [
        f"{g} @{k}" for g in langs for k in EVIDENCE_KS] + ["unanswerable declined"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        n = sum(c[0] for c in r.counts.values())
        cells = [f"{r.name} ({r.documents} docs, {r.passages} passages)", str(n)]
        cells += [f"{r.rate(k):.3f}" for k in EVIDENCE_KS]
        cells += [f"{r.counts[g][1][k]}/{r.counts[g][0]}" if g in r.counts else "–" for g in langs for k in EVIDENCE_KS]
        cells.append(f"{r.declined}/{r.unanswerable}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def find_eval_dir(config: Config | None = None) -> Path:
    """Config.eval_dir ($ASSISTANT_EVAL_DIR), else ../shared/eval beside the repository."""
    config = config or Config.from_env()
    return config.eval_dir or Path(__file__).resolve().parents[2] / "shared" / "eval"


def run_suite(embedder, config: Config = DEFAULTS, *, methods: tuple[str, ...] = ("bm25", "dense", "hybrid"),
              cache: EmbeddingCache | None = None) -> list[RunResult]:
    """Each set on its own index, then the pooled index of all sets (questions of every set)."""
    eval_dir = find_eval_dir(config)
    if not (eval_dir / EVAL_SETS[0]).is_dir():
        raise SourceError(f"no eval sets in {eval_dir}; pass --eval-dir or set ASSISTANT_EVAL_DIR")
    cache = cache or EmbeddingCache.for_embedder(embedder)
    sets = [(name, eval_dir / name / "corpus.jsonl", load_queries(eval_dir / name / "queries.jsonl"))
            for name in EVAL_SETS]
    options = {"methods": methods, "cache": cache}
    runs = [run_eval(name, [corpus], qs, embedder, config, **options) for name, corpus, qs in sets]
    pooled = [q for _, _, qs in sets for q in qs]
    runs.append(run_eval("pooled", [c for _, c, _ in sets], pooled, embedder, config, **options))
    return runs


def format_table(runs: list[RunResult]) -> str:
    """A markdown table: one row per run and method."""
    ks = sorted(runs[0].methods[0].scores.top) if runs and runs[0].methods else list(TOP_KS)
    head = (["run", "method"] + [f"top-{k}" for k in ks] + ["MRR@10", "nDCG@10"]
            + [f"ans@{k}" for k in ks] + ["ms/q"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for run in runs:
        label = f"{run.name} ({run.documents} docs, {run.passages} passages, {run.questions} q)"
        for m in run.methods:
            s = m.scores
            cells = ([label, m.method] + [f"{s.top[k]:.3f}" for k in ks] + [f"{s.mrr:.3f}", f"{s.ndcg:.3f}"]
                     + [f"{s.answer_top[k]:.3f}" for k in ks] + [f"{m.ms_per_query:.1f}"])
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
