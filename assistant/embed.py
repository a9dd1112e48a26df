"""Turn text into unit vectors: EmbeddingGemma through sentence-transformers, or a fake for tests."""

from __future__ import annotations

import hashlib
import logging
from typing import Protocol

import numpy as np

from .model_store import MODEL_ID, ModelError, load_spec, resolve_model_path

log = logging.getLogger(__name__)


class Embedder(Protocol):
    model_id: str
    weights_hash: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """EmbeddingGemma with its retrieval prompts (``encode_query`` / ``encode_document``).

    Vectors come back L2-normalised float32, so inner product is cosine similarity.
    """

    def __init__(self, model_path: str | None = None, *, batch_size: int = 16, threads: int = 0):
        folder = resolve_model_path(model_path)
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        _quiet_transformers()
        try:
            self.model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load the embedding model from {folder}: {exc}") from exc
        self.batch_size = batch_size
        get_dim = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.model_id, self.weights_hash = _identify(folder)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        vecs = self.model.encode_query(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                       normalize_embeddings=True)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Sorting by length keeps batches of similar length, so little padding is computed.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        vecs = self.model.encode_document([texts[i] for i in order], batch_size=self.batch_size,
                                          convert_to_numpy=True, normalize_embeddings=True,
                                          show_progress_bar=show_progress)
        out = np.empty_like(vecs, dtype=np.float32)
        out[order] = vecs
        return out


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


class FakeEmbedder:
    """Deterministic hashed character-trigram vectors: fast, offline, for unit tests only."""

    model_id = "fake-trigram"
    weights_hash = "fake0001"

    def __init__(self, dim: int = 64):
        self.dim = dim

    def _embed(self, texts: list[str]) -> np.ndarray:
        from .normalize import normalize_arabic

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
