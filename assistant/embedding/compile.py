"""Compile the fast query path for this machine, in the foreground: ``assistant compile``, and the
low-priority child process a server starts (``query_graph.compile_in_subprocess``); with
``--openvino``, convert the model for the OpenVINO runtime instead (``openvino_runtime``; the child
process an embedder starts when the cache has no converted model, and ``make model`` with
``--if-used``)."""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import sys
from pathlib import Path

from ..errors import GraphError, ModelError
from .cpu import OPENVINO_INSTALL, openvino_available, resolve_model_options, resolve_precision
from .embedder import SentenceTransformerEmbedder
from .model_store import default_cache_dir
from .query_graph import QueryGraph, build, package_path, verify


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.embedding.compile",
                                     description="Compile the fast query path for this machine.")
    parser.add_argument("--model-path", default=None)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--out", type=Path, default=None, help="package file (default: the cache)")
    parser.add_argument("--low-priority", action="store_true", help="run at nice 10 (a server's background build)")
    parser.add_argument("--openvino", action="store_true", help="convert the model for the OpenVINO runtime")
    parser.add_argument("--if-used", action="store_true", help="with --openvino: only where runtime auto picks it")
    parser.add_argument("--int8", action="store_true", help="with --openvino: also the model with int8 weights")
    args = parser.parse_args(argv)
    if args.low_priority:
        os.nice(10)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if args.openvino:
        return convert_openvino(args.model_path, args.out, args.if_used, args.int8)
    try:
        if resolve_precision(args.precision) not in ("fp32", "bf16"):
            raise GraphError(f"the compiled query path is for fp32 and bf16, not {args.precision}")
        embedder = SentenceTransformerEmbedder(args.model_path, precision=args.precision, query_cache=0)
        target = args.out or package_path(default_cache_dir(), embedder.weights_hash, embedder.precision)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # a second server starting meanwhile waits, then reuses it
            for leftover in target.parent.glob(f".*-{target.name}"):  # from a build that was killed
                leftover.unlink(missing_ok=True)
            seconds = 0.0 if target.is_file() else build(embedder.model, target)
        cosine = verify(QueryGraph(target), embedder.model)
    except (GraphError, ModelError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    done = f"compiled in {seconds:.0f} s" if seconds else "already compiled"
    print(f"fast query path {done}: {target} (cosine to the eager model {cosine:.5f})")
    return 0


def convert_openvino(model_path: str | None, out: Path | None, if_used: bool, int8: bool = False) -> int:
    """Convert the model for OpenVINO (artifacts beside ``out``, default: the cache), once; with
    ``int8``, also its int8-weights copy."""
    from .openvino_runtime import Artifacts, compress_weights, convert

    try:
        if if_used:  # make model: convert what auto runs here, nothing else
            precision, runtime = resolve_model_options("auto", "auto")
            if runtime != "openvino":
                print("the openvino runtime is not used on this machine: nothing to convert")
                return 0
            int8 = int8 or precision == "int8"
        if not openvino_available():
            raise GraphError(f"OpenVINO is not installed: {OPENVINO_INSTALL}")
        embedder = SentenceTransformerEmbedder(model_path, precision="fp32", query_cache=0)
        artifacts = Artifacts.beside(out) if out else Artifacts.at(default_cache_dir(), embedder.weights_hash)
        artifacts.xml.parent.mkdir(parents=True, exist_ok=True)
        with open(artifacts.xml.with_name(artifacts.xml.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # a second process converting meanwhile waits, then reuses it
            seconds = 0.0 if artifacts.complete() else convert(embedder.model, embedder.folder, artifacts)
            if int8 and not artifacts.int8.is_file():
                seconds += compress_weights(embedder.folder, artifacts)
        cosine = json.loads(artifacts.meta.read_text(encoding="utf-8"))["cosine_to_pytorch"]
    except (GraphError, ModelError, OSError, ValueError, KeyError) as exc:
        if if_used:  # make model: the model then runs in PyTorch, as on any other machine
            print(f"note: the model stays in PyTorch here: {exc}", file=sys.stderr)
            return 0
        print(f"error: {exc}", file=sys.stderr)
        return 1
    done = f"converted in {seconds:.0f} s" if seconds else "already converted"
    print(f"OpenVINO model {done}: {artifacts.xml} (cosine to PyTorch {cosine:.5f})"
          + (f"; int8 weights: {artifacts.int8}" if int8 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
