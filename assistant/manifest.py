"""What a commit says and whether this version can read it: the format, the pipeline's versions,
the model, the build settings; and the format-1 index that `assistant rebuild` converts.

Every check fails with one line naming the command that fixes it (``rebuild_hint``,
``refresh_hint``). The writing side is commits.py, the loading side store.py.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import __version__
from .chunk import CHUNKER_VERSION, PASSAGE_INPUT_VERSION
from .config import DEFAULTS, Config
from .decode import CLEANER_VERSION
from .errors import IndexStateError
from .jsonl import iter_jsonl
from .normalize import NORMALIZER_VERSION

log = logging.getLogger(__name__)

FORMAT = "arabic-assistant-index"
FORMAT_VERSION = 2
SENTENCES_VERSION = "sent-1"  # sentence vectors beside the passages' (an index without them is stale)
POINTER = "CURRENT"
COMMIT_PREFIX = "commit-"


@dataclass(frozen=True)
class BuildSettings:
    """How an index is cut and analysed; recorded in its manifest, so every later change of the
    index (add, remove, rebuild) uses the same settings."""

    max_chars: int = DEFAULTS.max_passage_chars
    overlap: int = DEFAULTS.overlap_sentences
    stem: bool = True
    stopwords: bool = True
    # The document title joins each passage's lexical text (not its dense text or displayed text):
    # TyDi QA MRR@10 0.968 -> 0.974, pooled 0.961 -> 0.964 (README "Retrieval quality").
    lexical_title: bool = True
    # Every sentence embedded too (sentences.py): search scores a passage by its best sentence
    # and shows that sentence as the evidence (README "Evidence first"). Costs a second embedding pass.
    sentence_vectors: bool = True

    @classmethod
    def from_config(cls, config: Config) -> BuildSettings:
        return cls(max_chars=config.max_passage_chars, overlap=config.overlap_sentences)

    @classmethod
    def from_manifest(cls, manifest: dict) -> BuildSettings:
        """The settings an index was built with (fields this version does not know are ignored)."""
        return cls(**{k: v for k, v in manifest.get("settings", {}).items() if k in cls.__dataclass_fields__})


def rebuild_hint(index_dir: Path, roots: list[str] | None = None) -> str:
    src = " ".join(f"--source {r}" for r in roots or []) + " " if roots else ""
    return f"rebuild it with: assistant build {src}--index {index_dir}"


def refresh_hint(index_dir: Path) -> str:
    """For an index that is intact but stale: re-embed its stored documents (works for any corpus)."""
    return f"update it with: assistant rebuild --index {index_dir}"


def expected_versions() -> dict:
    """The versions of every stage whose output the index stores; a change means re-indexing."""
    return {"normalizer": NORMALIZER_VERSION, "cleaner": CLEANER_VERSION, "chunker": CHUNKER_VERSION,
            "sentences": SENTENCES_VERSION, "passage_input": PASSAGE_INPUT_VERSION}


def current_commit(index_dir: Path) -> Path:
    """The live commit file; IndexStateError (one line, naming the fix) when there is none or it
    is of format 1."""
    pointer = index_dir / POINTER
    if not pointer.is_file():
        raise IndexStateError(f"no index in {index_dir}; build it with: assistant build --index {index_dir}")
    name = pointer.read_text().strip()
    if name.startswith("gen-") and (index_dir / name).is_dir():
        raise IndexStateError(f"index in {index_dir} has format 1 (before segments), this version reads "
                              f"{FORMAT_VERSION}; convert it with: assistant rebuild --index {index_dir}")
    path = index_dir / name
    if not name.startswith(COMMIT_PREFIX) or not path.is_file():
        raise IndexStateError(f"index in {index_dir} is corrupt (missing {name}); " + rebuild_hint(index_dir))
    return path


def format1_rows(index_dir: Path) -> tuple[dict, list[dict]] | None:
    """(manifest, document rows) of a format-1 index, for ``assistant rebuild``; None otherwise."""
    pointer = index_dir / POINTER
    gen = index_dir / pointer.read_text().strip() if pointer.is_file() else None
    if gen is None or not gen.name.startswith("gen-") or not gen.is_dir():
        return None
    try:
        return json.loads((gen / "manifest.json").read_text("utf-8")), list(iter_jsonl(gen / "documents.jsonl"))
    except (OSError, ValueError) as exc:
        raise IndexStateError(f"index in {index_dir} is corrupt ({type(exc).__name__}); "
                              + rebuild_hint(index_dir)) from exc


def format1_vectors(index_dir: Path) -> dict[str, np.ndarray]:
    """{sha256 of passage text: vector} of a format-1 index (its passages only), so converting it
    re-embeds nothing its model already embedded; {} when unreadable."""
    from .decode import sha256_text

    gen = index_dir / (index_dir / POINTER).read_text().strip()
    try:
        texts = [row["text"] for row in iter_jsonl(gen / "passages.jsonl")]
        vectors = np.load(gen / "vectors.npy", allow_pickle=False)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("format-1 index %s: stored vectors unreadable (%s); every passage is embedded again",
                    index_dir, type(exc).__name__)
        return {}
    return {sha256_text(t): v for t, v in zip(texts, vectors, strict=False)} if len(texts) == len(vectors) else {}


def read_manifest(index_dir: Path, commit_file: Path | None = None) -> dict:
    """The live commit (or ``commit_file``), checked to be this assistant's."""
    commit_file = commit_file or current_commit(index_dir)
    try:
        manifest = json.loads(commit_file.read_text("utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexStateError(f"index in {index_dir} is corrupt (commit unreadable); "
                              + rebuild_hint(index_dir)) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexStateError(f"{index_dir} is not an index of this assistant; " + rebuild_hint(index_dir))
    return manifest


def check_manifest(manifest: dict, index_dir: Path) -> None:
    """Raise IndexStateError when the index was built by another format or pipeline version;
    an index written by another version of the assistant in the same format only warns (once)."""
    hint = refresh_hint(index_dir)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexStateError(f"index in {index_dir} has format {manifest.get('format_version')}, "
                              f"this version reads {FORMAT_VERSION}; {hint}")
    written_by = manifest.get("assistant_version")
    if written_by != __version__:
        _warn_other_version(str(index_dir), written_by or "an earlier version")
    stale = stale_reason(manifest.get("versions", {}))
    if stale:
        raise IndexStateError(f"index in {index_dir} is stale ({stale}); {hint}")


def stale_reason(versions: dict) -> str:
    """"" when ``versions`` are this pipeline's, else which stage differs."""
    for name, want in expected_versions().items():
        have = versions.get(name)
        if have != want:
            return f"{name} {have}, now {want}"
    return ""


def model_matches(manifest: dict, embedder) -> bool:
    """True when the index's vectors came from ``embedder``'s weights at its dimension."""
    model = manifest.get("model", {})
    return (model.get("weights_hash"), model.get("dim")) == (embedder.weights_hash, embedder.dim)


@lru_cache(maxsize=64)
def _warn_other_version(index_dir: str, written_by: str) -> None:
    """Once per process and index (the cache is the "once")."""
    log.warning("index in %s was written by arabic-assistant %s, this is %s; it is read as it is "
                "(assistant rebuild --index %s re-indexes it with this version)",
                index_dir, written_by, __version__, index_dir)


def check_model(manifest: dict, embedder, index_dir: Path) -> None:
    """Raise IndexStateError unless ``model_matches``; the message names the rebuild command."""
    model = manifest.get("model", {})
    if not model_matches(manifest, embedder):
        raise IndexStateError(f"index in {index_dir} was built with model {model.get('id')} "
                              f"({model.get('weights_hash')}), not the loaded {embedder.model_id} "
                              f"({embedder.weights_hash}); " + refresh_hint(index_dir))
