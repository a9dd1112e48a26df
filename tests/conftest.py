"""Shared fixtures: a fake embedder for unit tests; the real model and seeds index for integration."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"


def stored_vectors(index):
    """The passage vectors a loaded index holds on disk (row i = live passage i)."""
    from assistant.store import live_vectors

    return live_vectors(index)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path_factory):
    """No test reads or writes the user's real index or caches by accident."""
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path_factory.getbasetemp() / "default-index"))
    monkeypatch.delenv("ASSISTANT_TOP_K", raising=False)


@pytest.fixture
def fake_embedder():
    from assistant.embedding.embedder import FakeEmbedder

    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    """EmbeddingGemma from the verified cache or $ASSISTANT_MODEL_PATH (installed by `make model`),
    in the runtime the product picks on this machine (OpenVINO or PyTorch)."""
    from assistant.config import Config
    from assistant.embedding.embedder import make_embedder

    return make_embedder(Config.from_env())


@pytest.fixture(scope="session")
def torch_embedder(real_embedder):
    """The model in PyTorch (the compiled query graph's runtime, and the reference for OpenVINO):
    ``real_embedder`` itself where that runs in PyTorch."""
    from assistant.embedding.embedder import SentenceTransformerEmbedder

    return real_embedder if real_embedder.runtime == "torch" else SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def seeds_index(real_embedder, tmp_path_factory) -> Path:
    """The real hybrid index of seeds/, built once per test session."""
    from assistant.sources import read_documents, read_examples
    from assistant.store import build_index

    index_dir = tmp_path_factory.mktemp("seeds-index")
    build_index(read_documents([SEEDS]), real_embedder, index_dir, source_roots=[str(SEEDS)],
                examples=read_examples([SEEDS]))
    return index_dir


@pytest.fixture(scope="session")
def seeds_searcher(seeds_index, real_embedder):
    from assistant.search import Searcher
    from assistant.store import load_index

    return Searcher(load_index(seeds_index), real_embedder)


def launch_ui(index_dir, embedder):
    """Start the web UI on a free localhost port; returns (demo, url)."""
    from assistant.config import Config
    from assistant.ui.server import start
    from assistant.ui.service import UIService

    return start(UIService(Config(index_dir=index_dir, uploads=0), embedder=embedder))


@pytest.fixture(scope="session")
def seeds_ui_url(seeds_index, real_embedder):
    """The UI on the real seeds index, shared by the gradio_client and browser tests."""
    demo, url = launch_ui(seeds_index, real_embedder)
    yield url
    demo.close()
