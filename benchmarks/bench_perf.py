"""Speed, memory and quality of the embedding options, on the seeds and the pooled eval corpus.

Usage: .venv/bin/python benchmarks/bench_perf.py [--queries 40] [--repeats 3] [--doc-sample 48]

Prints the CPU class, then per corpus: index build passages/s, warm end-to-end query latency p50/p95
(Searcher.search: embed + dense + BM25 + fuse) on the server's path (the OpenVINO runtime where
``auto`` picks it, else PyTorch's compiled query graph) and on eager PyTorch, cold start to first
answer and peak RSS; a 200-question ``search_many`` batch against single questions;
then each embedding option beside its quality (MRR@10 on a fixed sample of pooled questions),
and a plain baseline (sentence-transformers fp32 + util.semantic_search, bm25s defaults)
measured in the same process on the same data, with our figures as ratios to it.
The machine is shared: variants are interleaved round by round and medians reported.
On an AVX-512 machine the whole benchmark then runs again in a child process with the kernels of
PyTorch, oneDNN, MKL and fbgemm restricted to AVX2 (``cpu.AVX2_ENV``), so every figure exists for
both CPU classes (``--no-avx2`` skips it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from perf_common import (
    ROOT,
    VectorTable,
    cached_vectors,
    machine,
    median,
    mrr_at_10,
    peak_rss_mib,
    percentile,
    pooled_corpus,
    seeds_corpus,
    timed,
)

COLD = """
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from assistant.config import Config
from assistant.search import open_searcher
searcher = open_searcher(Config.from_env(index_dir={index!r}))
if {graph!r}:  # the server's start: the compiled query path loaded from the cache first
    searcher.embedder.use_query_graph(build=False).join()
    assert searcher.embedder.graph_status == "ready", searcher.embedder.graph_status
hits = searcher.search({q!r}, 5)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the (large) parent across exec.
hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")]
print(json.dumps({{"s": time.perf_counter() - t0, "hits": len(hits), "rss": int(hwm[0]) / 1024}}))
"""


def cold_start(index_dir: Path, question: str, repeats: int, graph: bool = False) -> tuple[float, float]:
    """Median seconds from a fresh interpreter to the first answer, and its peak RSS (MiB);
    with ``graph``, the compiled query path is loaded (from the cache) before that answer."""
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", COLD.format(root=str(ROOT), index=str(index_dir),
                                                                q=question, graph=graph)],
                             capture_output=True, text=True, check=True)
        runs.append((time.perf_counter() - t0, json.loads(out.stdout.strip().splitlines()[-1])["rss"]))
    return median([r[0] for r in runs]), median([r[1] for r in runs])


def server_first_answer(index_dir: Path, question: str, timeout: float = 600) -> float:
    """Seconds from starting `assistant serve` on ``index_dir`` to its first /api/v1/search answer
    (503 "still loading" until the model is up)."""
    import socket
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "assistant", "serve", "--index", str(index_dir), "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    body = json.dumps({"query": question, "k": 5}).encode()
    try:
        while time.perf_counter() - t0 < timeout and proc.poll() is None:
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/search", data=body,
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=30) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        return float("nan")
    finally:
        proc.terminate()
        proc.wait(30)


def build_and_time(corpus, embedder, tmp: Path, repeats: int, doc_rate: float | None) -> tuple[Path, float]:
    """Build the corpus index; passages/s. With ``doc_rate`` the embedding is not redone: the
    indexing is timed with cached vectors (passages and sentences) and the embedding time of the
    passages added from the measured rate."""
    from assistant.decode import sha256_text
    from assistant.store import build_index

    reuse = {}
    if doc_rate:  # passages and their sentences (embedded at build time too) from the embedding cache
        from assistant.sentences import SentenceIndex

        docs = {d.doc_id: d for d in corpus.docs}
        sentences = [docs[corpus.passages[i].doc_id].text[a:b]
                     for i, a, b in SentenceIndex.spans_of(corpus.passages, docs).tolist()]
        texts = [p.text for p in corpus.passages] + sentences
        vecs = cached_vectors(embedder, "documents", texts)
        reuse = {sha256_text(t): v for t, v in zip(texts, vecs, strict=True)}
    times = []
    for i in range(repeats):
        index_dir = tmp / f"{corpus.name.replace(' ', '-')}-{i}"
        times.append(timed(build_index, corpus.docs, embedder, index_dir, reuse=reuse)[0])
    n = len(corpus.passages)
    seconds = median(times) + (n / doc_rate if doc_rate else 0.0)
    return index_dir, n / seconds


class BeforeEvidence:
    """The query path as it was before evidence-first ranking: no sentence re-ranking, no evidence
    spans (``Config.evidence=0``) and no reprint folding; the same index and embedder."""

    def __init__(self, searcher):
        self.searcher = searcher

    def search(self, query: str, k: int):
        return self.searcher.search(query, k, fold=False)


def query_latency(searchers: dict, questions: list[str], rounds: int = 2) -> dict[str, list[float]]:
    """ms per Searcher.search for each variant, variants interleaved question by question."""
    out = {name: [] for name in searchers}
    for s in searchers.values():
        s.search(questions[0] + " ؟", 5)  # warm-up
    for r in range(rounds):
        for q in questions:
            for name, s in searchers.items():
                # A fresh text per round and variant, so no query cache answers it.
                ms, _ = timed(s.search, q + " " + "؟" * (r + 1), 5)
                out[name].append(ms * 1000)
    return out


def doc_throughput(embedders: dict, baseline_model, texts: list[str], repeats: int):
    """Passages/s embedding ``texts`` per variant (median of interleaved repeats), and each
    variant's mean cosine to the baseline's vectors; "baseline" is the plain
    sentence-transformers call with its defaults (fp32, batch 32)."""
    rates = {name: [] for name in ["baseline", *embedders]}
    vecs = {}
    for _ in range(repeats):
        t, v = timed(baseline_model.encode_document, texts, normalize_embeddings=True)
        rates["baseline"].append(len(texts) / t)
        vecs["baseline"] = np.asarray(v, np.float32)
        for name, emb in embedders.items():
            t, vecs[name] = timed(emb.embed_documents, texts)
            rates[name].append(len(texts) / t)
    cosine = {name: float(np.mean(np.sum(v * vecs["baseline"], axis=1))) for name, v in vecs.items()}
    return {name: median(r) for name, r in rates.items()}, cosine


def quality(index, ref, corpus, doc_vecs: np.ndarray, query_vecs: np.ndarray) -> tuple[float, float]:
    """MRR@10 (hybrid, dense) with these vectors (rows as in ``corpus``) on the pooled index."""
    from assistant.dense import DenseIndex
    from assistant.search import Searcher

    queries = corpus.queries
    row = {p.passage_id: i for i, p in enumerate(corpus.passages)}
    doc_vecs = doc_vecs[[row[p.passage_id] for p in index.passages]]  # the index may order differently
    texts = [q.text for q in queries]
    table = VectorTable(ref, texts, query_vecs)
    swapped = type(index)(index.folder, {**index.manifest, "model": {**index.manifest["model"],
                                                                    "dim": table.dim}},
                          index.documents, index.passages, DenseIndex.build(doc_vecs), index.lexical)
    s = Searcher(swapped, table)
    return (mrr_at_10(lambda q: s.search(q, 10), queries),
            mrr_at_10(lambda q: s.search(q, 10, method="dense"), queries))


def baseline_mrr(model, passages, queries, doc_vecs, query_vecs) -> tuple[float, float]:
    """MRR@10 of util.semantic_search over the fp32 matrix and of bm25s with default settings."""
    import bm25s
    import torch
    from sentence_transformers import util

    from assistant.metrics import reciprocal_rank

    corpus = torch.from_numpy(doc_vecs)
    hits = util.semantic_search(torch.from_numpy(query_vecs), corpus, top_k=30)
    dense = np.mean([reciprocal_rank(_docs(passages, [h["corpus_id"] for h in hs]), set(q.gold_ids))
                     for q, hs in zip(queries, hits, strict=True)])
    bm = bm25s.BM25()
    bm.index(bm25s.tokenize([p.text for p in passages], show_progress=False), show_progress=False)
    ids, _ = bm.retrieve(bm25s.tokenize([q.text for q in queries], show_progress=False), k=30,
                         show_progress=False)
    lex = np.mean([reciprocal_rank(_docs(passages, row.tolist()), set(q.gold_ids))
                   for q, row in zip(queries, ids, strict=True)])
    return float(dense), float(lex)


def _docs(passages, rows) -> list[str]:
    from assistant.metrics import dedupe_docs

    return dedupe_docs(passages[i].doc_id for i in rows)


def baseline_latency(model, doc_vecs, passages, questions) -> dict[str, list[float]]:
    """ms per query: fp32 encode_query + util.semantic_search; bm25s default tokenize + retrieve."""
    import bm25s
    import torch
    from sentence_transformers import util

    corpus = torch.from_numpy(doc_vecs)
    bm = bm25s.BM25()
    bm.index(bm25s.tokenize([p.text for p in passages], show_progress=False), show_progress=False)
    out = {"baseline dense (fp32 + semantic_search)": [], "baseline bm25s": []}
    for q in questions:
        def dense(q=q):
            util.semantic_search(model.encode_query([q], convert_to_tensor=True), corpus, top_k=5)
        out["baseline dense (fp32 + semantic_search)"].append(timed(dense)[0] * 1000)
        tokens = lambda q=q: bm.retrieve(bm25s.tokenize([q], show_progress=False), k=5,  # noqa: E731
                                         show_progress=False)
        out["baseline bm25s"].append(timed(tokens)[0] * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=40, help="timed questions per variant")
    parser.add_argument("--repeats", type=int, default=3, help="repeats for builds, cold starts, throughput")
    parser.add_argument("--doc-sample", type=int, default=48, help="pooled passages timed per embedding run")
    parser.add_argument("--batch", type=int, default=200, help="questions in the search_many batch")
    parser.add_argument("--light", action="store_true",
                        help="the seeds index only, no quality tables (the AVX2 run: quality is kernel-independent)")
    parser.add_argument("--no-avx2", action="store_true",
                        help="skip the second run with the kernels restricted to AVX2 (a child process)")
    args = parser.parse_args()
    import logging
    import os
    from dataclasses import replace

    from assistant.config import DEFAULTS, Config
    from assistant.embedding.cpu import AVX2_ENV, RESTRICTIONS, bf16_supported, cpu_class
    from assistant.embedding.embedder import SentenceTransformerEmbedder, make_embedder
    from assistant.search import Searcher
    from assistant.store import load_index

    logging.basicConfig(level=logging.WARNING)
    load_s, ours = timed(make_embedder, Config.from_env())  # the default: precision and runtime auto
    import torch

    print(f"machine: {machine()}; torch threads {torch.get_num_threads()}, "
          f"OMP_WAIT_POLICY {os.environ.get('OMP_WAIT_POLICY')}", flush=True)
    restricted = {k: os.environ[k] for k in RESTRICTIONS if k in os.environ}
    print(f"CPU class: {cpu_class()}" + (f" (kernels restricted: {restricted})" if restricted else ""), flush=True)
    default = f"ours {ours.precision}" + (" openvino" if ours.runtime == "openvino" else "")
    emb = {default: ours}
    for p in ("fp32", "bf16", "int8") if bf16_supported() else ("fp32", "int8"):
        if f"ours {p}" != default:
            emb[f"ours {p}"] = SentenceTransformerEmbedder(precision=p, query_cache=0)
    if ours.runtime == "openvino" and bf16_supported():  # the other OpenVINO options, beside the default
        from assistant.embedding.embedder import OpenVINOEmbedder

        for p in ("bf16", "int8"):
            if f"ours {p} openvino" != default:
                emb[f"ours {p} openvino"] = OpenVINOEmbedder(precision=p, query_cache=0)
    ours.cache.size = 0  # timing runs must not be answered from the cache
    fp32 = emb["ours fp32"]
    print(f"model load: {load_s:.1f} s; default precision: {ours.precision}, runtime: {ours.runtime}", flush=True)
    # PyTorch's fast path: the same model with its compiled query graph (compiled now if not cached).
    fast = SentenceTransformerEmbedder(query_cache=0)
    graph_s, _ = timed(lambda: fast.use_query_graph(build=True, report=print).join())
    print(f"compiled query path: {fast.graph_status} after {graph_s:.0f} s", flush=True)
    have_graph = fast.graph is not None
    # What the server answers with: the default runtime when it is OpenVINO (with its compiled question
    # shapes, as `serve` builds them), else PyTorch's compiled graph.
    if ours.runtime == "openvino":
        ours.use_query_graph(build=True, report=print).join()
    server_emb = ours if ours.runtime == "openvino" else fast if have_graph else ours
    seeds, pooled = seeds_corpus(), pooled_corpus()
    rng = np.random.default_rng(11)
    sample = [pooled.passages[i].text for i in rng.choice(len(pooled.passages), args.doc_sample, replace=False)]
    rates, cosine = doc_throughput(emb, fp32.model, sample, args.repeats)
    questions = [q.text for q in pooled.queries[:: max(1, len(pooled.queries) // args.queries)]][:args.queries]

    with tempfile.TemporaryDirectory(prefix="bench-perf-") as tmp:
        print("\n| corpus | passages | build passages/s | query p50 ms | query p95 ms | eager query p50 ms "
              "| cold start s | peak RSS MiB |\n|---|---|---|---|---|---|---|---|")
        indexes, evidence_cost = {}, {}
        corpora = ((seeds, None),) if args.light else ((seeds, None), (pooled, rates[default]))
        for corpus, rate in corpora:
            folder, pps = build_and_time(corpus, ours, Path(tmp), args.repeats if rate is None else 1, rate)
            index = load_index(folder.parent / folder.name)
            indexes[corpus.name] = index
            eager = emb.get(f"ours {fast.precision}", ours)  # PyTorch eager, the precision it would pick
            variants = {"eager": Searcher(index, eager), "server": Searcher(index, server_emb),
                        "before": BeforeEvidence(Searcher(index, server_emb, replace(DEFAULTS, evidence=0)))}
            if have_graph and server_emb is not fast:  # PyTorch's compiled graph beside OpenVINO
                variants["graph"] = Searcher(index, fast)
            lat = query_latency(variants, questions[: args.queries // 2], rounds=2)
            ms = lat["server"]
            evidence_cost[corpus.name] = (median(ms), median(lat["before"]))
            cold_s, rss = cold_start(folder, questions[0], args.repeats)
            cold = f"{cold_s:.1f} | {rss:.0f}"
            if have_graph and server_emb is fast:
                cold_g, rss_g = cold_start(folder, questions[0], args.repeats, graph=True)
                cold = f"{cold_s:.1f} (with the compiled path: {cold_g:.1f}) | {rss:.0f} ({rss_g:.0f})"
            print(f"| {corpus.name} | {len(corpus.passages)} | {pps:.1f} | {median(ms):.0f} "
                  f"| {percentile(ms, 0.95):.0f} | {median(lat['eager']):.0f} | {cold} |", flush=True)
            if "graph" in lat:
                print(f"({corpus.name}: PyTorch {fast.precision} with its compiled query graph in the same run: "
                      f"p50 {median(lat['graph']):.0f} ms, p95 {percentile(lat['graph'], 0.95):.0f} ms)", flush=True)
            if corpus is seeds:
                first = median([server_first_answer(folder, questions[0]) for _ in range(args.repeats)])
                print(f"(seeds: `assistant serve` start to its first answer over HTTP: {first:.1f} s)", flush=True)
        if rate:
            print(f"(pooled build: indexing timed in full, embedding at the measured {rate:.2f} passages/s)")
        for name, (now, before) in evidence_cost.items():
            print(f"{name}: server-path query p50 {now:.1f} ms with evidence-first ranking (sentence re-ranking, "
                  f"evidence spans, reprint folding) vs {before:.1f} ms without, in the same run: "
                  f"{now - before:+.1f} ms")

        index = indexes[corpora[-1][0].name]
        batch_per_q, single = batch_vs_single(Searcher(index, server_emb), pooled, args.batch)
        print(f"\nsearch_many on the {corpora[-1][0].name} index, {args.batch} pooled questions in one call: "
              f"{batch_per_q:.1f} ms per question; one question alone (same run, server path): p50 {single:.1f} ms; "
              f"ratio {batch_per_q / single:.2f}", flush=True)
        if args.light:
            return light_end(rates, cosine, args, emb)
        searchers = {name: Searcher(index, e) for name, e in emb.items()}
        if have_graph:
            searchers[f"ours {fast.precision} + compiled query path"] = Searcher(index, fast)
        lat = query_latency(searchers, questions, rounds=1)
        torch_threads = torch.get_num_threads()
        if torch_threads > 1:
            torch.set_num_threads(1)
            lat[f"{default}, 1 thread"] = query_latency(
                {"x": Searcher(index, ours)}, questions, rounds=1)["x"]
            torch.set_num_threads(torch_threads)
        vecs = fp32.embed_queries([questions[0]])
        search_only = [timed(index.dense.search, vecs[0], 50)[0] * 1000 for _ in range(50)]
        embed_only = [timed(ours.embed_queries, [q + " ."])[0] * 1000 for q in questions]
        ours.cache.size = 256
        ours.embed_queries([questions[0]])
        cache_hit = [timed(ours.embed_queries, [questions[0]])[0] * 1000 for _ in range(50)]

        # Quality: the same sample of pooled questions, cached vectors per precision.
        qtexts = [q.text for q in pooled.queries]
        ptexts = [p.text for p in pooled.passages]
        precisions = [p for p in ("fp32", "bf16") if f"ours {p}" in emb]
        docs = {p: cached_vectors(emb[f"ours {p}"], "documents", ptexts) for p in precisions}
        qv = {p: cached_vectors(emb[f"ours {p}"], "queries", qtexts) for p in (*precisions, "int8")}
        combos = {p: (p, p) for p in precisions} | {"int8": (precisions[-1], "int8")}
        for name, e in emb.items():
            if e.runtime != "torch":  # documents and questions in the same runtime and precision
                key = name.replace("ours ", "")
                docs[key] = cached_vectors(e, "documents", ptexts)
                qv[key] = cached_vectors(e, "queries", qtexts)
                combos[key] = (key, key)
        base_lat = baseline_latency(fp32.model, docs["fp32"], pooled.passages, questions)
        base_dense, base_bm25 = baseline_mrr(fp32.model, pooled.passages, pooled.queries, docs["fp32"], qv["fp32"])
        mrr = {name: quality(index, fp32, pooled, docs[d], qv[q]) for name, (d, q) in combos.items()}
        if have_graph:  # one question at a time, as the server embeds them
            graph_qv = np.concatenate([fast.embed_queries([t]) for t in qtexts])
            mrr[f"{fast.precision} + compiled query path"] = quality(index, fp32, pooled,
                                                                     docs[fast.precision], graph_qv)
        for dim in (512, 256, 128):
            mrr[f"{precisions[-1]} dim {dim}"] = quality(index, fp32, pooled, _cut(docs[precisions[-1]], dim),
                                                          _cut(qv[precisions[-1]], dim))

    n_q = len(pooled.queries)
    ref = median(base_lat["baseline dense (fp32 + semantic_search)"])
    print(f"\nQuery side, pooled index ({len(pooled.passages)} passages), {len(questions)} questions; "
          f"MRR@10 on {n_q} pooled questions (documents embedded in bf16 for int8 queries)")
    print("| variant | p50 ms | p95 ms | p50 vs baseline | MRR@10 hybrid | MRR@10 dense |\n|---|---|---|---|---|---|")
    for name, ms in {**lat, **base_lat}.items():
        key = name.replace("ours ", "").split(", ")[0]
        q = mrr.get(key, (base_dense, base_dense) if "dense" in name else (base_bm25, base_bm25)
                    if "bm25s" in name else (float("nan"),) * 2)
        print(f"| {name} | {median(ms):.1f} | {percentile(ms, 0.95):.1f} | {median(ms) / ref:.2f}x "
              f"| {q[0]:.3f} | {q[1]:.3f} |")
    print(f"default ({ours.precision}) parts: query embedding p50 {median(embed_only):.0f} ms, dense search "
          f"p50 {median(search_only):.2f} ms, cached query embedding p50 {median(cache_hit):.3f} ms")
    print(f"\nMatryoshka ({precisions[-1]}, quality only; index memory scales with dim)")
    for dim in (512, 256, 128):
        m = mrr[f"{precisions[-1]} dim {dim}"]
        print(f"  dim {dim}: MRR@10 hybrid {m[0]:.3f}, dense {m[1]:.3f}")
    print(f"\nBuild side: document embedding, {args.doc_sample} pooled passages, median of {args.repeats}")
    print("| variant | passages/s | vs baseline | cosine to baseline | MRR@10 dense, docs+queries in it |"
          "\n|---|---|---|---|---|")
    for name, r in rates.items():
        p = name.replace("ours ", "")
        q = base_dense if p == "baseline" else mrr[p][1] if p in mrr else float("nan")
        print(f"| {'baseline: sentence-transformers fp32 defaults' if name == 'baseline' else name} "
              f"| {r:.2f} | {r / rates['baseline']:.2f}x | {cosine[name]:.4f} | {q:.3f} |")
    print("\nseeds_qa evidence@1 / @5 on the seeds index, per variant (documents and questions in it):")
    for name, e in emb.items():
        if e.runtime != "torch" or e is fp32:
            r = seeds_evidence(e)
            print(f"  {name}: {r.rate(1):.3f} / {r.rate(5):.3f}", flush=True)
    print(f"\npeak RSS of this benchmark process ({len(emb) + 1} models loaded): {peak_rss_mib():.0f} MiB", flush=True)
    if not args.no_avx2 and not restricted and cpu_class().startswith("avx512"):
        print("\n=== the same benchmark with the kernels restricted to AVX2 (an AVX2 machine), in a child process ===",
              flush=True)
        env = {**os.environ, **AVX2_ENV}
        subprocess.run([sys.executable, __file__, "--no-avx2", "--light", *sys.argv[1:]], env=env, check=False)


def light_end(rates, cosine, args, emb: dict) -> None:
    """The rest of a ``--light`` run: document embedding against the baseline, seeds_qa evidence
    per variant (int8's depends on the kernels: fbgemm rounds differently on AVX2)."""
    print(f"\nBuild side: document embedding, {args.doc_sample} pooled passages, median of {args.repeats}")
    print("| variant | passages/s | vs baseline | cosine to baseline |\n|---|---|---|---|")
    for name, r in rates.items():
        label = "baseline: sentence-transformers fp32 defaults" if name == "baseline" else name
        print(f"| {label} | {r:.2f} | {r / rates['baseline']:.2f}x | {cosine[name]:.4f} |")
    print("\nseeds_qa evidence@1 / @5 on the seeds index (documents and questions in each variant):")
    for name, e in emb.items():
        if e.runtime == "torch" and name != "ours fp32" and "openvino" in next(iter(emb)):
            continue  # where OpenVINO is the default, its options and the fp32 reference are what matter
        r = seeds_evidence(e)
        print(f"  {name}: {r.rate(1):.3f} / {r.rate(5):.3f}", flush=True)
    print(f"\npeak RSS of this benchmark process: {peak_rss_mib():.0f} MiB", flush=True)


def seeds_evidence(embedder):
    """seeds_qa on the seed articles (``assistant eval-suite``'s first evidence run) with this embedder."""
    from assistant.evaluate import EVIDENCE_SET, find_eval_dir, load_evidence_queries, run_evidence

    queries = load_evidence_queries(find_eval_dir() / EVIDENCE_SET / "queries.jsonl")
    return run_evidence(EVIDENCE_SET, [ROOT / "seeds"], queries, embedder)


def batch_vs_single(searcher, corpus, n: int) -> tuple[float, float]:
    """ms per question of one ``search_many`` call on ``n`` pooled questions, and the median of
    the same questions searched one at a time (fresh texts each way: no query cache answers)."""
    texts = [q.text for q in corpus.queries][:n]
    batch_s, _ = timed(searcher.search_many, [t + " ." for t in texts], 5)
    alone = [timed(searcher.search, t + " ؛", 5)[0] * 1000 for t in texts[: max(20, n // 5)]]
    return batch_s * 1000 / len(texts), median(alone)


def _cut(vecs: np.ndarray, dim: int) -> np.ndarray:
    from assistant.embedding.embedder import unit_rows

    return unit_rows(vecs, dim)


if __name__ == "__main__":
    main()
