"""A compiled query encoder for this machine: the model's forward pass for one question, exported
with ``torch.export`` and compiled ahead of time by TorchInductor (weights frozen and pre-packed
for oneDNN, element-wise work fused), then cached on disk.

Eager PyTorch spends about half of a short question's time outside the matrix products (some
900 small dtype casts, norms and the attention mask for ~20 tokens); the compiled graph does the
same arithmetic in about 40% of the time (``benchmarks/bench_perf.py``). Compiling takes one to
three minutes, so it is done once per model, precision, torch version and CPU, in a separate
low-priority process, and loaded in seconds afterwards.

The graph covers what happens after the token lookup: the transformer, mean pooling and the two
Dense layers, for a batch of one question with 2..2048 tokens. Anything else (batches,
int8, another model layout) keeps the eager path, which gives the same vectors.

``python -m assistant.embedding.compile [--model-path DIR] [--precision auto]`` builds it in the
foreground (``assistant compile`` does the same).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
import warnings
from pathlib import Path

from ..errors import GraphError

log = logging.getLogger(__name__)

VERSION = "qg2"  # bump when the exported module or the Inductor settings change
# Frozen weights let Inductor pre-pack them for oneDNN; concatenating the linears that share an
# input (q/k/v, gate/up) halves the number of matrix products: 36.5 → 23.7 ms per question here.
INDUCTOR = {"freezing": True, "cpp.enable_concat_linear": True}
MIN_TOKENS, MAX_TOKENS = 2, 2048
# The compiled graph must give the eager vector for a probe question (bf16 fusion moves it ~2e-4).
MIN_COSINE = 0.999
PROBE = "task: search result | query: كم عدد الأشخاص الذين حضروا الاجتماع في المدينة يوم الخميس؟"


def package_path(cache_dir: Path, weights_hash: str, precision: str) -> Path:
    """Where the compiled graph for this model, precision, torch build and CPU lives."""
    import platform

    import torch

    from .cpu import cpu_flags, restricted_to_avx2

    cpu = hashlib.sha256(" ".join(sorted(cpu_flags())).encode()).hexdigest()[:10]
    cpu += "-avx2" if restricted_to_avx2() else ""  # kernels restricted: a different build
    name = f"{weights_hash}-{precision}-torch{torch.__version__}-{platform.machine()}-{cpu}-{VERSION}.pt2"
    return cache_dir / "query-graph" / name


def check_layout(model) -> None:
    """The sentence-transformers pipeline this module knows how to export:
    Transformer → mean Pooling → Dense* → Normalize?"""
    names = [type(m).__name__ for m in model]
    heads = names[2:-1] if names[-1:] == ["Normalize"] else names[2:]
    pooling = model[1] if len(names) > 1 else None
    mean_of_all = getattr(pooling, "pooling_mode", None) == "mean" and getattr(pooling, "include_prompt", True)
    if names[:2] != ["Transformer", "Pooling"] or not mean_of_all or any(n != "Dense" for n in heads):
        raise GraphError(f"no compiled path for a model laid out as {' → '.join(names)}")


def encoder_module(model):
    """The part of the pipeline after the token lookup: ``forward(embeds)`` for one unpadded
    question (this graph), ``forward(embeds, attention_mask)`` for padded batches (masked mean;
    the OpenVINO runtime's graph)."""
    import torch

    check_layout(model)
    body = model[0].model
    heads = [m for m in model if type(m).__name__ == "Dense"]

    class Encoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = body
            self.heads = torch.nn.ModuleList(heads)

        def forward(self, embeds, attention_mask=None):
            if attention_mask is None:
                mask = torch.ones(embeds.shape[:2], dtype=torch.long, device=embeds.device)
                vec = self.body(inputs_embeds=embeds, attention_mask=mask).last_hidden_state.mean(dim=1)
            else:
                hidden = self.body(inputs_embeds=embeds, attention_mask=attention_mask).last_hidden_state
                weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
                vec = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1)
            for head in self.heads:
                vec = head({"sentence_embedding": vec})["sentence_embedding"]
            return vec.float()

    return Encoder().eval()


def tokenize(model, texts: list[str]) -> dict:
    """sentence-transformers' tokenisation (``preprocess`` in 6.x, ``tokenize`` before)."""
    return (getattr(model, "preprocess", None) or model.tokenize)(texts)


def token_embeddings(model, texts: list[str]):
    """Token ids → the transformer's input vectors (the lookup stays outside the graph, which
    keeps the 262k-row vocabulary table out of the package)."""
    features = tokenize(model, texts)
    return model[0].model.get_input_embeddings()(features["input_ids"])


def build(model, target: Path) -> float:
    """Export and compile the query graph of ``model`` into ``target``; returns seconds taken."""
    import torch

    t0 = time.perf_counter()
    module = encoder_module(model)
    with torch.inference_mode():
        example = token_embeddings(model, [PROBE])
    seq = torch.export.Dim("tokens", min=MIN_TOKENS, max=MAX_TOKENS)
    tmp = target.with_name(f".{os.getpid()}-{target.name}")  # Inductor wants the .pt2 suffix
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch's own internal deprecations
            program = torch.export.export(module, (example,), dynamic_shapes={"embeds": {1: seq}}, strict=False)
            target.parent.mkdir(parents=True, exist_ok=True)
            torch._inductor.aoti_compile_and_package(program, package_path=str(tmp), inductor_configs=INDUCTOR)
    except Exception as exc:  # export and Inductor raise many kinds; all mean "stay eager"
        tmp.unlink(missing_ok=True)
        raise GraphError(f"cannot compile the query graph: {type(exc).__name__}: {str(exc)[:300]}") from exc
    os.replace(tmp, target)
    return time.perf_counter() - t0


class QueryGraph:
    """A loaded compiled graph: ``encode(model, texts)`` for one question at a time."""

    def __init__(self, path: Path):
        import threading

        import torch

        try:
            self.runner = torch._inductor.aoti_load_package(str(path))
        except Exception as exc:
            raise GraphError(f"cannot load the query graph {path}: {type(exc).__name__}: {exc}") from exc
        self.path = path
        self._lock = threading.Lock()  # one runner: calls from the UI's worker threads take turns

    def accepts(self, texts: list[str]) -> bool:
        return len(texts) == 1

    def encode(self, model, texts: list[str]):
        """Unnormalised float32 vectors (numpy) for ``texts`` (already prompted), or None when the
        token count is outside the exported range or the graph fails (the caller goes eager)."""
        import torch

        with torch.inference_mode():
            embeds = token_embeddings(model, texts)
            if not MIN_TOKENS <= embeds.shape[1] <= MAX_TOKENS:
                return None
            try:
                with self._lock:
                    return self.runner(embeds).numpy()
            except RuntimeError as exc:
                log.warning("the compiled query graph failed (%s); this question goes eager", exc)
                return None


def verify(graph: QueryGraph, model) -> float:
    """Cosine between the graph's and the eager model's vector for a probe question."""
    import numpy as np
    import torch

    with torch.inference_mode():
        eager = model(dict(tokenize(model, [PROBE])))
        eager = eager["sentence_embedding"].float().numpy()[0]
    fast = graph.encode(model, [PROBE])
    if fast is None:
        raise GraphError("the compiled query graph fails on a probe question")
    fast = fast[0]
    return float(np.dot(eager, fast) / (np.linalg.norm(eager) * np.linalg.norm(fast)))


def compile_in_subprocess(folder: Path, precision: str, target: Path, timeout: float = 1800) -> None:
    """Run ``compile`` in a separate, lower-priority process (its log beside ``target``), so that
    compiling neither holds this process's GIL nor outbids its questions for the CPU."""
    run_compile(["--model-path", str(folder), "--precision", precision, "--out", str(target), "--low-priority"],
                target, "compiling the query graph", timeout)


def run_compile(args: list[str], target: Path, what: str, timeout: float = 1800) -> None:
    """``python -m assistant.embedding.compile ARGS`` in a child process that must leave ``target``;
    its output goes to a log beside it, named in the GraphError when it fails."""
    import subprocess

    target.parent.mkdir(parents=True, exist_ok=True)
    log_file = target.with_suffix(".log")
    root = str(Path(__file__).resolve().parents[2])  # so the child imports this copy
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
           "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
    cmd = [sys.executable, "-m", "assistant.embedding.compile", *args]
    try:
        with open(log_file, "w", encoding="utf-8") as out:
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GraphError(f"{what} did not finish: {exc}") from exc
    if done.returncode != 0 or not target.is_file():
        lines = log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        raise GraphError(f"{what} failed ({lines[-1] if lines else done.returncode}); log: {log_file}")


def attach(embedder, build: bool = True, report=log.info) -> None:
    """Give ``embedder`` its compiled graph: from the cache, or compiled first when ``build``.
    Never raises: on any problem ``embedder.graph_status`` says what, and questions stay eager."""
    from .model_store import default_cache_dir

    try:
        if embedder.precision not in ("fp32", "bf16"):
            raise GraphError(f"the compiled query path is for fp32 and bf16, not {embedder.precision}")
        check_layout(embedder.model)
        target = package_path(default_cache_dir(), embedder.weights_hash, embedder.precision)
        if not target.is_file():
            if not build:
                raise GraphError("the query graph is not compiled yet (assistant compile)")
            embedder.graph_status = "compiling"
            report("compiling the fast query path for this machine in the background (once; 1-3 min)")
            t0 = time.perf_counter()
            compile_in_subprocess(embedder.folder, embedder.precision, target)
            report(f"compiled the fast query path in {time.perf_counter() - t0:.0f} s")
        graph = QueryGraph(target)
        cosine = verify(graph, embedder.model)
        if cosine < MIN_COSINE:
            target.unlink(missing_ok=True)
            raise GraphError(f"the compiled query graph disagrees with the model (cosine {cosine:.4f}); "
                             "removed it")
    except (RuntimeError, OSError) as exc:  # GraphError, and torch errors in the probe check
        embedder.graph_status = f"unavailable: {exc}"
        report(f"fast query path unavailable, questions use the eager path: {exc}")
        return
    embedder.graph = graph
    embedder.graph_status = "ready"
    report("fast query path ready")
