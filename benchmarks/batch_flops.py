"""Why a batch of questions cannot cost a quarter of single questions on this machine: the linear
FLOPs per token of the default OpenVINO model, and the time and achieved GFLOP/s of one question
against 4, 16 and 64 questions in one call, interleaved.

Usage: .venv/bin/python benchmarks/batch_flops.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from perf_common import machine, pooled_corpus


def linear_weights(model) -> int:
    """Multiply-adds per token of the model's matrix products with a constant weight (through any
    decompression or quantisation ops in front of the weight: ``openvino_runtime.weight_shape``)."""
    from assistant.embedding.openvino_runtime import weight_shape

    shapes = [weight_shape(op) for op in model.get_ordered_ops() if op.get_type_name() == "MatMul"]
    return sum(out * inp for out, inp in filter(None, shapes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from assistant.config import Config
    from assistant.embedding.embedder import make_embedder
    from assistant.embedding.openvino_runtime import lookup, token_batch

    print(f"machine: {machine()}", flush=True)
    emb = make_embedder(Config.from_env())
    if emb.runtime != "openvino":
        raise SystemExit("the default runtime here is PyTorch; this benchmark reads the OpenVINO model")
    ov = emb.ov
    import openvino

    from assistant.embedding.model_store import default_cache_dir
    from assistant.embedding.openvino_runtime import Artifacts

    artifacts = Artifacts.at(default_cache_dir(), emb.weights_hash)
    path = artifacts.int8 if emb.precision == "int8" else artifacts.xml
    params = linear_weights(openvino.Core().read_model(str(path)))
    questions = [ov.prompts["query"] + q.text for q in pooled_corpus().queries[:64]]

    def run(texts: list[str]) -> tuple[float, int, int]:
        ids, mask = token_batch(ov.tokenizer, texts)
        embeds = lookup(ov.table, ids, ov.meta)
        t0 = time.perf_counter()
        ov.encoder.infer(embeds, mask)
        return time.perf_counter() - t0, int(mask.sum()), ids.size

    run(questions[:1])
    run(questions[:16])
    results: dict[int, list[tuple[float, int, int]]] = {1: [], 4: [], 16: [], 64: []}
    for _ in range(args.rounds):
        for size, runs in results.items():
            for start in range(0, 16 if size == 1 else 64, size):
                runs.append(run(questions[start:start + size]))
    print(f"linear weights {params / 1e6:.1f} M: {2 * params / 1e6:.0f} MFLOP per token")
    single = None
    for size, runs in results.items():
        seconds, tokens = sum(r[0] for r in runs), sum(r[2] for r in runs)
        n = len(runs) * size
        per_question = seconds / n * 1000
        single = single or per_question
        print(f"{size:2d} per call: {per_question:.1f} ms per question ({np.mean([r[1] for r in runs]) / size:.1f} "
              f"tokens, {tokens / n:.1f} with padding), {2 * params * tokens / seconds / 1e9:.0f} GFLOP/s, "
              f"{per_question / single:.2f} of one alone")
    print(f"machine at the end: {machine()}")


if __name__ == "__main__":
    main()
