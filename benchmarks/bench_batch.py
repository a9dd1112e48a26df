"""How many questions should one forward pass embed? Batch sizes 1-16 on the compiled and eager paths.

Usage:
    .venv/bin/python benchmarks/bench_batch.py [--sizes 1,2,4,8,16] [--repeat 5]

For each batch size N (N different questions from the eval sets, no query cache), the time to
embed all N with the runtime the server would use (``--runtime``):
- PyTorch: N calls of the compiled query graph (it takes one question at a time); one eager
  forward pass over the N questions; N eager calls;
- OpenVINO: N calls; one pass over the N questions.
Prints ms per batch and per question (median of --repeat runs), the CPU and the load.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def questions(n: int) -> list[str]:
    import json

    from assistant.config import Config

    eval_dir = Config.from_env().eval_dir or Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
    out = []
    for name in ("seeds_qa", "xquad_ar", "tydiqa_goldp_ar"):
        path = Path(eval_dir) / name / "queries.jsonl"
        if path.exists():
            out += [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines() if line.strip()]
    if len(out) < n:
        sys.exit(f"error: fewer than {n} questions in {eval_dir}")
    return out


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def timed(fn, batches, repeat: int) -> float:
    """Median ms of ``fn(batch)`` over ``repeat`` fresh batches."""
    runs = []
    for _ in range(repeat):
        batch = next(batches)
        t0 = time.perf_counter()
        fn(batch)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs) * 1000


def one_pass(emb, texts: list[str]) -> None:
    """One forward pass over ``texts``: eager PyTorch, or OpenVINO."""
    if getattr(emb, "runtime", "torch") == "openvino":
        emb._encode(texts, emb.ov.prompts.get("query", ""))
        return
    emb.graph = None
    emb._encode_queries(texts)


def one_by_one(emb, graph, texts: list[str]) -> None:
    """One call per question: OpenVINO's, the compiled graph's (``graph``) or the eager model's (None)."""
    for q in texts:
        if getattr(emb, "runtime", "torch") == "openvino":
            emb._encode([q], emb.ov.prompts.get("query", ""))
            continue
        emb.graph = graph
        emb._encode_queries([q])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,2,4,8,16")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--runtime", choices=["auto", "torch", "openvino"], default="auto",
                        help="what runs the model, as ASSISTANT_RUNTIME (auto: what the server would use)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from assistant.config import Config
    from assistant.embedding.embedder import make_embedder
    from assistant.embedding.query_graph import attach

    emb = make_embedder(Config.from_env(query_cache=0, runtime=args.runtime))
    openvino = getattr(emb, "runtime", "torch") == "openvino"
    if not openvino:
        attach(emb, build=False, report=lambda m: None)
    graph = emb.graph
    pool = questions(max(sizes) * (args.repeat + 1))
    fast = "OpenVINO" if openvino else "compiled"
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; precision {emb.precision}; "
          f"load average {os.getloadavg()[0]:.2f} at start; runtime {'openvino' if openvino else 'torch'}, "
          f"fast path: {emb.graph_status}")
    print(f"{'N':>3} {fast + ' 1-by-1 ms':>20} {fast + ' batch ms':>18} {'eager 1-by-1 ms':>16}   per question: "
          f"1-by-1 / batch")
    for n in sizes:
        batches = iter(pool[i:i + n] for i in range(0, len(pool), n))
        one_pass(emb, pool[:n])  # warm this shape
        c = timed(partial(one_by_one, emb, graph), batches, args.repeat) if graph is not None or openvino \
            else float("nan")
        b = timed(partial(one_pass, emb), batches, args.repeat)
        o = timed(partial(one_by_one, emb, None), batches, args.repeat) if n > 1 and not openvino else float("nan")
        emb.graph = graph
        print(f"{n:>3} {c:>20.1f} {b:>18.1f} {o:>16.1f}   {c / n:7.1f} / {b / n:5.1f} ms")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
