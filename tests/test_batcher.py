"""The micro-batcher: concurrent questions share one embedding call, each caller gets its own row."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from assistant.batcher import QueryBatcher
from assistant.embedding.embedder import FakeEmbedder


class Slow(FakeEmbedder):
    """A fake model whose forward pass takes a while, recording each batch it is given."""

    def __init__(self, fail_on: str | None = None):
        super().__init__()
        self.calls: list[list[str]] = []
        self.fail_on = fail_on

    def embed_queries(self, texts):
        self.calls.append(list(texts))
        time.sleep(0.05)
        if self.fail_on in texts:
            raise RuntimeError("model failed")
        return super().embed_queries(texts)


def ask_all(batcher, questions):
    out, errors = {}, {}
    gate = threading.Barrier(len(questions))

    def one(q):
        gate.wait()
        try:
            out[q] = batcher.embed_queries([q])
        except RuntimeError as exc:
            errors[q] = str(exc)

    threads = [threading.Thread(target=one, args=(q,)) for q in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return out, errors


def test_concurrent_questions_share_a_call_and_get_their_own_vectors():
    inner = Slow()
    batcher = QueryBatcher(inner, max_batch=16, wait_ms=5)
    questions = [f"سؤال رقم {i} عن الهجوم" for i in range(10)]
    out, errors = ask_all(batcher, questions)
    assert errors == {} and len(out) == 10
    assert len(inner.calls) < 10 and max(len(c) for c in inner.calls) > 1  # batched
    reference = FakeEmbedder()
    for q, vec in out.items():
        assert vec.shape == (1, reference.dim)
        assert np.allclose(vec, reference.embed_queries([q]))
    assert sum(n * c for n, c in batcher.sizes.items()) == 10


def test_batches_are_capped_and_repeats_embedded_once():
    inner = Slow()
    batcher = QueryBatcher(inner, max_batch=4, wait_ms=20)
    out, _ = ask_all(batcher, [f"س {i}" for i in range(9)])
    assert len(out) == 9 and max(len(c) for c in inner.calls) <= 4
    vecs = batcher.embed_queries(["مكرر", "مكرر", "آخر"])
    assert inner.calls[-1] == ["مكرر", "آخر"] and np.allclose(vecs[0], vecs[1])


def test_an_error_reaches_every_caller_of_its_batch_and_the_worker_survives():
    inner = Slow(fail_on="bad")
    batcher = QueryBatcher(inner, max_batch=16, wait_ms=20)
    out, errors = ask_all(batcher, ["bad", "good one", "another"])
    assert errors and all(e == "model failed" for e in errors.values()) and "bad" in errors
    assert batcher.embed_queries(["after"]).shape == (1, inner.dim)


def test_with_a_compiled_graph_small_batches_go_one_by_one():
    inner = Slow()
    inner.graph = object()  # stands for a loaded compiled graph
    batcher = QueryBatcher(inner, max_batch=16, wait_ms=20, eager_from=4)
    out, errors = ask_all(batcher, ["a", "b", "c"])
    assert errors == {} and sorted(inner.calls) == [["a"], ["b"], ["c"]]
    assert all(np.allclose(out[q], FakeEmbedder().embed_queries([q])) for q in out)
    inner.calls.clear()
    ask_all(batcher, ["a", "b", "c", "d"])
    assert sorted(map(len, inner.calls))[-1] > 1  # four or more at once: one eager pass


@pytest.mark.parametrize("name", ["model_id", "weights_hash", "dim"])
def test_passes_the_model_identity_through(name):
    inner = FakeEmbedder()
    assert getattr(QueryBatcher(inner), name) == getattr(inner, name)
