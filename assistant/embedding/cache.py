"""Embed only what is not known yet: the one routine (``embed_missing``) behind the index's reuse of
unchanged passages, the in-memory query cache and the on-disk embedding cache.

On disk, embeddings are remembered by content hash and model weights, so unchanged text is
embedded once.

Layout (plain files, no pickle)::

    <cache>/embeddings/<weights_hash>-<precision>-<dim>/documents.json   {"version", "model_id", "dim", "file", "keys"}
    <cache>/embeddings/<weights_hash>-<precision>-<dim>/documents-<tag>.npy   one row per key
    (and the same for queries: EmbeddingGemma embeds them with a different prompt)

The JSON names its .npy file and is replaced atomically, so a reader sees a complete
generation; a concurrent writer can at worst drop entries, never mix rows.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..decode import sha256_text

log = logging.getLogger(__name__)

CACHE_VERSION = 1
KINDS = ("documents", "queries")


def embed_missing(texts: list[str], known, embed_fn: Callable[[list[str]], np.ndarray], dim: int, *,
                  key: Callable[[str], str] = sha256_text) -> np.ndarray:
    """Vectors for ``texts`` (float32 rows in order), calling ``embed_fn`` once, on the distinct
    texts whose ``key`` is not in ``known``; their vectors are then stored in ``known``.

    Args:
        known: key -> vector; anything with ``get`` and item assignment (a dict, a QueryCache).
        key: how a text is looked up (its sha256 by default; the text itself for the query cache).
    """
    out = np.empty((len(texts), dim), dtype=np.float32)
    todo: dict[str, tuple[str, list[int]]] = {}
    for i, text in enumerate(texts):
        k = key(text)
        vec = known.get(k)
        if vec is None:
            todo.setdefault(k, (text, []))[1].append(i)
        else:
            out[i] = vec
    if todo:
        fresh = embed_fn([text for text, _ in todo.values()])
        for (k, (_, rows)), vec in zip(todo.items(), fresh, strict=True):
            out[rows] = vec
            known[k] = np.array(vec, dtype=np.float32)
    return out


class QueryCache:
    """Least-recently-used query text -> vector."""

    def __init__(self, size: int):
        self.size = size
        self.hits = self.misses = 0
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, text: str) -> np.ndarray | None:
        vec = self._items.get(text)
        if vec is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(text)
        return vec

    def __setitem__(self, text: str, vec: np.ndarray) -> None:
        if self.size <= 0:
            return
        self._items[text] = vec
        self._items.move_to_end(text)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def default_embedding_cache_dir() -> Path:
    from .model_store import default_cache_dir

    return default_cache_dir() / "embeddings"


class EmbeddingCache:
    """Vectors of one model, keyed by the sha256 of the exact text embedded."""

    def __init__(self, folder: Path, model_id: str, weights_hash: str, dim: int):
        self.folder = Path(folder)
        self.model_id, self.weights_hash, self.dim = model_id, weights_hash, dim
        self._vectors: dict[str, dict[str, np.ndarray]] = {}
        self._dirty: set[str] = set()

    @classmethod
    def for_embedder(cls, embedder, root: Path | None = None) -> EmbeddingCache:
        root = Path(root) if root else default_embedding_cache_dir()
        # Vectors differ (slightly) by precision and (wholly) by Matryoshka dim: keep them apart.
        # ``vector_tag`` names what else changes the vectors: the engine and its converter's versions
        # (OpenVINO), the kernels int8 ran on (fbgemm rounds differently on AVX2 and AVX-512).
        variant = (f"{embedder.weights_hash}-{getattr(embedder, 'precision', 'fp32')}-{embedder.dim}"
                   f"{getattr(embedder, 'vector_tag', '')}")
        return cls(root / variant, embedder.model_id, embedder.weights_hash, embedder.dim)

    def vectors(self, kind: str) -> dict[str, np.ndarray]:
        """sha256(text) -> vector for every cached text of ``kind`` (loaded once)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        if kind not in self._vectors:
            self._vectors[kind] = self._load(kind)
        return self._vectors[kind]

    def embed(self, kind: str, texts: list[str], embed_fn) -> np.ndarray:
        """Vectors for ``texts``, calling ``embed_fn(list)`` only for texts not cached yet."""
        known = self.vectors(kind)
        before = len(known)
        vectors = embed_missing(texts, known, embed_fn, self.dim)
        if len(known) > before:
            log.info("embedded %d new %s (%d cached)", len(known) - before, kind, len(texts) - (len(known) - before))
            self._dirty.add(kind)
        return vectors

    def save(self) -> None:
        """Write the kinds that changed; the old generation is removed after the swap."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for kind in sorted(self._dirty):
            known = self._vectors[kind]
            keys = sorted(known)
            name = f"{kind}-{uuid.uuid4().hex[:8]}.npy"
            matrix = np.stack([known[k] for k in keys]) if keys else np.zeros((0, self.dim), np.float32)
            np.save(self.folder / name, matrix.astype(np.float32), allow_pickle=False)
            meta = {"version": CACHE_VERSION, "model_id": self.model_id, "weights_hash": self.weights_hash,
                    "dim": self.dim, "file": name, "keys": keys}
            tmp = self.folder / f".{kind}.{uuid.uuid4().hex[:6]}.json"
            tmp.write_text(json.dumps(meta), "utf-8")
            os.replace(tmp, self.folder / f"{kind}.json")
            for old in self.folder.glob(f"{kind}-*.npy"):
                if old.name != name:
                    old.unlink(missing_ok=True)
        self._dirty.clear()

    def _load(self, kind: str) -> dict[str, np.ndarray]:
        meta_path = self.folder / f"{kind}.json"
        if not meta_path.is_file():
            return {}
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            matrix = np.load(self.folder / meta["file"], allow_pickle=False)
            ok = (meta.get("version") == CACHE_VERSION and meta.get("weights_hash") == self.weights_hash
                  and matrix.ndim == 2 and matrix.shape == (len(meta["keys"]), self.dim))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable embedding cache %s (%s)", meta_path, exc)
            return {}
        if not ok:
            log.warning("ignoring mismatched embedding cache %s", meta_path)
            return {}
        return dict(zip(meta["keys"], matrix, strict=True))


class CachedQueryEmbedder:
    """An embedder whose ``embed_queries`` answers from the cache first (for evaluation loops)."""

    def __init__(self, embedder, cache: EmbeddingCache):
        self.embedder, self.cache = embedder, cache
        self.model_id, self.weights_hash, self.dim = embedder.model_id, embedder.weights_hash, embedder.dim

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.cache.embed("queries", texts, self.embedder.embed_queries)

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        return self.cache.embed("documents", texts,
                                lambda todo: self.embedder.embed_documents(todo, show_progress=show_progress))
