"""One configuration object: every default lives here, overridable from ASSISTANT_* variables and the CLI.

No other module reads the environment for settings: they take a ``Config`` (or one of its
values) from their caller, and the interfaces build it once with ``Config.from_env``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .errors import ConfigError

APP_NAME = "arabic-assistant"  # the cache's sub-folder


@dataclass(frozen=True)
class Config:
    index_dir: Path = Path("index")
    model_path: str | None = None  # a local sentence-transformers folder; None = verified cache
    model_spec: Path | None = None  # the model's download spec; None = packaged or ../shared/model
    cache_dir: Path | None = None  # None = $XDG_CACHE_HOME/arabic-assistant or ~/.cache/arabic-assistant
    eval_dir: Path | None = None  # None = ../shared/eval beside the repository
    top_k: int = 5  # passages a search returns
    answer_k: int = 8  # passages an answer may cite
    max_history: int = 20  # earlier questions of a conversation a follow-up may draw on
    max_results: int = 100  # the most any interface returns for one question
    max_passage_chars: int = 700
    overlap_sentences: int = 0
    candidates: int = 50  # depth each retriever contributes to fusion
    evidence: int = 1  # 1 = re-rank the top candidates by their best sentence and mark it; 0 = off
    batch_size: int = 16
    max_query_chars: int = 2000
    threads: int = 0  # 0 = leave torch's default
    # embedding model: auto (int8 weights on OpenVINO where the CPU has bf16, else bf16 / fp32) | fp32 | bf16 | int8
    precision: str = "auto"
    runtime: str = "auto"  # what runs the model: auto (OpenVINO on CPUs with native bf16) | torch | openvino
    embed_dim: int = 0  # Matryoshka truncation of vectors (512/256/128); 0 = all 768
    query_cache: int = 256  # recent query vectors kept in memory
    query_graph: int = 1  # 1 = the server compiles (once) and uses the fast query path; 0 = eager only
    query_batch: int = 16  # the server embeds up to this many concurrent questions together; 1 = off
    query_batch_wait_ms: int = 2  # how long a question waits for others to join its batch
    embedder: str = "gemma"  # "fake" = the deterministic test embedder (no model)
    uploads: int = 1  # 0 = no upload panel in the UI (ASSISTANT_UPLOADS=0)
    upload_max_mb: int = 20  # per uploaded file
    upload_max_files: int = 20  # per upload
    upload_max_passages: int = 300  # per uploaded file: longer texts would hold the CPU for minutes
    remote: int = 1  # 1 = `search`/`ask` send the question to a server running on the same index
    user: str = ""  # sign-in for that server when it has users (ASSISTANT_USER)
    password: str = field(default="", repr=False)  # (ASSISTANT_PASSWORD; never printed)
    ray_block: int = 256  # --ray: texts per block sent to a worker (the unit of checkpointing)
    ray_min_texts: int = 1024  # --ray: jobs with fewer texts to embed are embedded locally

    @classmethod
    def from_env(cls, **overrides) -> Config:
        """Defaults, then ASSISTANT_<FIELD> variables, then explicit non-None overrides."""
        values: dict = {}
        for f in fields(cls):
            raw = os.environ.get(f"ASSISTANT_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            kind = str(f.type)
            if kind.startswith("Path"):
                values[f.name] = Path(raw)
            elif kind.startswith("str"):
                values[f.name] = raw
            else:
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise ConfigError(f"ASSISTANT_{f.name.upper()}={raw!r} is not a whole number") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        for name in ("index_dir", "model_spec", "cache_dir", "eval_dir"):
            if values.get(name) is not None:
                values[name] = Path(values[name])
        return replace(cls(), **values)

    @property
    def cache_root(self) -> Path:
        """Where models, compiled graphs and embedding caches are kept."""
        if self.cache_dir is not None:
            return self.cache_dir
        xdg = os.environ.get("XDG_CACHE_HOME")  # the platform's convention, not a setting of ours
        return (Path(xdg) if xdg else Path.home() / ".cache") / APP_NAME


DEFAULTS = Config()  # the defaults, for functions that take one value of the Config
