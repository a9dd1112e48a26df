"""`--ray`: embedding on a local two-node Ray cluster (fake embedder), against the local build.

The cluster is two `ray start --block` processes on this machine (a head and a second node, one
CPU each), started once for the module and stopped by signalling those two processes. These
tests run only where Ray is installed (`pip install 'arabic-assistant[distributed]'`; .ci/run
installs it); the one-line error without Ray is tested everywhere.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS


def needs_ray(test):
    """Marked `distributed`: `make test` installs Ray first (make distributed) and runs these; without
    Ray they fail rather than skip, so a missing extra cannot hide a broken --ray."""
    return pytest.mark.distributed(test)


def _env(**extra) -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]),
            "ASSISTANT_EMBEDDER": "fake", "RAY_USAGE_STATS_ENABLED": "0", **extra}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The address of a two-node cluster (head + one more node, one CPU each)."""
    tmp = tmp_path_factory.mktemp("ray")
    ray = str(Path(sys.executable).parent / "ray")
    port = _free_port()
    common = ["--block", "--num-cpus=1", "--object-store-memory=100000000", "--disable-usage-stats"]
    procs = []
    try:
        procs.append(subprocess.Popen([ray, "start", "--head", f"--port={port}", "--include-dashboard=false",
                                       f"--temp-dir={tmp}", "--node-ip-address=127.0.0.1", *common],
                                      env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        address = f"127.0.0.1:{port}"
        _wait_nodes(address, 1)
        procs.append(subprocess.Popen([ray, "start", f"--address={address}", "--node-ip-address=127.0.0.1",
                                       *common], env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_nodes(address, 2)
        yield address
    finally:
        for proc in procs:  # `ray start --block` stops its node's processes when signalled
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_nodes(address: str, n: int) -> None:
    code = (f"import ray; ray.init(address={address!r}, logging_level='ERROR'); "
            "print(sum(x['Alive'] for x in ray.nodes()))")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        out = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip().splitlines()[-1:] == [str(n)]:
            return
        time.sleep(2)
    raise AssertionError(f"the Ray cluster at {address} never had {n} nodes")


def _assistant(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], env=_env(**env), capture_output=True,
                          text=True, timeout=600)


def _segment_files(index: Path) -> dict[str, bytes]:
    (segment,) = [p for p in index.iterdir() if p.name.startswith("seg-")]
    return {str(p.relative_to(segment)): p.read_bytes() for p in sorted(segment.rglob("*")) if p.is_file()}


SMALL = {"ASSISTANT_RAY_MIN_TEXTS": "1", "ASSISTANT_RAY_BLOCK": "8"}  # the seeds are a "long" job of many blocks


def _ray_line(stderr: str) -> str:
    return next(line for line in stderr.splitlines() if line.startswith("ray: "))


def _counts(line: str) -> tuple[int, int]:
    """(texts embedded on the cluster, texts resumed from checkpoints) of the `ray:` line."""
    words = line.split()
    return int(words[1]), int(words[words.index("resumed") - 1])


@needs_ray
def test_ray_build_is_byte_identical_to_the_local_one_and_uses_both_nodes(cluster, tmp_path):
    local = _assistant("build", "--source", str(SEEDS), "--index", str(tmp_path / "local"))
    assert local.returncode == 0, local.stderr
    remote = _assistant("build", "--source", str(SEEDS), "--index", str(tmp_path / "ray"), "--ray", cluster, **SMALL)
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout == local.stdout.replace(str(tmp_path / "local"), str(tmp_path / "ray"))
    assert _ray_line(remote.stderr).startswith("ray: 146 texts embedded on 2 nodes, 0 resumed")
    assert _segment_files(tmp_path / "ray") == _segment_files(tmp_path / "local")  # vectors, passages, BM25
    assert not (tmp_path / "ray" / ".embed-checkpoints").exists()  # dropped after the commit


# The driver, SIGKILLed by itself once three blocks are checkpointed.
KILLED = r"""
import os, signal, sys
import assistant.embedding.distributed as d
saved, original = [], d.RayEmbedder._save
def save(self, key, vecs):
    original(self, key, vecs)
    saved.append(key)
    if len(saved) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
d.RayEmbedder._save = save
from assistant.cli import main
sys.argv = ["assistant", *sys.argv[1:]]
main()
"""


@needs_ray
def test_a_rerun_after_the_driver_is_killed_embeds_only_the_rest(cluster, tmp_path):
    index = tmp_path / "index"
    args = ["build", "--source", str(SEEDS), "--index", str(index), "--ray", cluster]
    killed = subprocess.run([sys.executable, "-c", KILLED, *args], env=_env(**SMALL), capture_output=True,
                            text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL
    assert not (index / "CURRENT").exists()
    assert len(list((index / ".embed-checkpoints").rglob("*.npy"))) == 3
    rerun = _assistant(*args, **SMALL)
    assert rerun.returncode == 0, rerun.stderr
    embedded, resumed = _counts(_ray_line(rerun.stderr))
    assert resumed in (23, 24) and embedded + resumed == 146  # three blocks of 8 (or 7) texts were kept
    assert _assistant("build", "--source", str(SEEDS), "--index", str(tmp_path / "local")).returncode == 0
    assert _segment_files(index) == _segment_files(tmp_path / "local")


@needs_ray
def test_a_small_job_embeds_locally(cluster, tmp_path):
    done = _assistant("build", "--source", str(SEEDS), "--index", str(tmp_path / "i"), "--ray", cluster)
    assert done.returncode == 0, done.stderr
    assert _ray_line(done.stderr).startswith("ray: 0 texts embedded on 0 nodes")  # under 1024 texts


def other_dim_on_workers(driver_pid: int):
    """The fake embedder, with another dimension in every process but the driver."""
    from assistant.embedding.embedder import FakeEmbedder

    return FakeEmbedder() if os.getpid() == driver_pid else FakeEmbedder(dim=32)


@needs_ray
def test_a_worker_with_another_model_is_refused(cluster, tmp_path):
    from functools import partial

    import ray

    from assistant.embedding.distributed import RayEmbedder
    from assistant.errors import ModelError

    embedder = RayEmbedder(partial(other_dim_on_workers, os.getpid()), cluster, tmp_path / "ck",
                           block_size=4, min_texts=1)
    try:
        with pytest.raises(ModelError, match=r"loaded model fake0001 \(fp32, dim 32\), not the driver's .*dim 64"):
            embedder.embed_documents(["نص أول", "نص ثان", "نص ثالث"])
    finally:
        ray.shutdown()


@needs_ray
@pytest.mark.integration
def test_the_real_model_on_ray_gives_the_local_vectors_and_eval_figures(cluster):
    """EmbeddingGemma on the two nodes against the same model in this process, on the first 24
    pooled eval documents: 30 passages and 86 sentences, all embedded afresh on both sides (a few
    minutes on two cores). benchmarks/ray_check.py runs the same check on the whole pooled corpus."""
    import json

    env = {k: v for k, v in _env().items() if k != "ASSISTANT_EMBEDDER"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "benchmarks")])
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "ray_check.py"), "--ray", cluster, "--docs",
                           "24", "--block", "32", "--no-cache", "--json"], env=env, capture_output=True, text=True,
                          timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["ray_nodes"] == 2 and out["ray_texts"] >= out["passages"] >= 30 and out["questions"] > 20
    assert out["min_passage_cosine"] >= 0.9999 and out["min_sentence_cosine"] >= 0.9999, out
    assert out["figures"]["ray"] == out["figures"]["local"]


def test_without_ray_the_option_names_the_install_command(tmp_path):
    code = ("import sys; sys.modules['ray'] = None\n"
            "from assistant.cli import main\n"
            "sys.argv = ['assistant', *sys.argv[1:]]\nmain()")
    done = subprocess.run([sys.executable, "-c", code, "build", "--source", str(SEEDS), "--index",
                           str(tmp_path / "i"), "--ray", "auto"], env=_env(), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: --ray needs Ray, which is not installed; install it with: pip install 'arabic-assistant[distributed]'"]
    assert not (tmp_path / "i").exists()
