"""The dense side: normalised vectors in a FAISS inner-product index, its type chosen by size.

Up to ``FLAT_MAX`` vectors the index is exact (``IndexFlatIP``: 3 KiB a passage, a few ms a
query). Beyond it, an inverted file with 8-bit scalar quantisation (``IVF<nlist>,SQ8``): a
quarter of the memory (768 bytes a passage: a million fit in under 1 GiB) and a search that
scans only ``nprobe`` of ``nlist`` clusters. benchmarks/bench_scale.py measures recall against
exact search at a million passages.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

FLAT_MAX = 50_000
TRAIN_PER_LIST = 40  # k-means sample per cluster (FAISS warns below 39)
SEED = 1234
TIE_SLACK = 16  # extra results asked of each segment, so equal scores at the k-th place rank by row


def ivf_lists(n: int) -> int:
    """Clusters for ``n`` vectors: the power of two nearest 2·√n (2048 for a million)."""
    return max(16, 2 ** round(math.log2(2 * math.sqrt(max(n, 1)))))


def default_nprobe(nlist: int) -> int:
    """Clusters scanned per query: 1/64 of them, at least 16 (recall@10 ≥ 0.95 in bench_scale)."""
    return min(nlist, max(16, nlist // 64))


def index_spec(n: int, flat_max: int = FLAT_MAX) -> str:
    """The FAISS factory string for a collection of ``n`` vectors."""
    return "Flat" if n <= flat_max else f"IVF{ivf_lists(n)},SQ8"


class RowScores(dict):
    """Scores of some rows (row -> score); every other row has ``default``: a candidate list's
    scores, looked up by row without an array the size of the index."""

    def __init__(self, rows: np.ndarray, scores: np.ndarray, default: float):
        super().__init__(zip(rows.tolist(), scores.tolist(), strict=True))
        self.default = default

    def __missing__(self, row: int) -> float:
        return self.default


class DenseIndex:
    def __init__(self, index):
        self.index = index

    @classmethod
    def build(cls, vectors: np.ndarray, *, flat_max: int | None = None) -> DenseIndex:
        """An exact index for small collections, IVF-SQ8 beyond ``flat_max`` (default
        ``FLAT_MAX``) vectors."""
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        spec = index_spec(n, FLAT_MAX if flat_max is None else flat_max)
        if spec == "Flat":
            index = faiss.IndexFlatIP(dim)
        else:
            index = faiss.index_factory(dim, spec, faiss.METRIC_INNER_PRODUCT)
            ivf = faiss.extract_index_ivf(index)
            sample = min(n, ivf.nlist * TRAIN_PER_LIST)
            rows = np.sort(np.random.default_rng(SEED).choice(n, sample, replace=False))
            index.train(vectors[rows])
            ivf.nprobe = default_nprobe(ivf.nlist)
        for start in range(0, n, 100_000):  # bounded temporary memory while encoding
            index.add(vectors[start:start + 100_000])
        return cls(index)

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def _ivf(self):
        import faiss

        try:
            return faiss.extract_index_ivf(self.index)
        except RuntimeError:  # not an inverted-file index
            return None

    def describe(self) -> dict:
        """What the manifest records about this index."""
        ivf = self._ivf()
        if ivf is None:
            return {"type": "flat-ip", "vectors": self.size}
        return {"type": "ivf-sq8", "factory": f"IVF{ivf.nlist},SQ8", "nlist": int(ivf.nlist),
                "nprobe": int(ivf.nprobe), "vectors": self.size, "bytes_per_vector": self.dim}

    def set_nprobe(self, nprobe: int) -> None:
        """Trade speed for recall on an IVF index (no effect on an exact one)."""
        ivf = self._ivf()
        if ivf is not None:
            ivf.nprobe = max(1, min(int(nprobe), ivf.nlist))

    def search(self, query_vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores, row ids) of the k nearest rows; ids of -1 are dropped."""
        scores, ids = self.search_many(query_vec.reshape(1, -1), k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def search_many(self, query_vecs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) arrays of shape (queries, k'); an IVF index pads with id -1."""
        k = min(k, self.size)
        if k <= 0:
            return np.zeros((len(query_vecs), 0), np.float32), np.zeros((len(query_vecs), 0), np.int64)
        return self.index.search(np.ascontiguousarray(query_vecs, np.float32), k)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        import faiss

        return cls(faiss.read_index(str(path)))


class DenseView(DenseIndex):
    """Several segments' dense indexes as one: a segment row's id is its index row (``positions``,
    -1 for deleted rows, which FAISS skips by an ``IDSelector``); each segment is searched as it
    would be alone, and the results are merged by score."""

    def __init__(self, parts: list[DenseIndex], positions: list[np.ndarray]):  # no FAISS index of its own
        import faiss

        self.parts, self._maps, self._params = parts, positions, []
        for part, pos in zip(parts, positions, strict=True):
            gone = np.flatnonzero(pos < 0)
            if len(gone):
                sel = faiss.IDSelectorNot(faiss.IDSelectorBatch(gone.astype(np.int64)))
                ivf = part._ivf()
                params = faiss.SearchParametersIVF(sel=sel, nprobe=int(ivf.nprobe)) if ivf is not None \
                    else faiss.SearchParameters(sel=sel)
                self._params.append((params, sel))  # the selector must outlive the parameters
            else:
                self._params.append(None)
        self._size = sum(int((pos >= 0).sum()) for pos in positions)

    @property
    def size(self) -> int:
        return self._size

    @property
    def dim(self) -> int:
        return self.parts[0].dim if self.parts else 0

    def describe(self) -> dict:
        return {"segments": [p.describe() for p in self.parts], "vectors": self.size}

    def set_nprobe(self, nprobe: int) -> None:
        for part, params in zip(self.parts, self._params, strict=True):
            part.set_nprobe(nprobe)
            if params is not None and part._ivf() is not None:
                params[0].nprobe = int(part._ivf().nprobe)

    def search_many(self, query_vecs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, live row ids) of shape (queries, k'), best first; padded with id -1."""
        k = min(k, self.size)
        q = np.ascontiguousarray(query_vecs, np.float32)
        if k <= 0:
            return np.zeros((len(q), 0), np.float32), np.zeros((len(q), 0), np.int64)
        all_scores, all_ids = [], []
        for part, row_map, params in zip(self.parts, self._maps, self._params, strict=True):
            kk = min(k + TIE_SLACK, part.size)  # rows tied at the cut are then kept by row, not by FAISS
            if kk <= 0:
                continue
            s, i = part.index.search(q, kk, params=params[0]) if params else part.index.search(q, kk)
            all_scores.append(np.where(i >= 0, s, -np.inf).astype(np.float32))
            all_ids.append(np.where(i >= 0, row_map[np.maximum(i, 0)], -1))
        scores, ids = np.concatenate(all_scores, axis=1), np.concatenate(all_ids, axis=1)
        # Best first; equal scores by row, so ties rank the same however the index is segmented.
        order = np.lexsort((np.where(ids >= 0, ids, np.iinfo(np.int64).max), -scores), axis=1)[:, :k]
        scores, ids = np.take_along_axis(scores, order, 1), np.take_along_axis(ids, order, 1)
        return np.where(ids >= 0, scores, -1.0).astype(np.float32), ids
