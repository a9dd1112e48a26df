"""The tuning study behind the default ranker: every number in README "Retrieval quality".

Runs offline on ../shared/eval with vectors from the embedding cache (run `make eval` once
first, or this script embeds what is missing). Score matrices (questions x passages) are
computed once per run, so each fusion variant costs milliseconds.

    .venv/bin/python benchmarks/retrieval_study.py            # fusion, cross-check, rerank, ablation
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.chunk import chunk_document  # noqa: E402
from assistant.embedding.cache import CachedQueryEmbedder, EmbeddingCache  # noqa: E402
from assistant.evaluate import EVAL_SETS, find_eval_dir, load_queries  # noqa: E402
from assistant.lexical import LexicalIndex  # noqa: E402
from assistant.metrics import dedupe_docs, score_run  # noqa: E402
from assistant.normalize import STOPWORDS, stem_tokens  # noqa: E402
from assistant.search import MATCH_WEIGHT  # noqa: E402
from assistant.sources import read_documents  # noqa: E402

DEPTH = 50
RUNS = {"xquad_ar": EVAL_SETS[:1], "tydiqa_goldp_ar": EVAL_SETS[1:], "pooled": EVAL_SETS}
_RAW_TOKEN = re.compile(r"[^\W_]+")


class RawLexicalIndex(LexicalIndex):
    """The ablation without Arabic normalisation: tokens are split and case-folded only."""

    @staticmethod
    def raw_terms(text: str, stem: bool, stopwords: bool) -> list[str]:
        tokens = _RAW_TOKEN.findall(text.casefold())
        if stopwords:
            tokens = [t for t in tokens if t not in STOPWORDS]
        return stem_tokens(tokens) if stem else tokens

    @classmethod
    def build(cls, texts, *, stem=True, stopwords=True):
        import bm25s

        from assistant.lexical import BM25_PARAMS

        retriever = bm25s.BM25(**BM25_PARAMS)
        retriever.index([cls.raw_terms(t, stem, stopwords) for t in texts], show_progress=False)
        return cls(retriever, stem=stem, stopwords=stopwords)

    def query_terms(self, query: str) -> list[str]:
        return self.raw_terms(query, self.stem, self.stopwords)


class Run:
    """One eval run: passages as `build` cuts them, dense cosines, and lexical matrices on demand."""

    def __init__(self, name: str, eval_dir: Path, embedder, cache: EmbeddingCache):
        sets = RUNS[name]
        self.name = name
        docs = read_documents([eval_dir / s / "corpus.jsonl" for s in sets])
        self.queries = [q for s in sets for q in load_queries(eval_dir / s / "queries.jsonl")]
        self.passages = [p for d in docs for p in chunk_document(d, 700, 0)]
        self.doc_of = np.array([p.doc_id for p in self.passages])
        self.titles = {d.doc_id: d.source.title.replace("_", " ") for d in docs}
        cached = CachedQueryEmbedder(embedder, cache)
        pv = cached.embed_documents([p.text for p in self.passages], show_progress=True)
        qv = cached.embed_queries([q.text for q in self.queries])
        cache.save()
        self.cos = qv @ pv.T
        self._lexical: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def lexical(self, stem=True, stopwords=True, normalise=True, title=False) -> tuple:
        """(BM25 scores, match shares: questions x passages; vocabulary coverage: questions x 1).

        ``title`` puts the document title before each passage's text, for the lexical side only.
        """
        key = (stem, stopwords, normalise, title)
        if key not in self._lexical:
            cls = LexicalIndex if normalise else RawLexicalIndex
            texts = [f"{self.titles[p.doc_id]}\n{p.text}" if title else p.text for p in self.passages]
            lex = cls.build(texts, stem=stem, stopwords=stopwords)
            bm25 = np.stack([lex.scores(q.text) for q in self.queries])
            match = np.stack([lex.match_share(q.text) for q in self.queries])
            coverage = np.array([[lex.coverage(q.text)] for q in self.queries])
            self._lexical[key] = (bm25, match, coverage)
        return self._lexical[key]

    def evaluate(self, fused: np.ndarray, candidates: np.ndarray, rows=None, depth: int = DEPTH):
        """Metrics of ranking each question's candidates by ``fused`` (higher first)."""
        rankings, texts = [], []
        rows = range(len(self.queries)) if rows is None else rows
        for i in rows:
            ids = np.flatnonzero(candidates[i])
            ids = ids[np.argsort(-fused[i, ids], kind="stable")][:depth]
            rankings.append(dedupe_docs(self.doc_of[ids]))
            texts.append([self.passages[j].text for j in ids])
        qs = [self.queries[i] for i in rows]
        return score_run(rankings, [set(q.gold_ids) for q in qs], texts, [q.answers for q in qs])


def chunking_table(eval_dir: Path) -> None:
    """BM25 alone under other chunk sizes (the dense side would need re-embedding every passage)."""
    print("\n## Chunk size / overlap, BM25 alone (MRR@10; passages in brackets)")
    for max_chars, overlap in ((400, 0), (700, 0), (700, 1), (1000, 0), (1500, 0)):
        cells = []
        for name, sets in RUNS.items():
            docs = read_documents([eval_dir / s / "corpus.jsonl" for s in sets])
            queries = [q for s in sets for q in load_queries(eval_dir / s / "queries.jsonl")]
            passages = [p for d in docs for p in chunk_document(d, max_chars, overlap)]
            lex = LexicalIndex.build([p.text for p in passages])
            rankings = []
            for q in queries:
                scores = lex.scores(q.text)
                ids = [i for i in np.argsort(-scores, kind="stable")[:DEPTH] if scores[i] > 0]
                rankings.append(dedupe_docs(passages[i].doc_id for i in ids))
            s = score_run(rankings, [set(q.gold_ids) for q in queries], [[] for _ in queries],
                          [q.answers for q in queries])
            cells.append(f"{name} {s.mrr:.3f} ({len(passages)})")
        print(f"max_chars={max_chars} overlap={overlap}: " + ", ".join(cells))


def top_mask(scores: np.ndarray, depth: int) -> np.ndarray:
    depth = min(depth, scores.shape[1])
    idx = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
    mask = np.zeros(scores.shape, bool)
    np.put_along_axis(mask, idx, True, axis=1)
    return mask


DEFAULT = f"cos + {MATCH_WEIGHT}*match (default)"


def variants(run: Run, weight: float = MATCH_WEIGHT, depth: int = DEPTH, **lexical_options) -> dict:
    """(fused scores, candidate mask) of each ranker; ``depth`` candidates from each retriever."""
    bm25, match, coverage = run.lexical(**lexical_options)
    dense_mask = top_mask(run.cos, depth)
    lex_mask = top_mask(bm25, depth) & (bm25 > 0)
    union = dense_mask | lex_mask
    floor = np.where(dense_mask, run.cos, np.inf).min(1, keepdims=True)
    cos = np.where(dense_mask, run.cos, floor)  # outside the dense list: its lowest cosine
    out = {"bm25": (bm25, lex_mask), "dense": (run.cos, dense_mask)}
    d_rank = _ranks(run.cos, dense_mask)
    b_rank = _ranks(bm25, lex_mask)
    out["rrf (k=60, bm25 weight = coverage)"] = (1 / (60 + d_rank) + coverage / (60 + b_rank), union)
    bmax = np.maximum(bm25.max(1, keepdims=True), 1e-9)
    out[f"cos + {weight}*bm25/max"] = (cos + weight * bm25 * lex_mask / bmax, union)
    out[f"cos + {weight}*match (default)"] = (cos + weight * match, union)
    return out


def sentence_match(run: Run, fused: np.ndarray, mask: np.ndarray, top: int = 10) -> np.ndarray:
    """Rerank feature: for each question's ``top`` fused candidates, the best idf-weighted share
    of the question's terms found inside ONE sentence of the passage (a proximity signal)."""
    from assistant.chunk import split_sentences
    from assistant.normalize import analyze

    n = len(run.passages)
    lex = LexicalIndex.build([p.text for p in run.passages])
    vocab, csc = lex.retriever.vocab_dict, lex.retriever.scores
    sent_terms: dict[int, list[set[str]]] = {}
    out = np.zeros(fused.shape, np.float32)
    for i, q in enumerate(run.queries):
        terms = list(dict.fromkeys(lex.query_terms(q.text)))
        idf = {}
        for t in terms:
            tid = vocab.get(t)
            df = 0 if tid is None else int(csc["indptr"][tid + 1] - csc["indptr"][tid])
            idf[t] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        total = sum(idf.values())
        if not total:
            continue
        ids = np.flatnonzero(mask[i])
        for j in ids[np.argsort(-fused[i, ids], kind="stable")][:top]:
            if j not in sent_terms:
                text = run.passages[j].text
                sent_terms[j] = [set(analyze(text[a:b])) for a, b in split_sentences(text, 0, len(text))]
            out[i, j] = max((sum(idf[t] for t in terms if t in s) for s in sent_terms[j]), default=0) / total
    return out


def window_rerank(run: Run, fused, mask, embedder, cache, sample: int, top: int = 5, seed: int = 0):
    """Dense rerank on a random sample of questions: each of the ``top`` candidates' cosine is
    replaced by the best of (passage, two-sentence windows) — windows embedded as documents."""
    from assistant.chunk import split_sentences

    rows = sorted(np.random.default_rng(seed).choice(len(run.queries), sample, replace=False).tolist())
    cached = CachedQueryEmbedder(embedder, cache)
    qv = cached.embed_queries([run.queries[i].text for i in rows])
    out = fused.copy()
    windows: dict[int, np.ndarray] = {}
    for r, i in enumerate(rows):
        ids = np.flatnonzero(mask[i])
        for j in ids[np.argsort(-fused[i, ids], kind="stable")][:top]:
            if j not in windows:
                text = run.passages[j].text
                sents = split_sentences(text, 0, len(text))
                texts = [text[a:b] for (a, _), (_, b) in zip(sents, sents[1:], strict=False)] or [text]
                windows[j] = cached.embed_documents(texts)
            out[i, j] += max(0.0, float((windows[j] @ qv[r]).max()) - run.cos[i, j])
    cache.save()
    return rows, out


def _ranks(scores, mask):
    order = np.argsort(-np.where(mask, scores, -np.inf), axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, scores.shape[1] + 1)[None, :], axis=1)
    return np.where(mask, ranks, np.inf)


def row(label: str, s) -> str:
    return (f"| {label} | {s.top[1]:.3f} | {s.top[5]:.3f} | {s.top[20]:.3f} | {s.mrr:.3f} | {s.ndcg:.3f} "
            f"| {s.answer_top[1]:.3f} |")


HEAD = "| run / ranker | top-1 | top-5 | top-20 | MRR@10 | nDCG@10 | ans@1 |\n|---|---|---|---|---|---|---|"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval-dir", type=Path, default=find_eval_dir())
    ap.add_argument("--window-sample", type=int, default=0,
                    help="also try the dense sentence-window rerank on this many pooled questions (slow)")
    ap.add_argument("--chunks", action="store_true", help="only the BM25 chunk-size table (no model)")
    ap.add_argument("--window-seed", type=int, default=0, help="random seed of that sample")
    args = ap.parse_args()
    if args.chunks:
        return chunking_table(args.eval_dir)
    from assistant.embedding.embedder import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    cache = EmbeddingCache.for_embedder(embedder)
    runs = {name: Run(name, args.eval_dir, embedder, cache) for name in RUNS}

    print("## Rankers (default analysis: normalise + stem + stopwords)\n" + HEAD)
    for run in runs.values():
        for label, (fused, mask) in variants(run).items():
            print(row(f"{run.name} · {label}", run.evaluate(fused, mask)))

    print("\n## Weight grid and cross-check (MRR@10; margin = fused - best single method)")
    grid = [round(x, 2) for x in np.arange(0.05, 0.55, 0.05)]
    table = {}
    for run in runs.values():
        best = max(run.evaluate(*variants(run)[m]).mrr for m in ("bm25", "dense"))
        table[run.name] = {w: run.evaluate(*variants(run, w)[f"cos + {w}*match (default)"]).mrr - best
                           for w in grid}
    print("| w | " + " | ".join(runs) + " |\n|---|" + "---|" * len(runs))
    for w in grid:
        print(f"| {w} | " + " | ".join(f"{table[n][w]:+.3f}" for n in runs) + " |")
    dev = list(RUNS)[:2]
    for tune, test in (dev, dev[::-1]):
        w = max(grid, key=lambda x, t=tune: table[t][x])
        print(f"tuned on {tune}: w={w} ({table[tune][w]:+.3f}); on {test}: {table[test][w]:+.3f}")
    # Minimax regret: the weight that is never far from the best weight of either set.
    regret = {x: max(max(table[n].values()) - table[n][x] for n in dev) for x in grid}
    w = min(grid, key=lambda x: (round(regret[x], 3), x))  # ties: the smaller, closer to dense
    print(f"minimax regret over both sets: w={w} (at most {regret[w]:.3f} below either set's best w)")

    print("\n## Candidate depth per retriever (default ranker, MRR@10)")
    for run in runs.values():
        print(run.name + ": " + ", ".join(
            f"{d}: {run.evaluate(*variants(run, depth=d)[DEFAULT], depth=d).mrr:.3f}" for d in (20, 50, 100)))
    pooled = runs["pooled"]

    print("\n## Rerank of the top 10 by sentence-level match (fused + r * best sentence share)\n" + HEAD)
    for run in runs.values():
        fused, mask = variants(run)[DEFAULT]
        feature = sentence_match(run, fused, mask)
        for r in (0.0, 0.05, 0.1, 0.2):
            print(row(f"{run.name} · r={r}", run.evaluate(fused + r * feature, mask)))

    if args.window_sample:
        fused, mask = variants(pooled)[DEFAULT]
        rows, reranked = window_rerank(pooled, fused, mask, embedder, cache, args.window_sample,
                                      seed=args.window_seed)
        print(f"\n## Dense sentence-window rerank, top 5, sample of {len(rows)} pooled questions\n" + HEAD)
        print(row("default ranker", pooled.evaluate(fused, mask, rows=rows)))
        print(row("+ best two-sentence window cosine", pooled.evaluate(reranked, mask, rows=rows)))
        first = len(runs["xquad_ar"].queries)  # pooled questions: xquad_ar's, then tydiqa_goldp_ar's
        for label, part in (("xquad_ar", [i for i in rows if i < first]),
                            ("tydiqa_goldp_ar", [i for i in rows if i >= first])):
            print(row(f"{label} part, default", pooled.evaluate(fused, mask, rows=part)))
            print(row(f"{label} part, + windows", pooled.evaluate(reranked, mask, rows=part)))

    latin = [i for i, q in enumerate(pooled.queries) if re.search("[A-Za-z]{3,}", q.text)]
    print(f"\n## Questions with Latin-script words (pooled, n={len(latin)})\n" + HEAD)
    for label in ("dense", DEFAULT):
        print(row(label, pooled.evaluate(*variants(pooled)[label], rows=latin)))

    print("\n## Ablation on the pooled run\n" + HEAD)
    label = DEFAULT
    for name, opts in (("full system", {}), ("no Arabic normalisation", {"normalise": False}),
                       ("no stemming", {"stem": False}), ("no stopwords", {"stopwords": False})):
        print(row(f"{name} · fused", pooled.evaluate(*variants(pooled, **opts)[label])))
        print(row(f"{name} · bm25 alone", pooled.evaluate(*variants(pooled, **opts)["bm25"])))
    print(row("no fusion (dense alone)", pooled.evaluate(*variants(pooled)["dense"])))
    for run in runs.values():  # not adopted: needs store.build_index to index titles
        print(row(f"{run.name} · titles in lexical text · fused", run.evaluate(*variants(run, title=True)[label])))
        print(row(f"{run.name} · titles in lexical text · bm25", run.evaluate(*variants(run, title=True)["bm25"])))
    print(row("RRF instead of score fusion", pooled.evaluate(*variants(pooled)["rrf (k=60, bm25 weight = coverage)"])))


if __name__ == "__main__":
    main()
