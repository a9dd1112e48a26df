"""The model's forward pass in OpenVINO: the same EmbeddingGemma weights, converted once per model
and OpenVINO version into an OpenVINO IR (fp16 weights, ~210 MB) and run by OpenVINO's CPU plugin,
in bf16 on CPUs with native bfloat16.

Why: on an AVX512-BF16 CPU OpenVINO's fused kernels embed passages and questions several times
faster than eager PyTorch and faster than the compiled query graph (``benchmarks/bench_perf.py``
measures each, beside a plain sentence-transformers baseline). Tokenisation, prompts and the token
lookup stay in sentence-transformers / PyTorch; the graph covers the transformer, masked mean
pooling and the Dense heads, for any batch of 2..2048-token texts, so documents and questions
both use it.

``python -m assistant.embedding.compile --openvino`` converts in the foreground (``make model`` does
it where ``auto`` picks OpenVINO); an embedder that finds no IR converts it in a child process first.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from pathlib import Path

import numpy as np

from ..errors import GraphError

log = logging.getLogger(__name__)

VERSION = "ov1"  # bump when the converted module changes
MIN_TOKENS, MAX_TOKENS = 2, 2048
MIN_COSINE = 0.999  # the converted model must give the PyTorch vector for a probe text
PROBE = ["task: search result | query: كم عدد الأشخاص الذين حضروا الاجتماع في المدينة يوم الخميس؟",
         "title: none | text: قال المتحدث إن الاجتماع عقد في المدينة بحضور مئات الأشخاص."]

def ir_path(cache_dir: Path, weights_hash: str) -> Path:
    """Where the converted model for these weights and this OpenVINO version lives."""
    from importlib.metadata import version

    return cache_dir / "openvino" / f"{weights_hash}-openvino{version('openvino')}-{VERSION}.xml"


def convert(model, target: Path) -> float:
    """Export ``model`` (loaded in fp32) and save it as an OpenVINO IR at ``target``; seconds taken."""
    import openvino as ov
    import torch

    from .query_graph import encoder_module, token_embeddings, tokenize

    t0 = time.perf_counter()
    module = encoder_module(model)
    features = tokenize(model, PROBE)
    with torch.inference_mode():
        embeds = token_embeddings(model, PROBE)
    batch = torch.export.Dim("batch", min=1, max=4096)
    tokens = torch.export.Dim("tokens", min=MIN_TOKENS, max=MAX_TOKENS)
    dims = {"embeds": {0: batch, 1: tokens}, "attention_mask": {0: batch, 1: tokens}}
    tmp = target.with_name(f".{os.getpid()}-{target.name}")
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's and OpenVINO's own internal deprecations
            program = torch.export.export(module, (embeds, features["attention_mask"]), dynamic_shapes=dims,
                                          strict=False)
            target.parent.mkdir(parents=True, exist_ok=True)
            ov.save_model(ov.convert_model(program), str(tmp), compress_to_fp16=True)
    except Exception as exc:  # export and conversion raise many kinds; all mean "stay on PyTorch"
        for leftover in (tmp, tmp.with_suffix(".bin")):
            leftover.unlink(missing_ok=True)
        raise GraphError(f"cannot convert the model for OpenVINO: {type(exc).__name__}: {str(exc)[:300]}") from exc
    os.replace(tmp.with_suffix(".bin"), target.with_suffix(".bin"))
    os.replace(tmp, target)  # the .xml last: its presence means the pair is complete
    return time.perf_counter() - t0


class OpenVINOEncoder:
    """A compiled OpenVINO model: ``encode(model, texts)`` for prompted texts, any batch size."""

    def __init__(self, path: Path, precision: str, threads: int = 0):
        import openvino as ov

        hint = {"bf16": "bf16", "fp32": "f32"}.get(precision)
        if hint is None:
            raise GraphError(f"the OpenVINO path runs fp32 or bf16, not {precision}")
        config = {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        try:
            self.compiled = ov.Core().compile_model(str(path), "CPU", config)
        except RuntimeError as exc:
            raise GraphError(f"cannot load the OpenVINO model {path}: {str(exc).splitlines()[0]}") from exc
        self.request = self.compiled.create_infer_request()
        self.path, self.precision = path, precision
        self._lock = threading.Lock()  # one request: calls from the server's threads take turns

    def accepts(self, texts: list[str]) -> bool:
        return bool(texts)

    def encode(self, model, texts: list[str]) -> np.ndarray | None:
        """Unnormalised float32 vectors for ``texts`` (already prompted), or None when a text is
        outside the converted token range or OpenVINO fails (the caller uses PyTorch)."""
        import torch

        from .query_graph import tokenize

        features = tokenize(model, texts)
        if not MIN_TOKENS <= features["input_ids"].shape[1] <= MAX_TOKENS:
            return None
        with torch.inference_mode():
            embeds = model[0].model.get_input_embeddings()(features["input_ids"]).float().numpy()
        try:
            with self._lock:
                out = self.request.infer({0: embeds, 1: features["attention_mask"].numpy()})
            return np.asarray(out[0], dtype=np.float32).copy()
        except RuntimeError as exc:
            log.warning("OpenVINO failed on a batch (%s); it goes through PyTorch", str(exc).splitlines()[0])
            return None


def verify(encoder: OpenVINOEncoder, model) -> float:
    """Lowest cosine between OpenVINO's and PyTorch's vectors for the probe texts."""
    import torch

    from .query_graph import tokenize

    with torch.inference_mode():
        ref = model(dict(tokenize(model, PROBE)))["sentence_embedding"].float().numpy()
    got = encoder.encode(model, PROBE)
    if got is None:
        raise GraphError("the OpenVINO model fails on the probe texts")
    cos = np.sum(ref * got, axis=1) / (np.linalg.norm(ref, axis=1) * np.linalg.norm(got, axis=1))
    return float(cos.min())


def convert_in_subprocess(folder: Path, target: Path, timeout: float = 1800) -> None:
    """Run ``compile --openvino`` in a child process: the conversion loads its own fp32 copy of the
    weights, and its memory is returned when it ends."""
    from .query_graph import run_compile

    run_compile(["--openvino", "--model-path", str(folder), "--out", str(target)], target,
                "converting the model for OpenVINO", timeout)


def load(embedder, cache_dir: Path, threads: int = 0) -> OpenVINOEncoder:
    """The verified OpenVINO encoder for ``embedder``'s weights and precision; converted first
    (once, about a minute) when the cache has none. GraphError when it cannot be had."""
    target = ir_path(cache_dir, embedder.weights_hash)
    if not target.is_file():
        log.warning("preparing the model for OpenVINO on this machine (once; about a minute)")
        convert_in_subprocess(embedder.folder, target)
    encoder = OpenVINOEncoder(target, embedder.precision, threads)
    cosine = verify(encoder, embedder.model)
    if cosine < MIN_COSINE:
        raise GraphError(f"the OpenVINO model disagrees with PyTorch (cosine {cosine:.4f}); "
                         f"delete {target.parent} to convert it again")
    return encoder


