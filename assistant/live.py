"""A searcher that follows the index folder: after a rebuild, `add`, `remove` or merge, the next
query sees it.

Long-running processes (the UI) hold one of these instead of a fixed Searcher, so they keep
serving the old commit while a new one is written and switch once CURRENT changes. Segments are
immutable, so a reload reads only the segments the new commit adds; the others are reused.
"""

from __future__ import annotations

import threading
from pathlib import Path

from .config import DEFAULTS, Config
from .errors import IndexStateError
from .search import Searcher
from .store import POINTER, load_index

# Reloads attempted when the generation being loaded is replaced (and deleted) by a newer update.
RELOADS = 3


class LiveSearcher:
    def __init__(self, index_dir: Path, embedder, config: Config = DEFAULTS):
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.config = config
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._searcher: Searcher | None = None
        self.current()  # fail now, not on the first query, if the index is unusable

    def _pointer(self) -> str:
        return (self.index_dir / POINTER).read_text().strip()

    def current(self) -> Searcher:
        """The Searcher for the live commit, reloaded when the commit changed."""
        generation = self._pointer()
        if generation == self._generation and self._searcher is not None:
            return self._searcher
        with self._lock:
            if generation != self._generation or self._searcher is None:
                index = self._load(generation)
                self._searcher = Searcher(index, self.embedder, self.config)
                self._generation = index.folder.name
            return self._searcher

    def _load(self, generation: str):
        """Load the live commit. Two updates in quick succession can delete the one being read;
        CURRENT then names a newer one, which is what we want anyway: load that instead."""
        for attempt in range(RELOADS):
            try:
                return load_index(self.index_dir, self._searcher.index if self._searcher else None)
            except IndexStateError:
                newer = self._pointer()
                if newer == generation or attempt == RELOADS - 1:
                    raise
                generation = newer

    def search(self, query: str, k: int = DEFAULTS.top_k, **kwargs):
        return self.current().search(query, k, **kwargs)
