"""Embedder speed options without the model: precision choice and fallback, query cache, truncation."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from assistant.embedding import cpu
from assistant.embedding import embedder as embed
from assistant.embedding.cache import QueryCache, embed_missing
from assistant.embedding.cpu import resolve_precision
from assistant.embedding.embedder import unit_rows
from assistant.embedding.model_store import ModelError


@pytest.fixture(autouse=True)
def unrestricted(request, monkeypatch):
    """The unit tests here set the CPU class themselves; the real model's keep this process's (its
    embedder was built under them: kernels restricted to AVX2 stay restricted)."""
    if request.node.get_closest_marker("integration"):
        return
    for name in cpu.RESTRICTIONS:
        monkeypatch.delenv(name, raising=False)


def test_auto_picks_bf16_only_where_the_cpu_has_it(monkeypatch):
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "avx512f", "avx512_bf16"}))
    assert resolve_precision("auto") == "bf16"
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "amx_bf16"}))
    assert resolve_precision("auto") == "bf16"
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "avx512f"}))
    assert resolve_precision("auto") == "fp32"


def test_bf16_request_falls_back_to_fp32_with_a_warning(monkeypatch, caplog):
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"sse4_2"}))
    with caplog.at_level(logging.WARNING, logger="assistant.embedding.embedder"):
        assert resolve_precision("bf16") == "fp32"
    assert "no native bfloat16" in caplog.text
    assert resolve_precision("fp32") == "fp32" and resolve_precision("int8") == "int8"


@pytest.mark.parametrize(("name", "value"), [("ATEN_CPU_CAPABILITY", "avx2"), ("ONEDNN_MAX_CPU_ISA", "AVX2"),
                                             ("MKL_ENABLE_INSTRUCTIONS", "AVX2"),
                                             ("FBGEMM_ENABLE_INSTRUCTIONS", "AVX2")])
def test_kernels_restricted_to_avx2_make_an_avx2_machine(monkeypatch, name, value):
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "avx512f", "avx512_bf16"}))
    assert cpu.cpu_class() == "avx512-bf16" and resolve_precision("auto") == "bf16"
    monkeypatch.setenv(name, value)
    monkeypatch.setattr(cpu, "openvino_available", lambda: True)
    assert cpu.cpu_class() == "avx2" and resolve_precision("auto") == "fp32"
    assert cpu.resolve_runtime("auto", "fp32") == "openvino"  # OpenVINO fp32: measured fastest on AVX2
    monkeypatch.setenv(name, "AVX512_CORE_BF16")  # a restriction that still allows bf16
    assert cpu.cpu_class() == "avx512-bf16"


def test_runtime_auto_picks_openvino_only_where_it_was_measured_to_pay(monkeypatch):
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "avx512f", "avx512_bf16"}))
    monkeypatch.setattr(cpu, "openvino_available", lambda: True)
    assert cpu.resolve_runtime("auto", "bf16") == "openvino"
    assert cpu.resolve_runtime("auto", "int8") == "torch" and cpu.resolve_runtime("torch", "bf16") == "torch"
    assert cpu.resolve_runtime("auto", "fp32") == "torch"  # fp32 on AVX512-BF16: asked for, in PyTorch
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "fma"}))
    assert cpu.resolve_runtime("auto", "fp32") == "openvino"
    assert cpu.resolve_runtime("auto", "bf16") == "torch" and cpu.resolve_runtime("torch", "fp32") == "torch"
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "avx512f"}))  # AVX-512 without bf16
    assert cpu.resolve_runtime("auto", "fp32") == "openvino"  # measured in fp32 on AVX-512 kernels
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"sse4_2"}))  # no AVX2: nothing measured
    assert cpu.resolve_runtime("auto", "fp32") == "torch"
    assert cpu.resolve_runtime("openvino", "fp32") == "openvino"  # asked for explicitly
    monkeypatch.setattr(cpu, "openvino_available", lambda: False)
    assert cpu.resolve_runtime("auto", "bf16") == "torch"
    with pytest.raises(ModelError, match="pip install openvino"):
        cpu.resolve_runtime("openvino", "bf16")
    monkeypatch.setattr(cpu, "openvino_available", lambda: True)
    assert cpu.resolve_runtime("openvino", "int8") == "openvino"  # int8 weights, asked for explicitly
    with pytest.raises(ModelError, match="unknown runtime"):
        cpu.resolve_runtime("onnx", "fp32")


def test_unknown_precision_is_a_model_error():
    with pytest.raises(ModelError, match="unknown precision 'fp8'"):
        resolve_precision("fp8")


def test_conversion_failure_leaves_the_model_in_fp32(caplog):
    import torch

    class Stubborn(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(4, 4)

        def to(self, *args, **kwargs):
            if torch.bfloat16 in args:
                raise RuntimeError("bf16 not implemented here")
            return super().to(*args, **kwargs)

    model = Stubborn()
    with caplog.at_level(logging.WARNING, logger="assistant.embedding.embedder"):
        assert embed._apply_precision(model, "bf16") == "fp32"
    assert model.lin.weight.dtype == torch.float32 and "using fp32" in caplog.text


def test_int8_quantises_only_the_safe_layers():
    import torch

    block = torch.nn.Module()
    block.q_proj, block.up_proj = torch.nn.Linear(8, 8), torch.nn.Linear(8, 8)
    block.down_proj, block.linear = torch.nn.Linear(8, 8), torch.nn.Linear(8, 8)
    assert embed._apply_precision(block, "int8") == "int8"
    kinds = {name: type(m).__module__ for name, m in block.named_children()}
    assert "quantized" in kinds["q_proj"] and "quantized" in kinds["up_proj"]
    assert kinds["down_proj"] == kinds["linear"] == "torch.nn.modules.linear"


def test_bf16_model_converts():
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(4, 4))
    assert embed._apply_precision(model, "bf16") == "bf16"
    assert model[0].weight.dtype == torch.bfloat16


def test_query_cache_embeds_only_new_texts_once_and_evicts_oldest():
    calls = []

    def fake(texts):
        calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], np.float32)

    cache = QueryCache(2)
    out = embed_missing(["a", "bb", "a"], cache, fake, 2, key=str)
    assert calls == [["a", "bb"]] and out[:, 0].tolist() == [1, 2, 1]
    out[0, 0] = 99  # callers cannot corrupt the cache through the returned array
    assert embed_missing(["a"], cache, fake, 2, key=str)[0, 0] == 1 and len(calls) == 1
    embed_missing(["ccc"], cache, fake, 2, key=str)  # evicts "bb", the least recently used
    assert len(cache) == 2
    embed_missing(["bb", "a"], cache, fake, 2, key=str)
    assert calls[-1] == ["bb"] and cache.hits == 2


def test_zero_sized_cache_keeps_nothing():
    cache = QueryCache(0)
    embed_missing(["a"], cache, lambda t: np.ones((len(t), 2), np.float32), 2, key=str)
    assert len(cache) == 0


def test_matryoshka_truncation_renormalises():
    vecs = np.array([[3.0, 4.0, 12.0], [0.0, 0.0, 1.0]], np.float32)
    out = unit_rows(vecs, 2)
    assert out.shape == (2, 2) and out.dtype == np.float32
    assert np.allclose(out[0], [0.6, 0.8])
    assert np.allclose(out[1], [0.0, 0.0])  # a zero prefix stays zero instead of dividing by 0


@pytest.mark.integration
def test_real_embedder_uses_the_detected_precision_and_cache(real_embedder):
    assert real_embedder.precision == cpu.resolve_model_options("auto", "auto")[0]
    first = real_embedder.embed_queries(["كم عدد السجناء الذين فروا؟"])
    hits = real_embedder.cache.hits
    again = real_embedder.embed_queries(["كم عدد السجناء الذين فروا؟"])
    assert real_embedder.cache.hits == hits + 1 and np.array_equal(first, again)
    assert abs(float(np.linalg.norm(first[0])) - 1.0) < 1e-5


@pytest.mark.integration
def test_openvino_runtime_gives_the_pytorch_vectors(real_embedder, torch_embedder):
    """Where ``auto`` runs the model in OpenVINO (no PyTorch copy of the model loaded), documents and
    questions (batches of mixed length) get PyTorch's vectors; elsewhere the runtime is PyTorch."""
    from assistant.embedding.openvino_runtime import MIN_COSINE, MIN_COSINE_INT8

    assert real_embedder.runtime == cpu.resolve_model_options("auto", "auto")[1]
    if real_embedder.runtime != "openvino":
        assert real_embedder is torch_embedder
        return
    assert not hasattr(real_embedder, "model")
    texts = ["قال المتحدث إن الاجتماع عقد في المدينة بحضور مئات الأشخاص. " * n for n in (1, 3, 9)] + ["نص", "x"]
    caches = real_embedder.cache, torch_embedder.cache
    real_embedder.cache = torch_embedder.cache = QueryCache(0)
    try:
        ov_docs, ov_queries = real_embedder.embed_documents(texts), real_embedder.embed_queries(texts)
        pt_docs, pt_queries = torch_embedder.embed_documents(texts), torch_embedder.embed_queries(texts)
    finally:
        real_embedder.cache, torch_embedder.cache = caches
    close = MIN_COSINE_INT8 if real_embedder.precision == "int8" else MIN_COSINE  # int8 weights move ~1e-4
    assert np.sum(ov_docs * pt_docs, axis=1).min() > close
    assert np.sum(ov_queries * pt_queries, axis=1).min() > close
    assert np.sum(ov_docs * ov_queries, axis=1).max() < 0.999  # the two prompts still differ
    alone = np.concatenate([real_embedder._encode([t], "") for t in texts])
    assert np.sum(alone * real_embedder._encode(texts, ""), axis=1).min() > 0.999  # padding: rounding only


def test_cached_vectors_are_kept_apart_by_what_changes_them(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from assistant.embedding.cache import EmbeddingCache
    from assistant.embedding.openvino_runtime import VERSION, Artifacts, converter_tag

    def folder(**kw):
        emb = SimpleNamespace(model_id="m", weights_hash="h", dim=768, precision="int8", **kw)
        return EmbeddingCache.for_embedder(emb, tmp_path).folder.name

    assert folder() == "h-int8-768"
    assert folder(vector_tag="-avx2") != folder(vector_tag="-avx512-bf16")
    from importlib.metadata import version

    tag = converter_tag()
    assert f"openvino{version('openvino')}" in tag and f"torch{version('torch')}" in tag and tag.endswith(VERSION)
    assert Artifacts.at(tmp_path, "h").xml.name == f"h-{tag}.xml"
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "avx512f", "avx512_bf16"}))
    stub = SimpleNamespace(precision="int8")
    tag = embed.SentenceTransformerEmbedder.vector_tag_for(stub)
    assert tag.startswith("-avx512-bf16-")
    monkeypatch.setenv("FBGEMM_ENABLE_INSTRUCTIONS", "AVX2")
    assert embed.SentenceTransformerEmbedder.vector_tag_for(stub).startswith("-avx2-")
    monkeypatch.setattr(embed, "INT8_LAYERS", ("gate_proj", "up_proj"))  # other layers: other vectors
    assert embed.SentenceTransformerEmbedder.vector_tag_for(stub) not in (tag, "")
    assert embed.SentenceTransformerEmbedder.vector_tag_for(SimpleNamespace(precision="fp32")) == ""


@pytest.mark.parametrize(("flags", "openvino", "nncf", "expected"), [
    ({"avx2", "avx512f", "avx512_bf16"}, True, True, ("int8", "openvino")),  # OpenVINO, int8 weights
    ({"avx2", "avx512f", "avx512_bf16"}, True, False, ("bf16", "openvino")),  # nothing writes int8 weights
    ({"avx2", "avx512f", "avx512_bf16"}, False, True, ("bf16", "torch")),
    ({"avx2", "avx512f"}, True, True, ("fp32", "openvino")),  # AVX-512 without bf16: OpenVINO fp32
    ({"avx2", "fma"}, True, True, ("fp32", "openvino")),  # AVX2: OpenVINO fp32; int8 lost seeds_qa evidence
    ({"avx2", "fma"}, False, True, ("fp32", "torch")),
])
def test_auto_picks_per_cpu_class_what_was_measured(monkeypatch, flags, openvino, nncf, expected):
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset(flags))
    monkeypatch.setattr(cpu, "openvino_available", lambda: openvino)
    monkeypatch.setattr(cpu, "nncf_available", lambda: nncf)
    assert cpu.resolve_model_options("auto", "auto") == expected


def test_auto_precision_follows_an_explicit_runtime_or_precision(monkeypatch):
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "avx512f", "avx512_bf16"}))
    monkeypatch.setattr(cpu, "openvino_available", lambda: True)
    monkeypatch.setattr(cpu, "nncf_available", lambda: True)
    assert cpu.resolve_model_options("auto", "torch") == ("bf16", "torch")  # PyTorch's int8 is not picked
    assert cpu.resolve_model_options("bf16", "auto") == ("bf16", "openvino")
    assert cpu.resolve_model_options("fp32", "openvino") == ("fp32", "openvino")
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")  # the same machine restricted to AVX2
    assert cpu.resolve_model_options("auto", "auto") == ("fp32", "openvino")
    assert cpu.resolve_model_options("auto", "torch") == ("fp32", "torch")


def test_openvino_int8_keeps_the_narrowing_layers_and_the_heads_in_fp16():
    import openvino as ov
    import openvino.opset13 as ops

    from assistant.embedding.openvino_runtime import fp16_layers

    def linear(h, out: int, inp: int, name: str):
        product = ops.matmul(h, ops.constant(np.ones((out, inp), np.float32)), False, True)
        product.set_friendly_name(name)
        return product

    x = ops.parameter([1, 8], np.float32)
    h = linear(x, 16, 8, "widening")  # like gate/up
    h = linear(h, 16, 16, "square")  # like q/o
    h = linear(h, 8, 16, "narrowing")  # like k/v and down
    h = linear(h, 32, 8, "head1")
    h = linear(h, 8, 32, "head2")
    assert fp16_layers(ov.Model([h], [x])) == ["head1", "head2", "narrowing"]


def test_auto_falls_back_from_openvino_int8_to_openvino_bf16(monkeypatch):
    from assistant.config import Config
    from assistant.errors import GraphError

    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "avx512f", "avx512_bf16"}))
    monkeypatch.setattr(cpu, "openvino_available", lambda: True)
    monkeypatch.setattr(cpu, "nncf_available", lambda: True)
    tried = []

    def fake_openvino(model_path, *, precision, **options):
        tried.append(precision)
        if precision == "int8":
            raise GraphError("cannot compress the weights")
        return f"openvino {precision}"

    monkeypatch.setattr(embed, "OpenVINOEmbedder", fake_openvino)
    config = Config(embedder="gemma")
    assert embed.make_embedder(config) == "openvino bf16" and tried == ["int8", "bf16"]
    tried.clear()
    with pytest.raises(ModelError, match="cannot use the openvino runtime"):
        embed.make_embedder(Config(embedder="gemma", runtime="openvino", precision="int8"))
