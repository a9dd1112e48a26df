"""OpenVINO's compiled question shapes: one question padded to the nearest compiled size takes that
model; batches, documents, longer questions and a process that never built them take the dynamic one."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import numpy as np
import pytest

from assistant.embedding.openvino_runtime import OpenVINOModel
from assistant.embedding.question_shapes import QuestionShapes, bucket


def test_bucket_is_the_smallest_size_that_holds_the_question():
    assert bucket(5, (16, 32)) == 16
    assert bucket(16, (16, 32)) == 16
    assert bucket(17, (16, 32)) == 32
    assert bucket(33, (16, 32)) is None


class FakeEncoder:
    """Records each call's shapes; a vector that tells the encoder and the unmasked token count."""

    def __init__(self, tag: float):
        self.tag, self.calls = tag, []

    def infer(self, embeds: np.ndarray, mask: np.ndarray) -> np.ndarray:
        self.calls.append((embeds.shape, mask.copy()))
        return np.array([[self.tag, float(m.sum())] for m in mask], np.float32)


class FakeTokenizer:
    """One token per word, padded to the longest with id 0 (as ``load_tokenizer`` pads)."""

    def encode_batch(self, texts):
        longest = max(len(t.split()) for t in texts)
        out = []
        for t in texts:
            ids = [i + 1 for i in range(len(t.split()))]
            pad = longest - len(ids)
            out.append(SimpleNamespace(ids=ids + [0] * pad, attention_mask=[1] * len(ids) + [0] * pad))
        return out


def fake_model(sizes=(4, 8)) -> tuple[OpenVINOModel, FakeEncoder, dict[int, FakeEncoder]]:
    model = object.__new__(OpenVINOModel)
    model.meta = {"embed_scale": 1.0, "pad_id": 0}
    model.table = np.ones((16, 3), np.float16)
    model.tokenizer = FakeTokenizer()
    model.encoder = FakeEncoder(0.0)
    shaped = {size: FakeEncoder(float(size)) for size in sizes}
    model.shapes = QuestionShapes("model.xml", lambda path, size: shaped[size], sizes)
    return model, model.encoder, shaped


def test_one_question_is_padded_to_the_compiled_shape_that_holds_it():
    model, dynamic, shaped = fake_model()
    model.shapes.start().join()
    out = model.encode(["a b c"], question=True)
    assert out[0].tolist() == [4.0, 3.0]  # the 4-token model; the padding masked out
    (shape, mask), = shaped[4].calls
    assert shape == (1, 4, 3) and mask.tolist() == [[1, 1, 1, 0]]
    assert model.encode(["a b c d e"], question=True)[0].tolist() == [8.0, 5.0]
    assert not dynamic.calls


def test_batches_documents_long_questions_and_unbuilt_shapes_take_the_dynamic_model():
    model, dynamic, shaped = fake_model()
    assert model.encode(["a b"], question=True)[0, 0] == 0.0  # not built yet: `serve` builds them
    model.shapes.start().join()
    assert model.encode(["a b"])[0, 0] == 0.0  # a document
    assert model.encode(["a b", "c d e"], question=True)[:, 0].tolist() == [0.0, 0.0]  # a batch
    assert model.encode([" ".join("w" * 9)], question=True)[0, 0] == 0.0  # longer than every shape
    assert len(dynamic.calls) == 4 and not shaped[4].calls and not shaped[8].calls


def test_a_shape_that_fails_to_compile_leaves_the_dynamic_model_answering(caplog):
    def make(path, size):
        if size == 8:
            raise RuntimeError("no memory")
        return FakeEncoder(float(size))

    shapes = QuestionShapes("model.xml", make, (4, 8))
    with caplog.at_level(logging.WARNING):
        shapes.start().join()
    assert sorted(shapes.ready) == [4] and "question shape 8 unavailable" in caplog.text
    assert shapes.encoder_for(6) is None and shapes.encoder_for(3)[0] == 4
    assert shapes.start() is shapes.start()  # built once


@pytest.fixture(scope="module")
def openvino_embedder(real_embedder):
    """The model in OpenVINO: ``real_embedder`` where the machine's default is OpenVINO, otherwise one
    built for it (``ASSISTANT_RUNTIME=openvino``), so the shapes are tested on every CPU class."""
    if real_embedder.runtime == "openvino":
        return real_embedder
    from assistant.embedding.embedder import OpenVINOEmbedder

    return OpenVINOEmbedder(precision="fp32")


@pytest.mark.integration
def test_the_servers_question_shapes_give_the_dynamic_models_vectors(openvino_embedder):
    """``use_query_graph`` (what `assistant serve` calls) compiles the shapes; a question then takes
    one, and its vector differs from the dynamic model's by rounding only."""
    real_embedder = openvino_embedder
    questions = ["كم عدد الأشخاص الذين حضروا الاجتماع؟", "متى عقد الاجتماع في المدينة يوم الخميس الماضي؟"]
    saved, real_embedder.cache.size = real_embedder.cache.size, 0
    try:
        dynamic = real_embedder.embed_queries(questions)
        real_embedder.use_query_graph(build=True, report=lambda _: None).join(timeout=600)
        assert real_embedder.ov.shapes.ready, "no question shape compiled"
        calls = []
        for encoder in real_embedder.ov.shapes.ready.values():
            infer = encoder.infer
            encoder.infer = lambda e, m, infer=infer: calls.append(e.shape) or infer(e, m)
        shaped = np.concatenate([real_embedder.embed_queries([q]) for q in questions])
    finally:
        real_embedder.cache.size = saved
        for encoder in real_embedder.ov.shapes.ready.values():
            encoder.__dict__.pop("infer", None)
    assert len(calls) == len(questions)
    assert np.sum(dynamic * shaped, axis=1).min() > 0.999
