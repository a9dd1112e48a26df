"""A micro-batcher for questions: concurrent searches have their questions embedded together.

A server answering many users at once calls ``embed_queries([question])`` from many threads.
:class:`QueryBatcher` wraps the embedder with the same interface: each call waits in a queue;
one worker thread takes every question waiting (up to ``max_batch``, after at most ``wait_ms``
for late-comers) and embeds them in one go, then hands each caller its row. Threads never run
forward passes side by side (two passes on two cores only fight over them). It sits at the
embedder, not at ``Searcher.search_many`` (one ``k`` and one filter set for all its questions),
so searches with their own options and the answers' searches share batches too.

Which path embeds a batch is measured, not assumed (``benchmarks/bench_batch.py``, README "Many
users at once"): the compiled query graph takes one question at a time, and on the 2-core server
one compiled call per question beat one eager pass over the batch at every size from 2 to 16
(e.g. 90 vs 107 ms per question at 8), so while the graph is loaded the batch goes one by one,
each caller released as soon as its own vector is done (``eager_from`` can change that). Without
the graph (while it compiles, with int8, or ``query_graph=0``) a batch is one eager pass, about
half the time per question of eager calls one by one at 8-16 questions. With the OpenVINO runtime
(no ``graph``; any batch size) a batch is one pass too: 130-150 ms per question against 160-210
one by one at 2-16 questions on the same machine under a load average of 11.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter

import numpy as np

log = logging.getLogger(__name__)



class _Request:
    __slots__ = ("texts", "done", "result", "error")

    def __init__(self, texts: list[str]):
        self.texts = texts
        self.done = threading.Event()
        self.result: np.ndarray | None = None
        self.error: BaseException | None = None


class QueryBatcher:
    """``embedder`` with concurrent ``embed_queries`` calls batched; everything else passes through."""

    def __init__(self, embedder, *, max_batch: int = 16, wait_ms: float = 2.0, eager_from: int | None = None):
        self.inner = embedder
        self.model_id, self.weights_hash, self.dim = embedder.model_id, embedder.weights_hash, embedder.dim
        self.max_batch = max(1, max_batch)
        self.wait = max(0.0, wait_ms) / 1000
        self.eager_from = eager_from  # batch size from which one eager pass beats the graph; None = never
        self.sizes: Counter[int] = Counter()  # batch size -> how many batches ran (for benchmarks)
        self._queue: queue.SimpleQueue[_Request] = queue.SimpleQueue()
        self._worker = threading.Thread(target=self._run, name="query-batcher", daemon=True)
        self._worker.start()

    def __getattr__(self, name):  # use_query_graph, graph_status, precision, embed_documents, ...
        return getattr(self.inner, name)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return self.inner.embed_queries(texts)
        request = _Request(list(texts))
        self._queue.put(request)
        request.done.wait()
        if request.error is not None:
            raise request.error
        return request.result

    def _collect(self) -> list[_Request]:
        batch = [self._queue.get()]
        count = len(batch[0].texts)
        deadline = time.monotonic() + self.wait
        while count < self.max_batch:
            try:
                request = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            batch.append(request)
            count += len(request.texts)
        return batch

    def _run(self) -> None:
        while True:
            batch = self._collect()
            texts = list(dict.fromkeys(t for r in batch for t in r.texts))  # a repeated question once
            self.sizes[len(texts)] += 1
            try:
                if self._one_by_one(len(texts)):
                    self._each(batch)
                else:
                    self._hand_out(batch, texts, self.inner.embed_queries(texts))
            except BaseException as exc:  # every waiting caller gets the error; the worker carries on
                for r in batch:
                    if not r.done.is_set():
                        r.error = exc
                        r.done.set()

    def _one_by_one(self, n: int) -> bool:
        compiled = getattr(self.inner, "graph", None) is not None
        return n == 1 or (compiled and (self.eager_from is None or n < self.eager_from))

    def _each(self, batch: list[_Request]) -> None:
        """Compiled calls, one question at a time: each caller goes as soon as its vectors are done."""
        known: dict[str, np.ndarray] = {}
        for r in batch:
            missing = [t for t in dict.fromkeys(r.texts) if t not in known]
            for t in missing:
                known[t] = self.inner.embed_queries([t])[0]
            r.result = np.stack([known[t] for t in r.texts])
            r.done.set()

    @staticmethod
    def _hand_out(batch: list[_Request], texts: list[str], vectors: np.ndarray) -> None:
        row = {t: i for i, t in enumerate(texts)}
        for r in batch:
            r.result = vectors[[row[t] for t in r.texts]]
            r.done.set()
