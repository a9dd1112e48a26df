"""The server's fast path for one question in OpenVINO: copies of the model compiled for a fixed shape
(one text of ``SIZES`` tokens: 32 by default), the question padded up to the nearest that holds it.

Why: the converted model takes any shape, and OpenVINO's CPU plugin prepares every kernel again
whenever the shape differs from the call before. Questions differ in length, so a server paid that
preparation on nearly every question: ``benchmarks/question_shapes_ab.py`` measured the server path
p50 at 37.8 and 30.9 ms with the dynamic model alone, 29.1 and 24.2 ms with a 32-token shape (two
runs, pooled questions, AVX512-BF16, load 1.1-1.2; on AVX2 kernels in OpenVINO fp32 it bought nothing
at p50, 56.0 vs 56.1 ms, and cut p95 from 82.3 to 64.7 ms). The padding is masked out of attention
and pooling: the vector moves by rounding only (cosine ≥ 0.999 to the unpadded one on pooled
questions; ``make eval`` unchanged).

Cost: each compiled shape holds its own repacked weights, ~350 MB beside the dynamic model, and
~1.7 s of compiling; hence one shape by default, and only ``assistant serve`` builds it
(``OpenVINOEmbedder.use_query_graph``, in a background thread, after the model is loaded). Until a
shape is ready, and for a question longer than the largest, the dynamic model answers. One-shot
commands never build them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

SIZES = (32,)  # holds 9 in 10 pooled questions with the query prompt (p50 23 tokens, p90 33)


def bucket(tokens: int, sizes: tuple[int, ...] = SIZES) -> int | None:
    """The smallest compiled size holding ``tokens``; None when it is longer than all."""
    return next((size for size in sizes if size >= tokens), None)


class QuestionShapes:
    """Encoders compiled for one text of each size in ``sizes``; built on ``start()``, in a thread.

    ``make(path, size)`` returns an encoder (``infer(embeds, mask)``) for that fixed shape.
    """

    def __init__(self, path: Path, make: Callable[[Path, int], object], sizes: tuple[int, ...] = SIZES):
        self.path, self.make, self.sizes = path, make, sizes
        self.ready: dict[int, object] = {}
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> threading.Thread:
        """Compile every size in a background thread (once); the thread is returned to join."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._build, name="openvino-shapes", daemon=True)
                self._thread.start()
            return self._thread

    def _build(self) -> None:
        for size in self.sizes:
            try:
                self.ready[size] = self.make(self.path, size)
            except Exception as exc:  # noqa: BLE001 - any failure leaves the dynamic model answering
                log.warning("question shape %d unavailable (%s); the dynamic model answers", size, exc)
                return

    def encoder_for(self, tokens: int):
        """(size, encoder) for a question of ``tokens``, or None when no compiled shape holds it yet."""
        size = bucket(tokens, self.sizes)
        encoder = self.ready.get(size) if size is not None else None
        return (size, encoder) if encoder is not None else None
