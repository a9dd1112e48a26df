"""Turn text into unit vectors: EmbeddingGemma through sentence-transformers, or a fake for tests.

Speed options (see benchmarks/bench_perf.py for what each buys on this machine):

- ``precision``: "fp32", "bf16" (weights cast to bfloat16; CPUs with AVX512-BF16 or AMX run it
  natively), "int8" (PyTorch: dynamic int8 on the attention and gate/up projections; OpenVINO:
  int8 weights in the non-narrowing linears), or "auto" (``cpu.resolve_model_options``: int8 on
  OpenVINO where the CPU has bf16, else bf16 where supported, else fp32).
- ``dim``: Matryoshka truncation (EmbeddingGemma was trained for 768/512/256/128).
- ``query_cache``: how many recent query vectors to keep (repeated questions cost nothing).
- ``use_query_graph()``: single questions through a compiled graph of the model (query_graph.py),
  about half the eager time; the server turns it on.
- ``runtime`` (``make_embedder``): "torch" (``SentenceTransformerEmbedder``), "openvino"
  (``OpenVINOEmbedder``: the model converted once and run without PyTorch; openvino_runtime.py) or
  "auto" (OpenVINO where it was measured fastest: CPUs with native bfloat16, and fp32 on AVX2 and
  AVX-512 CPUs without it; ``cpu.resolve_runtime``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
import warnings
from typing import Protocol

import numpy as np

from ..config import DEFAULTS
from ..errors import ModelError
from .cache import QueryCache, embed_missing
from .cpu import cpu_class, resolve_model_options, resolve_precision
from .model_store import MODEL_ID, load_spec, resolve_model_path
from .query_graph import attach, tokenize

log = logging.getLogger(__name__)

# The down projection and the Dense head see activations with large outliers: quantising them
# drops cosine to fp32 from ~0.99 to ~0.87, so int8 covers only these layers.
INT8_LAYERS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj")


class Embedder(Protocol):
    model_id: str
    weights_hash: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray: ...


def unit_rows(vecs: np.ndarray, dim: int) -> np.ndarray:
    """The first ``dim`` components of each row (Matryoshka), L2-normalised, float32."""
    vecs = np.asarray(vecs, dtype=np.float32)[:, :dim]
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vecs / norms)


def length_sorted(texts: list[str], batch_size: int, forward, show_progress: bool = False) -> np.ndarray:
    """``forward`` (a batch of texts -> float32 rows) over batches of similar length, longest first,
    so little padding is computed; rows come back in the order of ``texts``."""
    if len(texts) <= batch_size and not show_progress:  # one call (a single question): no sorting, no bar
        return forward(list(texts)) if texts else np.zeros((0, 0), np.float32)
    from tqdm.auto import tqdm

    order = np.argsort([-len(t) for t in texts], kind="stable")
    out = None
    for i in tqdm(range(0, len(texts), batch_size), desc="Batches", disable=not show_progress):
        rows = order[i:i + batch_size]
        vecs = forward([texts[j] for j in rows])
        out = np.empty((len(texts), vecs.shape[1]), np.float32) if out is None else out
        out[rows] = vecs
    return out if out is not None else np.zeros((0, 0), np.float32)


class SentenceTransformerEmbedder:
    """EmbeddingGemma with its retrieval prompts (``encode_query`` / ``encode_document``).

    Vectors come back L2-normalised float32, so inner product is cosine similarity.

    Args:
        precision: "auto" (default), "fp32", "bf16" or "int8"; see the module docstring.
        dim: keep the first ``dim`` components (0 = all).
        query_cache: number of recent query vectors kept (0 = none).
    """

    def __init__(self, model_path: str | None = None, *, batch_size: int = DEFAULTS.batch_size,
                 threads: int = DEFAULTS.threads, precision: str = DEFAULTS.precision,
                 dim: int = DEFAULTS.embed_dim, query_cache: int = DEFAULTS.query_cache):
        folder = resolve_model_path(model_path)
        _prefer_passive_waits()
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self.precision = resolve_precision(precision)
        _quiet_transformers()
        try:
            # Loading straight into bf16 never holds the fp32 weights: less peak memory, faster start.
            kwargs = {"model_kwargs": {"dtype": torch.bfloat16}} if self.precision == "bf16" else {}
            self.model = SentenceTransformer(str(folder), device="cpu", local_files_only=True, **kwargs)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load the embedding model from {folder}: {exc}") from exc
        self.precision = _apply_precision(self.model, self.precision)
        self.batch_size = batch_size
        get_dim = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        full = int(get_dim())
        if dim < 0 or dim > full:
            raise ModelError(f"embedding dim {dim} is out of range; choose 0 (all {full}) or fewer")
        self.dim = dim or full
        self.cache = QueryCache(query_cache)
        self.folder = folder
        self.model_id, self.weights_hash = _identify(folder)
        self.graph = None  # a query_graph.QueryGraph once use_query_graph() has loaded one
        self.graph_status = "off"
        self.runtime = "torch"
        self.vector_tag = self.vector_tag_for(self)

    @staticmethod
    def vector_tag_for(embedder) -> str:
        """What besides weights, precision and dim changes the vectors (the embedding cache keeps
        them apart): for int8, the layers quantised and the kernels (fbgemm rounds differently on
        AVX2 and AVX-512). OpenVINO's int8 has its own tag (``OpenVINOEmbedder``)."""
        if embedder.precision != "int8":
            return ""
        return f"-{cpu_class()}-{hashlib.sha256(' '.join(INT8_LAYERS).encode()).hexdigest()[:6]}"

    def _encode(self, method, texts: list[str], show_progress: bool = False) -> np.ndarray:
        import torch

        with torch.inference_mode():
            vecs = method(texts, batch_size=self.batch_size, convert_to_tensor=True,
                          normalize_embeddings=False, show_progress_bar=show_progress)
        # Normalise in float32 after truncation: bf16 rounding would leave norms off 1 by ~1e-3.
        return unit_rows(vecs.float().numpy(), self.dim)

    def _encode_queries(self, texts: list[str]) -> np.ndarray:
        """The model's forward pass on prompted queries, without ``encode``'s batching machinery:
        the same vectors (cosine 1.0) ~9 ms sooner, which is ~15% of a whole search."""
        import torch

        prompt = self.model.prompts.get("query", "")
        graph = self.graph
        if graph is not None and graph.accepts(texts):
            vecs = graph.encode(self.model, [prompt + texts[0]])
            if vecs is not None:
                return unit_rows(vecs, self.dim)
        def forward(batch: list[str]) -> np.ndarray:
            with torch.inference_mode():
                features = tokenize(self.model, [prompt + t for t in batch])
                return self.model(features)["sentence_embedding"].float().numpy()

        return unit_rows(length_sorted(texts, self.batch_size, forward), self.dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return embed_missing(texts, self.cache, self._encode_queries, self.dim, key=str)

    def use_query_graph(self, *, build: bool = True, report=log.info) -> threading.Thread:
        """Answer single questions with the compiled query graph for this machine, once it is
        loaded: from the cache, or compiled first (in a low-priority process, 1-3 minutes) when
        ``build``. Runs in a background thread; until it is done, or if anything fails
        (``graph_status`` says what), questions take the eager path."""
        thread = threading.Thread(target=attach, args=(self, build, report), daemon=True, name="query-graph")
        thread.start()
        return thread

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Sorting by length keeps batches of similar length, so little padding is computed.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        vecs = self._encode(self.model.encode_document, [texts[i] for i in order], show_progress)
        out = np.empty_like(vecs)
        out[order] = vecs
        return out


def _apply_precision(model, precision: str) -> str:
    """Convert ``model`` in place; any failure leaves it in fp32 and says so."""
    import torch

    try:
        if precision == "bf16":
            model.to(torch.bfloat16)
        elif precision == "int8":
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            names = {n: per_channel_dynamic_qconfig for n, m in model.named_modules()
                     if isinstance(m, torch.nn.Linear) and n.rsplit(".", 1)[-1] in INT8_LAYERS}
            with warnings.catch_warnings():  # its deprecation notice says nothing users can act on
                warnings.simplefilter("ignore")
                quantize_dynamic(model, names, dtype=torch.qint8, inplace=True)
    except (RuntimeError, TypeError, ValueError, AttributeError) as exc:
        log.warning("cannot run the model in %s (%s); using fp32", precision, exc)
        model.to(torch.float32)
        return "fp32"
    return precision


def _prefer_passive_waits() -> None:
    """Idle OpenMP workers sleep instead of spinning (unless the user chose otherwise).

    On a shared or busy 2-core machine, spinning workers steal the core the working thread
    needs: a bf16 query took 137-147 ms with spinning and 95-101 ms without (bench_perf.py).
    OpenMP reads this once, when torch is first imported, so later calls change nothing.
    """
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _quiet_transformers() -> None:
    """No weight-loading progress bars: our own progress output is the one users see."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass


def _identify(folder) -> tuple[str, str]:
    """The model id and weights hash recorded in manifests: the spec's for the verified model,
    otherwise a hash of the folder's weight files."""
    from pathlib import Path

    folder = Path(folder)
    spec = load_spec()
    verified = folder / ".verified"
    if verified.exists() and verified.read_text().strip() == spec.weights_hash:
        return MODEL_ID, spec.weights_hash
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*.safetensors")) + sorted(folder.rglob("*.bin")):
        h.update(p.relative_to(folder).as_posix().encode())
        h.update(str(p.stat().st_size).encode())
        with open(p, "rb") as f:  # first and last MiB: cheap but changes with the weights
            h.update(f.read(1 << 20))
            f.seek(max(0, p.stat().st_size - (1 << 20)))
            h.update(f.read())
    return f"local:{folder.name}", h.hexdigest()[:16]


# Passages per OpenVINO call: 4 embedded pooled passages 1.10-1.31x faster than 16 (three interleaved
# runs of 48 passages on AVX512-BF16); OpenVINO gains little from wider batches on 2 cores.
OPENVINO_DOCUMENT_BATCH = 4


class OpenVINOEmbedder:
    """EmbeddingGemma run by OpenVINO alone (``openvino_runtime``): no PyTorch copy of the model is
    loaded, so a process starts in a few seconds; vectors match PyTorch's (cosine ≥ 0.999, checked
    when the model is converted). Same interface and options as ``SentenceTransformerEmbedder``."""

    runtime = "openvino"

    def __init__(self, model_path: str | None = None, *, batch_size: int = DEFAULTS.batch_size,
                 threads: int = DEFAULTS.threads, precision: str = DEFAULTS.precision,
                 dim: int = DEFAULTS.embed_dim, query_cache: int = DEFAULTS.query_cache):
        from .model_store import default_cache_dir
        from .openvino_runtime import INT8_VERSION, Artifacts, OpenVINOModel, convert_in_subprocess, converter_tag

        _prefer_passive_waits()  # for PyTorch, should this process load it later (the conversion child does)
        self.folder = resolve_model_path(model_path)
        self.precision = resolve_model_options(precision, "openvino")[0]
        self.model_id, self.weights_hash = _identify(self.folder)
        artifacts = Artifacts.at(default_cache_dir(), self.weights_hash)
        int8 = self.precision == "int8"
        if not artifacts.complete() or (int8 and not artifacts.int8.is_file()):
            log.warning("converting the model for OpenVINO on this machine (once; a minute or two)")
            convert_in_subprocess(self.folder, artifacts, int8=int8)
        self.ov = OpenVINOModel(self.folder, artifacts, self.precision, threads)
        if dim < 0 or dim > self.ov.dim:
            raise ModelError(f"embedding dim {dim} is out of range; choose 0 (all {self.ov.dim}) or fewer")
        self.dim = dim or self.ov.dim
        self.batch_size = batch_size
        self.cache = QueryCache(query_cache)
        self.graph, self.graph_status = None, "openvino"  # questions already take the fast path
        self.vector_tag = f"-{converter_tag()}" + (f"-{INT8_VERSION}" if int8 else "")

    def _encode(self, texts: list[str], prompt: str, show_progress: bool = False, batch_size: int = 0,
                question: bool = False) -> np.ndarray:
        vecs = length_sorted(texts, batch_size or self.batch_size,
                             lambda batch: self.ov.encode([prompt + t for t in batch], question), show_progress)
        return unit_rows(vecs, self.dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        prompt = self.ov.prompts.get("query", "")
        return embed_missing(texts, self.cache, lambda todo: self._encode(todo, prompt, question=True), self.dim,
                             key=str)

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Small batches pad less: passages vary in length far more than questions do.
        return self._encode(texts, self.ov.prompts.get("document", ""), show_progress,
                            min(self.batch_size, OPENVINO_DOCUMENT_BATCH))

    def use_query_graph(self, *, build: bool = True, report=log.info) -> threading.Thread:
        """The server's fast path for one question: the model compiled for fixed question shapes
        (``question_shapes``), in a background thread (returned), then reported; with ``build``
        False nothing is compiled and the dynamic model answers every question."""
        def run() -> None:
            if build:
                self.ov.shapes.start().join()
            ready = sorted(self.ov.shapes.ready)
            report(f"fast query path ready (OpenVINO, question shapes {ready or 'none'})")

        thread = threading.Thread(target=run, name="openvino-query-path", daemon=True)
        thread.start()
        return thread


class FakeEmbedder:
    """Deterministic hashed character-trigram vectors: fast, offline, for unit tests only."""

    model_id = "fake-trigram"
    weights_hash = "fake0001"

    def __init__(self, dim: int = 64):
        self.dim = dim

    def _embed(self, texts: list[str]) -> np.ndarray:
        from ..normalize import normalize_arabic

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            t = f"  {normalize_arabic(text)}  "
            for i in range(len(t) - 2):
                digest = hashlib.blake2b(t[i:i + 3].encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        return self._embed(texts)


def make_embedder(config) -> Embedder:
    """The embedder a Config asks for: EmbeddingGemma, or the fake one (``ASSISTANT_EMBEDDER=fake``)."""
    if config.embedder == "fake":
        return FakeEmbedder()
    options = {"batch_size": config.batch_size, "threads": config.threads, "precision": config.precision,
               "dim": config.embed_dim, "query_cache": config.query_cache}
    precision, runtime = resolve_model_options(config.precision, config.runtime)
    if runtime == "openvino":
        # auto's int8 weights, then (should writing them fail) OpenVINO in bf16, then PyTorch
        for choice in dict.fromkeys([precision, resolve_precision(config.precision)]):
            try:
                return OpenVINOEmbedder(config.model_path, **{**options, "precision": choice})
            except (RuntimeError, OSError) as exc:  # GraphError, OpenVINO's own errors
                if config.runtime == "openvino" and choice == resolve_precision(config.precision):
                    raise ModelError(f"cannot use the openvino runtime: {exc}") from exc
                log.warning("OpenVINO in %s unavailable: %s", choice, exc)
    return SentenceTransformerEmbedder(config.model_path, **options)
