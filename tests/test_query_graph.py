"""The compiled query path: where it is cached, when it refuses, and that it gives the eager
model's vectors and rankings (compiled for real once per run, into a temporary cache)."""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import pytest
from test_integration import QUESTIONS

from assistant.embedding.query_graph import (
    VERSION,
    GraphError,
    attach,
    check_layout,
    compile_in_subprocess,
    package_path,
)


def _module(name: str, **attrs):
    return type(name, (), attrs)()


def gemma_layout():
    return [_module("Transformer"), _module("Pooling", pooling_mode="mean", include_prompt=True),
            _module("Dense"), _module("Dense"), _module("Normalize")]


def stand_in(precision="bf16", model=None, weights_hash="abc123", folder="/nonexistent"):
    """Just what ``attach`` reads and writes of an embedder."""
    return SimpleNamespace(precision=precision, model=model or gemma_layout(), weights_hash=weights_hash,
                           folder=folder, graph=None, graph_status="off")


def test_package_path_names_model_precision_torch_and_cpu(tmp_path):
    import torch

    path = package_path(tmp_path, "abc123", "bf16")
    assert path.parent == tmp_path / "query-graph"
    assert path.name.startswith("abc123-bf16-") and path.suffix == ".pt2"
    assert torch.__version__ in path.name and VERSION in path.name
    assert package_path(tmp_path, "abc123", "fp32") != path


def test_layout_check_accepts_embeddinggemma_and_refuses_others():
    check_layout(gemma_layout())
    check_layout(gemma_layout()[:-1])  # no Normalize: we normalise ourselves
    with pytest.raises(GraphError, match="Transformer → Pooling → Dense"):
        check_layout([_module("Transformer"), _module("Pooling", pooling_mode="cls"), _module("Dense")])
    with pytest.raises(GraphError, match="LayerNorm"):
        check_layout([_module("Transformer"), _module("Pooling", pooling_mode="mean"), _module("LayerNorm")])
    with pytest.raises(GraphError):  # mean over the question only, not the prompt: not what we export
        check_layout([_module("Transformer"), _module("Pooling", pooling_mode="mean", include_prompt=False)])


@pytest.mark.parametrize(("embedder", "message"), [
    (stand_in(), "not compiled yet (assistant compile)"),
    (stand_in(precision="int8"), "for fp32 and bf16, not int8"),
    (stand_in(model=[_module("Transformer"), _module("Pooling", pooling_mode="max")]), "laid out as"),
])
def test_attach_without_a_usable_graph_stays_eager(embedder, message, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path))
    said = []
    attach(embedder, build=False, report=said.append)
    assert embedder.graph is None
    assert embedder.graph_status.startswith("unavailable:") and message in embedder.graph_status
    assert len(said) == 1 and "eager" in said[0] and "\n" not in said[0]


def test_a_corrupt_package_is_reported_not_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path))
    embedder = stand_in()
    target = package_path(tmp_path, embedder.weights_hash, embedder.precision)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not a package" * 100)
    attach(embedder, build=False, report=lambda _: None)
    assert embedder.graph is None
    assert "cannot load the query graph" in embedder.graph_status


def test_a_failed_compile_names_its_log(tmp_path):
    target = tmp_path / "query-graph" / "x.pt2"
    with pytest.raises(GraphError, match=r"compiling the query graph failed .*log: .*x\.log") as err:
        compile_in_subprocess(tmp_path / "no-model-here", "bf16", target, timeout=300)
    assert "\n" not in str(err.value)
    assert not target.exists()


# --- the real model, compiled once for this module ----------------------------------------

@pytest.fixture(scope="module")
def graph_embedder(torch_embedder, tmp_path_factory):
    """``torch_embedder`` with its compiled query path (built into a temporary cache); restored
    to eager, with its query cache off meanwhile, after the module."""
    from assistant.embedding.cache import QueryCache

    old_env, old_cache = os.environ.get("ASSISTANT_CACHE_DIR"), torch_embedder.cache
    os.environ["ASSISTANT_CACHE_DIR"] = str(tmp_path_factory.mktemp("graph-cache"))
    torch_embedder.cache = QueryCache(0)
    try:
        torch_embedder.use_query_graph(build=True, report=lambda _: None).join(timeout=1500)
        assert torch_embedder.graph_status == "ready", torch_embedder.graph_status
        yield torch_embedder
    finally:
        torch_embedder.graph, torch_embedder.graph_status, torch_embedder.cache = None, "off", old_cache
        if old_env is None:
            os.environ.pop("ASSISTANT_CACHE_DIR", None)
        else:
            os.environ["ASSISTANT_CACHE_DIR"] = old_env


class Counting:
    """Wraps the loaded graph, counting the questions it really answered."""

    def __init__(self, graph):
        self.graph, self.calls = graph, 0

    def accepts(self, texts):
        return self.graph.accepts(texts)

    def encode(self, model, texts):
        self.calls += 1
        return self.graph.encode(model, texts)


def eager_and_graph(embedder, texts: list[str]) -> tuple[np.ndarray, np.ndarray, int]:
    graph, counting = embedder.graph, Counting(embedder.graph)
    try:
        embedder.graph = None
        eager = np.concatenate([embedder.embed_queries([t]) for t in texts])
        embedder.graph = counting
        fast = np.concatenate([embedder.embed_queries([t]) for t in texts])
    finally:
        embedder.graph = graph
    return eager, fast, counting.calls


@pytest.mark.integration
def test_graph_gives_the_eager_vectors(graph_embedder):
    texts = [q for q, _ in QUESTIONS]
    eager, fast, calls = eager_and_graph(graph_embedder, texts)
    assert calls == len(texts)
    cosines = np.sum(eager * fast, axis=1)
    assert cosines.min() > 0.999, cosines
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)


@pytest.mark.integration
def test_graph_handles_a_question_longer_than_the_sliding_window(graph_embedder):
    long = " ".join(q for q, _ in QUESTIONS) * 8  # ~900 tokens: past the 512-token local attention
    assert len(graph_embedder.model.preprocess([long])["input_ids"][0]) > 600
    eager, fast, calls = eager_and_graph(graph_embedder, [long[:2000]])
    assert calls == 1 and float(eager[0] @ fast[0]) > 0.999


@pytest.mark.integration
def test_batches_take_the_eager_path(graph_embedder):
    counting = Counting(graph_embedder.graph)
    graph_embedder.graph = counting
    try:
        vecs = graph_embedder.embed_queries([QUESTIONS[0][0], QUESTIONS[1][0]])
    finally:
        graph_embedder.graph = counting.graph
    assert counting.calls == 0 and vecs.shape == (2, graph_embedder.dim)


@pytest.mark.integration
def test_a_failing_graph_sends_the_question_eager(graph_embedder, caplog):
    graph, question = graph_embedder.graph, QUESTIONS[0][0]

    def broken(_embeds):
        raise RuntimeError("simulated failure")

    real_runner, graph.runner = graph.runner, broken
    try:
        vec = graph_embedder.embed_queries([question])
    finally:
        graph.runner = real_runner
    graph_embedder.graph = None
    try:
        eager = graph_embedder.embed_queries([question])
    finally:
        graph_embedder.graph = graph
    assert np.array_equal(vec, eager)  # exactly the eager path's vector
    assert "simulated failure" in caplog.text and "goes eager" in caplog.text


@pytest.mark.integration
def test_search_ranks_the_same_with_the_graph(graph_embedder, seeds_index):
    from assistant.search import Searcher
    from assistant.store import load_index

    searcher = Searcher(load_index(seeds_index), graph_embedder)
    graph = graph_embedder.graph
    for question, _ in QUESTIONS:
        graph_embedder.graph = None
        eager = [h.passage.passage_id for h in searcher.search(question, 5)]
        graph_embedder.graph = graph
        fast = [h.passage.passage_id for h in searcher.search(question, 5)]
        assert fast[0] == eager[0], question
        assert len(set(fast) & set(eager)) >= 4, question


@pytest.mark.integration
def test_a_second_start_loads_the_cached_graph(graph_embedder):
    twin = stand_in(graph_embedder.precision, graph_embedder.model, graph_embedder.weights_hash,
                    graph_embedder.folder)
    said = []
    attach(twin, build=False, report=said.append)  # build=False: it must come from the cache
    assert twin.graph_status == "ready" and said == ["fast query path ready"]


def test_serve_turns_the_compiled_path_on_unless_configured_off(monkeypatch, tmp_path):
    from assistant.config import Config
    from assistant.embedding import embedder as embedding
    from assistant.sources import read_documents
    from assistant.store import build_index
    from assistant.ui.service import UIService

    builds = []

    class Embedder(embedding.FakeEmbedder):
        def use_query_graph(self, *, build, report):
            builds.append(build)

    text = "نص قصير للاختبار."
    (tmp_path / "a.txt").write_text(text, "utf-8")
    build_index(read_documents([tmp_path / "a.txt"]), Embedder(), tmp_path / "index")
    monkeypatch.setattr(embedding, "make_embedder", lambda config: Embedder())
    for flag in (1, 0):  # the server loads the model in the background, then switches the path on
        service = UIService(Config(index_dir=tmp_path / "index", query_graph=flag), background=True)
        service.start_loading()
        assert service.wait_ready(30)
    assert builds == [True]


def test_compile_command_refuses_int8_in_one_line(monkeypatch):
    from click.testing import CliRunner

    from assistant.cli import cli

    monkeypatch.setenv("ASSISTANT_PRECISION", "int8")
    result = CliRunner().invoke(cli, ["compile"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: the compiled query path is for fp32 and bf16, not int8"
