"""Embedding on a Ray cluster: `assistant build|add|rebuild --ray auto|ADDRESS`.

Only the embedding leaves the driver. Chunking, reuse of known vectors by content hash, segment
writing, the lock and the commit stay where the command runs; ``RayEmbedder`` is an embedder like
the local one (``embed_documents``), so the rest of the pipeline does not know Ray is there.

How a job runs:

- Texts are sorted longest first, as the local embedder batches them, and cut into blocks of
  ``block_size`` (a multiple of the batch size: each block is then whole local batches, and
  computes what the local model would). A block whose vectors are already in the
  checkpoint folder (``<index>/.embed-checkpoints/<model>-<precision>-<dim>/<block sha>.npy``) is not
  sent again: a rerun after a crash embeds only the rest. The checkpoints are removed once the
  command has committed (``RayEmbedder.close``).
- The blocks go to Ray Data from the driver (``ray.data.from_items``: no read stage, whose tasks
  could wait forever for CPUs the actors hold) and through ``map_batches`` with an actor pool of
  one actor per alive node (``SPREAD``); each actor loads the model once. An actor asks Ray for one
  CPU only (so it never starves the rest of the job), and sets its torch threads to the node's
  cores itself (Ray would set ``OMP_NUM_THREADS`` from the one CPU).
- Each actor reports, with every block, its model's weights hash, precision and dimension; the
  driver refuses the result if any differs from its own (the precision is resolved on the driver
  and passed explicitly: ``auto`` could pick bf16 on one machine and fp32 on another).
- Jobs under ``min_texts`` texts are embedded on the driver: starting actors costs more.

Ray is an optional extra (``pip install 'arabic-assistant[distributed]'``), imported only here and
only when ``--ray`` is given.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..config import DEFAULTS
from ..errors import ConfigError, ModelError

log = logging.getLogger(__name__)

INSTALL = "pip install 'arabic-assistant[distributed]'"
CHECKPOINTS = ".embed-checkpoints"
BLOCK_SIZE = DEFAULTS.ray_block  # texts per block: the unit of work and of checkpointing
MIN_TEXTS = DEFAULTS.ray_min_texts  # below this, embed on the driver


def import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError(f"--ray needs Ray, which is not installed; install it with: {INSTALL}") from None
    return ray


def identity(embedder) -> tuple[str, str, int]:
    """(weights hash, precision, dim): what must be equal on every machine; the precision names the
    runtime too when it is not PyTorch ("bf16+openvino": another engine rounds differently)."""
    runtime = getattr(embedder, "runtime", "torch")
    precision = getattr(embedder, "precision", "fp32") + ("" if runtime == "torch" else f"+{runtime}")
    return embedder.weights_hash, precision, int(embedder.dim)


class _Actor:
    """One per node: loads the model once, embeds blocks, says who it is with each."""

    def __init__(self, factory: Callable[[], object], threads: int):
        import torch

        if threads:
            os.environ["OMP_NUM_THREADS"] = str(threads)
            torch.set_num_threads(threads)
        self.embedder = factory()
        self.who = identity(self.embedder)

    def __call__(self, batch: dict) -> dict:
        import ray

        node = ray.get_runtime_context().get_node_id()
        vectors = [np.ascontiguousarray(self.embedder.embed_documents([str(t) for t in texts]), np.float32).tobytes()
                   for texts in batch["texts"]]
        n = len(batch["block"])
        return {"block": batch["block"], "vectors": np.array(vectors, dtype=object),
                "weights_hash": np.array([self.who[0]] * n), "precision": np.array([self.who[1]] * n),
                "dim": np.array([self.who[2]] * n), "node": np.array([node] * n)}


class RayEmbedder:
    """``embed_documents`` on a Ray cluster (see the module docstring).

    Args:
        factory: returns the embedder, on the driver and in each actor (picklable: it is shipped to
            the nodes); give it an explicit precision.
        address: "auto" (the cluster this machine belongs to, or $RAY_ADDRESS) or host:port.
        checkpoints: the folder for finished blocks (inside the index folder).
        threads: torch threads per actor (0: the node's cores).
    """

    def __init__(self, factory: Callable[[], object], address: str, checkpoints: Path, *,
                 block_size: int = BLOCK_SIZE, min_texts: int = MIN_TEXTS, threads: int = 0):
        self.factory, self.address, self.block_size, self.min_texts = factory, address, block_size, min_texts
        self.local = factory()  # the reference identity, and the embedder of small jobs
        self.model_id, self.weights_hash, self.dim = self.local.model_id, self.local.weights_hash, self.local.dim
        self.precision = getattr(self.local, "precision", "fp32")
        self.folder = Path(checkpoints) / "-".join(map(str, identity(self.local)))
        self.threads = threads
        self.nodes: Counter[str] = Counter()  # blocks embedded per node id
        self.remote = self.resumed = 0  # texts embedded on the cluster / read from checkpoints

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.local.embed_queries(texts)

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        if len(texts) < self.min_texts:
            return self.local.embed_documents(texts, show_progress=show_progress)
        # Longest first, as the local embedder batches (embedder.length_sorted): a block of whole
        # batches then holds the texts, and computes the vectors, of the local batches.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        ordered = [texts[i] for i in order]
        blocks = [ordered[i:i + self.block_size] for i in range(0, len(texts), self.block_size)]
        keys = [_block_key(b) for b in blocks]
        out: dict[int, np.ndarray] = {}
        for i, key in enumerate(keys):
            vecs = self._checkpoint(key, len(blocks[i]))
            if vecs is not None:
                out[i] = vecs
                self.resumed += len(blocks[i])
        todo = [i for i in range(len(blocks)) if i not in out]
        if todo:
            log.info("embedding %d blocks on Ray (%d from checkpoints)", len(todo), len(out))
            for i, vecs in self._run([(i, blocks[i]) for i in todo]):
                self._save(keys[i], vecs)
                out[i] = vecs
                self.remote += len(blocks[i])
        if not blocks:
            return np.zeros((0, self.dim), np.float32)
        vectors = np.empty((len(texts), self.dim), np.float32)
        vectors[order] = np.concatenate([out[i] for i in range(len(blocks))])
        return vectors

    def _run(self, work: list[tuple[int, list[str]]]):
        """(block number, vectors) as the cluster finishes them."""
        ray = import_ray()
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, logging_level=logging.WARNING, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ConfigError(f"cannot connect to a Ray cluster at {self.address!r} ({exc}); start one with: "
                                  "ray start --head (see README \"Scaling out\")") from None
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        threads = self.threads or 0
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        data = ray.data.from_items([{"block": i, "texts": texts} for i, texts in work])
        results = data.map_batches(
            _Actor, fn_constructor_args=(self.factory, threads), batch_size=1, num_cpus=1,
            compute=ray.data.ActorPoolStrategy(size=max(1, min(len(nodes), len(work)))), batch_format="numpy",
            ray_remote_args_fn=_spread)
        want = identity(self.local)
        for row in results.iter_rows():
            got = (str(row["weights_hash"]), str(row["precision"]), int(row["dim"]))
            if got != want:
                raise ModelError(f"a Ray worker on node {row['node']} loaded model {got[0]} ({got[1]}, dim {got[2]}), "
                                 f"not the driver's {want[0]} ({want[1]}, dim {want[2]}); install the same model "
                                 "on every node (assistant model) and give the same precision")
            self.nodes[str(row["node"])] += 1
            yield int(row["block"]), np.frombuffer(row["vectors"], np.float32).reshape(-1, self.dim)

    def _checkpoint(self, key: str, n: int) -> np.ndarray | None:
        path = self.folder / f"{key}.npy"
        try:
            vecs = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None
        return vecs if vecs.shape == (n, self.dim) else None

    def _save(self, key: str, vecs: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{key}.{uuid.uuid4().hex[:6]}.npy"
        np.save(tmp, vecs, allow_pickle=False)
        os.replace(tmp, self.folder / f"{key}.npy")  # a block's checkpoint is whole or absent

    def close(self) -> None:
        """After the command committed: the checkpoints are no longer needed."""
        shutil.rmtree(self.folder.parent, ignore_errors=True)


def _spread() -> dict:
    """Actors on different nodes (one per node with the pool sized to the nodes)."""
    return {"scheduling_strategy": "SPREAD"}


def make_ray_embedder(config, address: str, index_dir: Path, **options) -> RayEmbedder:
    """A RayEmbedder for ``config``'s model, its precision and runtime resolved here and passed explicitly."""
    from dataclasses import replace
    from functools import partial

    from .cpu import resolve_model_options
    from .embedder import make_embedder

    import_ray()  # before the model loads: a missing extra fails at once
    if config.embedder != "fake":
        precision, runtime = resolve_model_options(config.precision, config.runtime)
        config = replace(config, precision=precision, runtime=runtime)
    options = {"block_size": config.ray_block, "min_texts": config.ray_min_texts, "threads": config.threads, **options}
    return RayEmbedder(partial(make_embedder, config), address, Path(index_dir) / CHECKPOINTS, **options)


def _block_key(texts: list[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(hashlib.sha256(t.encode("utf-8")).digest())
    return h.hexdigest()[:32]
