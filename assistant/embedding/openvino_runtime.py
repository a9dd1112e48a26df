"""The model in OpenVINO: the same EmbeddingGemma weights, converted once per model and OpenVINO
version, then run without PyTorch at all.

Why: on an AVX512-BF16 CPU OpenVINO's fused kernels embed passages and questions several times
faster than eager PyTorch and faster than the compiled query graph, and a process that never loads
PyTorch's copy of the model starts in a fraction of the time (``benchmarks/bench_perf.py``
measures each, beside a plain sentence-transformers baseline).

What a conversion leaves in ``<cache>/openvino/`` (``Artifacts``), the meta file written last so
that its presence means the set is complete:

- ``<key>.xml/.bin``: the transformer, masked mean pooling and the Dense heads, from token vectors
  and the attention mask, any batch of 2..2048 tokens (fp16 weights, ~210 MB);
- ``<key>.tokens.npy``: the token table (262k × 768, fp16), memory-mapped, so a question reads only
  its own rows;
- ``<key>.int8-<INT8_VERSION>.xml/.bin`` (for ``precision=int8``, written once by ``compress_weights``):
  the same model with int8 weights (nncf, per output channel, asymmetric) in the layers that do not
  narrow their input: the query, output, gate and up projections. OpenVINO reads fewer bytes per
  question and quantises their activations on the fly. The narrowing ones (key/value, the MLP's down
  projection, whose inputs carry outliers) and the Dense heads keep fp16: with every layer in int8,
  seeds_qa evidence@1 fell from 0.792 to 0.774 (one question of 53); this way it holds;
- ``<key>.json``: the token scale, prompts, padding and length the model's sentence-transformers
  configuration uses. Tokenisation is the model folder's ``tokenizer.json`` through ``tokenizers``;
  the conversion checks that it gives sentence-transformers' token ids, and that OpenVINO's vectors
  match PyTorch's (cosine ≥ 0.999), or it fails and the model stays in PyTorch.

``python -m assistant.embedding.compile --openvino`` converts in the foreground (``make model`` does
it where ``auto`` picks OpenVINO); ``OpenVINOEmbedder`` converts in a child process when it has to.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import GraphError
from .question_shapes import QuestionShapes

log = logging.getLogger(__name__)

VERSION = "ov2"  # bump when the converted module or the artifacts change
MIN_TOKENS, MAX_TOKENS = 2, 2048
MIN_COSINE = 0.999  # the converted model must give the PyTorch vector for the probe texts
MIN_COSINE_INT8 = 0.995  # int8 weights move vectors by ~1e-3
INT8_VERSION = "n1"  # bump when the choice of int8 layers changes (n1: the non-narrowing linears)
NNCF_INSTALL = "pip install nncf"
PROBE = ["task: search result | query: كم عدد الأشخاص الذين حضروا الاجتماع في المدينة يوم الخميس؟",
         "title: none | text: قال المتحدث إن الاجتماع عقد في المدينة بحضور مئات الأشخاص.", "x"]


@dataclass(frozen=True)
class Artifacts:
    xml: Path
    tokens: Path
    meta: Path

    @property
    def int8(self) -> Path:
        """The model with int8 weights (``compress_weights``), beside the fp16 one."""
        return self.xml.with_name(self.xml.name.removesuffix(".xml") + f".int8-{INT8_VERSION}.xml")

    @classmethod
    def at(cls, cache_dir: Path, weights_hash: str) -> Artifacts:
        return cls._named(cache_dir / "openvino", f"{weights_hash}-{converter_tag()}")

    @classmethod
    def beside(cls, xml: Path) -> Artifacts:
        """The set whose model file is ``xml`` (``compile --openvino --out``)."""
        xml = Path(xml)
        return cls._named(xml.parent, xml.name.removesuffix(".xml"))

    @classmethod
    def _named(cls, folder: Path, stem: str) -> Artifacts:
        return cls(folder / f"{stem}.xml", folder / f"{stem}.tokens.npy", folder / f"{stem}.json")

    def complete(self) -> bool:
        return self.meta.is_file() and self.xml.is_file() and self.tokens.is_file()


def converter_tag() -> str:
    """What made the artifacts besides the weights: OpenVINO's and PyTorch's versions (torch.export
    and ``ov.convert_model`` both shape the converted graph) and this module's VERSION. Read from
    the installed packages' metadata, so neither is imported."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        torch_version = version("torch")
    except PackageNotFoundError:  # an OpenVINO-only install runs artifacts converted elsewhere
        torch_version = "none"
    return f"openvino{version('openvino')}-torch{torch_version}-{VERSION}"


def load_tokenizer(folder: Path, meta: dict):
    """The model folder's fast tokenizer, padding and truncating as sentence-transformers does."""
    import tokenizers

    try:
        tok = tokenizers.Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    except Exception as exc:  # tokenizers raises its own exception type
        raise GraphError(f"cannot read {Path(folder) / 'tokenizer.json'}: {exc}") from exc
    tok.enable_padding(pad_id=meta["pad_id"], pad_token=meta["pad_token"], direction=meta["padding_side"])
    tok.enable_truncation(max_length=meta["max_tokens"])
    return tok


def token_batch(tokenizer, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(ids, attention mask), int64 arrays padded to the longest text."""
    encoded = tokenizer.encode_batch(texts)
    return (np.array([e.ids for e in encoded], np.int64), np.array([e.attention_mask for e in encoded], np.int64))


def convert(model, folder: Path, artifacts: Artifacts) -> float:
    """Export ``model`` (a sentence-transformers model loaded in fp32 from ``folder``) and write the
    artifacts; seconds taken. GraphError when anything fails or disagrees with PyTorch."""
    import openvino as ov
    import torch

    from .query_graph import encoder_module, tokenize

    t0 = time.perf_counter()
    table = model[0].model.get_input_embeddings()
    st_tok = model.tokenizer
    meta = {"version": VERSION, "embed_scale": float(getattr(table, "embed_scale", 1.0)),
            "dim": int((getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)()),
            "prompts": dict(model.prompts),
            "pad_id": int(st_tok.pad_token_id), "pad_token": str(st_tok.pad_token),
            "padding_side": str(st_tok.padding_side), "max_tokens": min(int(model.max_seq_length), MAX_TOKENS)}
    features = tokenize(model, PROBE)
    ids, mask = token_batch(load_tokenizer(folder, meta), PROBE)
    if ids.shape != tuple(features["input_ids"].shape) or not (ids == features["input_ids"].numpy()).all() \
            or not (mask == features["attention_mask"].numpy()).all():
        raise GraphError("tokenizer.json does not give sentence-transformers' token ids for this model")
    module = encoder_module(model)
    with torch.inference_mode():
        embeds = table(features["input_ids"])
        reference = model(dict(features))["sentence_embedding"].float().numpy()
    batch = torch.export.Dim("batch", min=1, max=4096)
    tokens = torch.export.Dim("tokens", min=MIN_TOKENS, max=MAX_TOKENS)
    dims = {"embeds": {0: batch, 1: tokens}, "attention_mask": {0: batch, 1: tokens}}
    tmp = artifacts.xml.with_name(f".{os.getpid()}-{artifacts.xml.name}")
    tmp_tokens = artifacts.tokens.with_name(f".{os.getpid()}-{artifacts.tokens.name}")
    artifacts.xml.parent.mkdir(parents=True, exist_ok=True)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's and OpenVINO's own internal deprecations
            program = torch.export.export(module, (embeds, features["attention_mask"]), dynamic_shapes=dims,
                                          strict=False)
            ov.save_model(ov.convert_model(program), str(tmp), compress_to_fp16=True)
        np.save(tmp_tokens, table.weight.detach().float().numpy().astype(np.float16), allow_pickle=False)
        got = OpenVINOEncoder(tmp, "fp32").infer(lookup(np.load(tmp_tokens, mmap_mode="r"), ids, meta), mask)
    except Exception as exc:  # export and conversion raise many kinds; all mean "stay on PyTorch"
        for leftover in (tmp, tmp.with_suffix(".bin"), tmp_tokens):
            leftover.unlink(missing_ok=True)
        raise GraphError(f"cannot convert the model for OpenVINO: {type(exc).__name__}: {str(exc)[:300]}") from exc
    cosine = float(np.min(np.sum(_unit(reference) * _unit(got), axis=1)))
    meta["cosine_to_pytorch"] = round(cosine, 6)
    if cosine < MIN_COSINE:
        for leftover in (tmp, tmp.with_suffix(".bin"), tmp_tokens):
            leftover.unlink(missing_ok=True)
        raise GraphError(f"the OpenVINO model disagrees with PyTorch (cosine {cosine:.4f})")
    os.replace(tmp.with_suffix(".bin"), artifacts.xml.with_suffix(".bin"))
    os.replace(tmp, artifacts.xml)
    os.replace(tmp_tokens, artifacts.tokens)
    tmp_meta = artifacts.meta.with_name(f".{os.getpid()}-{artifacts.meta.name}")
    tmp_meta.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp_meta, artifacts.meta)  # last: the set is complete
    return time.perf_counter() - t0


def lookup(table: np.ndarray, ids: np.ndarray, meta: dict) -> np.ndarray:
    """Token vectors as the model's (scaled) embedding layer gives them, float32."""
    return table[ids].astype(np.float32) * np.float32(meta["embed_scale"])


def _unit(vecs: np.ndarray) -> np.ndarray:
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def compress_weights(folder: Path, artifacts: Artifacts) -> float:
    """Write ``artifacts.int8``: the converted model with int8 weights, checked against the fp16 one
    on the probe texts (cosine ≥ MIN_COSINE_INT8); seconds taken."""
    try:
        import nncf
    except ImportError as exc:
        raise GraphError(f"int8 weights for OpenVINO need nncf: {NNCF_INSTALL}") from exc
    import openvino as ov

    t0 = time.perf_counter()
    tmp = artifacts.int8.with_name(f".{os.getpid()}-{artifacts.int8.name}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ov.Core().read_model(str(artifacts.xml))
            keep = nncf.IgnoredScope(names=fp16_layers(model), validate=False)
            model = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM, ignored_scope=keep)
            ov.save_model(model, str(tmp), compress_to_fp16=False)
        meta = json.loads(artifacts.meta.read_text(encoding="utf-8"))
        ids, mask = token_batch(load_tokenizer(folder, meta), PROBE)
        embeds = lookup(np.load(artifacts.tokens, mmap_mode="r"), ids, meta)
        reference = OpenVINOEncoder(artifacts.xml, "fp32").infer(embeds, mask)
        got = OpenVINOEncoder(tmp, "fp32").infer(embeds, mask)
        cosine = float(np.min(np.sum(_unit(reference) * _unit(got), axis=1)))
        if cosine < MIN_COSINE_INT8:
            raise GraphError(f"int8 weights move the vectors too far (cosine {cosine:.4f})")
    except Exception as exc:  # nncf and OpenVINO raise many kinds; all mean "no int8 weights"
        for leftover in (tmp, tmp.with_suffix(".bin")):
            leftover.unlink(missing_ok=True)
        if isinstance(exc, GraphError):
            raise
        raise GraphError(f"cannot compress the weights: {type(exc).__name__}: {str(exc)[:300]}") from exc
    os.replace(tmp.with_suffix(".bin"), artifacts.int8.with_suffix(".bin"))
    os.replace(tmp, artifacts.int8)  # last: its presence means the pair is complete
    return time.perf_counter() - t0


def fp16_layers(model) -> list[str]:
    """The matrix products that keep fp16 weights: those whose weight narrows its input (out < in:
    key/value and down projections, the last Dense) and the two Dense heads (the last two)."""
    products = [op for op in model.get_ordered_ops() if op.get_type_name() == "MatMul"]
    keep = {op.get_friendly_name() for op in products[-2:]}
    for op in products:
        shape = weight_shape(op)
        if shape is not None and shape[0] < shape[1]:
            keep.add(op.get_friendly_name())
    return sorted(keep)


def weight_shape(op) -> tuple[int, ...] | None:
    """(out, in) of a MatMul's constant weight, through its decompression ops; None for two activations."""
    node = op.input(1).get_source_output().get_node()
    while node.get_type_name() != "Constant":
        if node.get_input_size() == 0:
            return None
        node = node.input(0).get_source_output().get_node()
    shape = tuple(node.get_output_shape(0))
    return shape if len(shape) == 2 else None


class OpenVINOEncoder:
    """The compiled OpenVINO model: ``infer(token vectors, mask)`` for any batch. ``precision`` is
    the arithmetic: fp32, bf16, or int8 (a model with int8 weights, run in bf16 where the CPU has it,
    activations quantised on the fly)."""

    def __init__(self, path: Path, precision: str, threads: int = 0, tokens: int = 0):
        """``tokens``: compile for one text of exactly that many tokens (``question_shapes``)."""
        import openvino as ov

        from .cpu import bf16_supported

        hint = {"bf16": "bf16", "fp32": "f32", "int8": "bf16" if bf16_supported() else "f32"}.get(precision)
        if hint is None:
            raise GraphError(f"the OpenVINO runtime runs fp32, bf16 or int8, not {precision}")
        config = {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        try:
            core = ov.Core()
            model = str(path)
            if tokens:
                model = core.read_model(model)
                model.reshape({model.inputs[0]: [1, tokens, model.inputs[0].get_partial_shape()[2]],
                               model.inputs[1]: [1, tokens]})
            self.compiled = core.compile_model(model, "CPU", config)
        except RuntimeError as exc:
            raise GraphError(f"cannot load the OpenVINO model {path}: {str(exc).splitlines()[0]}") from exc
        self.request = self.compiled.create_infer_request()
        self._lock = threading.Lock()  # one request: calls from the server's threads take turns

    def infer(self, embeds: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Unnormalised float32 vectors; GraphError when OpenVINO fails."""
        try:
            with self._lock:
                out = self.request.infer({0: embeds, 1: mask}, share_inputs=True)  # no copy of the inputs
        except RuntimeError as exc:
            raise GraphError(f"OpenVINO failed: {str(exc).splitlines()[0]}") from exc
        return np.array(out[0], dtype=np.float32)


class OpenVINOModel:
    """Prompted texts in, unnormalised vectors out: tokenizer, memory-mapped token table, encoder."""

    def __init__(self, folder: Path, artifacts: Artifacts, precision: str, threads: int = 0):
        try:
            self.meta = json.loads(artifacts.meta.read_text(encoding="utf-8"))
            self.table = np.load(artifacts.tokens, mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise GraphError(f"the converted model in {artifacts.meta.parent} is unreadable ({exc}); "
                             "delete that folder to convert it again") from exc
        self.tokenizer = load_tokenizer(folder, self.meta)
        path = artifacts.int8 if precision == "int8" else artifacts.xml
        self.encoder = OpenVINOEncoder(path, precision, threads)
        self.shapes = QuestionShapes(path, lambda p, size: OpenVINOEncoder(p, precision, threads, tokens=size))
        self.dim = int(self.meta["dim"])
        self.prompts = self.meta["prompts"]

    def encode(self, texts: list[str], question: bool = False) -> np.ndarray:
        """Unnormalised vectors; one ``question`` a compiled shape holds (``question_shapes``) is
        padded to that shape and takes it."""
        ids, mask = token_batch(self.tokenizer, texts)
        shaped = self.shapes.encoder_for(ids.shape[1]) if question and len(texts) == 1 else None
        if shaped is not None:
            size, encoder = shaped
            pad = ((0, 0), (0, size - ids.shape[1]))
            ids, mask = np.pad(ids, pad, constant_values=self.meta["pad_id"]), np.pad(mask, pad)
            return encoder.infer(lookup(self.table, ids, self.meta), mask)
        if ids.shape[1] < MIN_TOKENS:  # never for this model's prompts; padding keeps the graph's range
            ids = np.pad(ids, ((0, 0), (0, MIN_TOKENS - ids.shape[1])), constant_values=self.meta["pad_id"])
            mask = np.pad(mask, ((0, 0), (0, MIN_TOKENS - mask.shape[1])))
        return self.encoder.infer(lookup(self.table, ids, self.meta), mask)


def convert_in_subprocess(folder: Path, artifacts: Artifacts, int8: bool = False, timeout: float = 1800) -> None:
    """Run ``compile --openvino`` (with ``int8``: ``--int8`` too) in a child process: the conversion
    loads its own fp32 copy of the weights in PyTorch, and that memory is returned when it ends."""
    from .query_graph import run_compile

    run_compile(["--openvino", *(["--int8"] if int8 else []), "--model-path", str(folder), "--out",
                 str(artifacts.xml)], artifacts.int8 if int8 else artifacts.meta,
                "converting the model for OpenVINO", timeout)
