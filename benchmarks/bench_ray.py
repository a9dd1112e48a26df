"""Embedding throughput through Ray (`--ray`) against the same model on this machine alone.

Usage: .venv/bin/python benchmarks/bench_ray.py --ray ADDRESS [--n 512] [--block 64]

Embeds the first ``n`` pooled eval passages (never the embedding cache: every text goes to the
model) once through ``RayEmbedder`` on the running cluster at ADDRESS (start it as README
"Scaling out" says) and once locally, and prints passages/s for each, the blocks per node, and the
worst cosine between the two results' rows. The Ray figure includes starting the actors and
loading the model on each node (each embed call starts its own actor pool: tens of seconds, which
a long job does not notice and a short one does).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from perf_common import machine, pooled_corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ray", required=True, help="the cluster's address (host:port) or auto")
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--block", type=int, default=64)
    args = parser.parse_args()
    from assistant.config import Config
    from assistant.embedding.distributed import make_ray_embedder

    texts = [p.text for p in pooled_corpus().passages][: args.n]
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        cfg = Config.from_env(ray_block=args.block, ray_min_texts=1)
        t0 = time.perf_counter()
        ray_embedder = make_ray_embedder(cfg, args.ray, Path(tmp))
        t_driver = time.perf_counter() - t0
        t1 = time.perf_counter()
        remote = ray_embedder.embed_documents(texts)
        t_ray = time.perf_counter() - t1
        t2 = time.perf_counter()
        local = ray_embedder.local.embed_documents(texts)
        t_local = time.perf_counter() - t2
    cos = np.sum(remote * local, axis=1)
    print(f"{machine()}\n{len(texts)} passages, blocks of {args.block}, precision {ray_embedder.precision}; "
          f"driver model load {t_driver:.0f} s")
    print(f"| where | passages/s |\n|---|---|\n| Ray ({len(ray_embedder.nodes)} nodes; blocks per node "
          f"{sorted(ray_embedder.nodes.values())}) | {len(texts) / t_ray:.2f} |\n| this machine alone | "
          f"{len(texts) / t_local:.2f} |")
    print(f"worst row cosine Ray vs local: {cos.min():.6f}")


if __name__ == "__main__":
    main()
