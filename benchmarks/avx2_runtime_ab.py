"""On an AVX2 machine: PyTorch fp32 (the compiled query graph on the server path) against OpenVINO
fp32 (with the compiled question shapes), interleaved in one process, on one index.

Usage: .venv/bin/python benchmarks/avx2_runtime_ab.py --index DIR [--queries 40] [--rounds 2]
       [--doc-sample 48] [--repeats 3] [--quality] [--native]

``--native``: the same comparison on this machine's own kernels, no restriction: on an AVX-512 CPU,
fp32 is what a CPU with AVX-512 but no bf16 runs (fp32 arithmetic uses no bf16 instruction).

On an AVX-512 machine the benchmark runs itself again in a child process with the kernels
restricted to AVX2 (``cpu.AVX2_ENV``); OpenVINO's matrix products follow ``ONEDNN_MAX_CPU_ISA``
(its FullyConnected layers run ``brgemm_avx2_f32``), a few of its own kernels (RMS norm, reduce)
do not: the share of the question's time they take is printed, from OpenVINO's own counters.

Prints: the server-path question (``Searcher.search``: embed + dense + BM25 + fusion + evidence)
p50/p95 per runtime; document embedding passages/s of each beside the plain sentence-transformers
fp32 baseline (its defaults), cosine to it; with ``--quality``, seeds_qa evidence@1/@5 with
documents and questions embedded in each runtime.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
from bench_perf import doc_throughput, query_latency, seeds_evidence
from perf_common import machine, median, peak_rss_mib, percentile, pooled_corpus


def kernel_share(xml: Path, dim: int, tokens: int = 32, runs: int = 20) -> tuple[float, collections.Counter]:
    """Share of one question's OpenVINO time (fp32, ``tokens`` long) in kernels named avx512, and
    the time per kernel family (ms per question), from OpenVINO's performance counters."""
    import openvino as ov

    core = ov.Core()
    model = core.read_model(str(xml))
    model.reshape({model.inputs[0]: [1, tokens, model.inputs[0].get_partial_shape()[2]],
                   model.inputs[1]: [1, tokens]})
    compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32", "PERF_COUNT": True,
                                                 "PERFORMANCE_HINT": "LATENCY"})
    request = compiled.create_infer_request()
    embeds = np.random.default_rng(0).standard_normal((1, tokens, dim)).astype(np.float32)
    mask = np.ones((1, tokens), np.int64)
    per_kernel: collections.Counter = collections.Counter()
    for i in range(runs + 2):
        request.infer({0: embeds, 1: mask})
        if i >= 2:
            for info in request.get_profiling_info():
                per_kernel[f"{info.node_type}:{info.exec_type}"] += info.real_time.total_seconds() * 1000 / runs
    total = sum(per_kernel.values())
    avx512 = sum(ms for name, ms in per_kernel.items() if "avx512" in name)
    return avx512 / total, per_kernel


def gemm_gflops(repeats: int = 20) -> float:
    """What a plain fp32 matrix product reaches on these kernels (PyTorch, 2 threads): the median
    GFLOP/s of a (512 x 768) @ (768 x 3072) product, the shape of the model's widest layers."""
    import time

    import torch

    a, b = torch.randn(512, 768), torch.randn(768, 3072)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * 512 * 768 * 3072 / median(times) / 1e9


def ceiling(ov_emb, texts: list[str], rates: dict[str, float]) -> None:
    """How far document embedding can go in fp32 here: each runtime's achieved GFLOP/s on the
    model's matrix products, against a plain large fp32 product on the same kernels."""
    import openvino
    from batch_flops import linear_weights

    macs = linear_weights(openvino.Core().read_model(str(ov_emb.ov.shapes.path)))
    prompt = ov_emb.ov.prompts.get("document", "")
    tokens = sum(sum(e.attention_mask) for e in ov_emb.ov.tokenizer.encode_batch([prompt + t for t in texts]))
    flops_per_passage = 2 * macs * tokens / len(texts)
    peak = gemm_gflops()
    print(f"\nfp32 ceiling: {macs / 1e6:.0f} M multiply-adds per token in the linear layers, {tokens / len(texts):.0f} "
          f"tokens per passage (with the prompt): {flops_per_passage / 1e9:.1f} GFLOP per passage")
    print(f"a plain fp32 product (512x768 @ 768x3072) on these kernels: {peak:.0f} GFLOP/s")
    for name, rate in rates.items():
        print(f"  {name}: {rate * flops_per_passage / 1e9:.0f} GFLOP/s in the linear layers "
              f"({100 * rate * flops_per_passage / 1e9 / peak:.0f}% of that product)")
    print(f"at that product's speed for every layer, documents would embed at {peak * 1e9 / flops_per_passage:.2f} "
          f"passages/s: {peak * 1e9 / flops_per_passage / rates['baseline']:.2f}x the baseline", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--doc-sample", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quality", action="store_true", help="seeds_qa evidence in each runtime too")
    parser.add_argument("--native", action="store_true", help="this machine's kernels, not restricted to AVX2")
    args = parser.parse_args()
    from assistant.embedding.cpu import AVX2_ENV, RESTRICTIONS, cpu_class

    restricted = {k: os.environ[k] for k in RESTRICTIONS if k in os.environ}
    if not restricted and not args.native and cpu_class().startswith("avx512"):
        print("AVX-512 machine: running again with the kernels restricted to AVX2, in a child process", flush=True)
        sys.exit(subprocess.run([sys.executable, __file__, *sys.argv[1:]], env={**os.environ, **AVX2_ENV}).returncode)

    from assistant.embedding.embedder import OpenVINOEmbedder, SentenceTransformerEmbedder
    from assistant.search import Searcher
    from assistant.store import load_index

    print(f"machine: {machine()}", flush=True)
    print(f"CPU class: {cpu_class()}" + (f" (kernels restricted: {restricted})" if restricted else ""), flush=True)
    torch_emb = SentenceTransformerEmbedder(precision="fp32", query_cache=0)
    torch_emb.use_query_graph(build=True, report=print).join()
    ov_emb = OpenVINOEmbedder(precision="fp32", query_cache=0)
    ov_emb.use_query_graph(build=True, report=print).join()
    index = load_index(args.index)
    names = {"PyTorch fp32 + compiled query graph": torch_emb,
             "OpenVINO fp32 + question shapes": ov_emb}
    questions = [q.text for q in pooled_corpus().queries]
    random.Random(5).shuffle(questions)
    lat = query_latency({n: Searcher(index, e) for n, e in names.items()}, questions[:args.queries], args.rounds)
    print(f"\nserver-path question, end to end, {args.queries} pooled questions x {args.rounds} rounds, "
          f"interleaved, on {args.index}")
    print("| runtime | p50 ms | p95 ms |\n|---|---|---|")
    for name, ms in lat.items():
        print(f"| {name} | {median(ms):.1f} | {percentile(ms, 0.95):.1f} |", flush=True)

    passages = pooled_corpus().passages
    rng = np.random.default_rng(11)
    sample = [passages[i].text for i in rng.choice(len(passages), args.doc_sample, replace=False)]
    rates, cosine = doc_throughput({"PyTorch fp32": torch_emb, "OpenVINO fp32": ov_emb}, torch_emb.model,
                                   sample, args.repeats)
    print(f"\ndocument embedding, {args.doc_sample} pooled passages, median of {args.repeats} interleaved")
    print("| runtime | passages/s | vs baseline | cosine to baseline |\n|---|---|---|---|")
    for name, rate in rates.items():
        label = "baseline: sentence-transformers fp32 defaults" if name == "baseline" else name
        print(f"| {label} | {rate:.2f} | {rate / rates['baseline']:.2f}x | {cosine[name]:.4f} |", flush=True)

    ceiling(ov_emb, sample, rates)
    if args.native:
        return finish(args, torch_emb, ov_emb)
    share, per_kernel = kernel_share(ov_emb.ov.shapes.path, ov_emb.ov.table.shape[1])
    print(f"\nOpenVINO kernels, one 32-token question (performance counters): {100 * share:.1f}% of the time "
          "in kernels still named avx512; the largest:")
    for name, ms in per_kernel.most_common(6):
        print(f"  {name}: {ms:.2f} ms")
    finish(args, torch_emb, ov_emb)


def finish(args, torch_emb, ov_emb) -> None:
    """seeds_qa evidence in each runtime (``--quality``), the memory and the load at the end."""
    if args.quality:
        print("\nseeds_qa evidence@1 / @5 on the seeds (documents and questions embedded in each runtime):")
        for name, emb in (("PyTorch fp32", torch_emb), ("OpenVINO fp32", ov_emb)):
            r = seeds_evidence(emb)
            print(f"  {name}: {r.rate(1):.3f} / {r.rate(5):.3f}", flush=True)
    print(f"\npeak RSS {peak_rss_mib():.0f} MiB; machine at the end: {machine()}")


if __name__ == "__main__":
    main()
