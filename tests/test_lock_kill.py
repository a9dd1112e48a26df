"""A real `assistant add`, `rebuild` or `optimize` process, paused at a chosen point of its write
and then SIGKILLed or let go: the previous commit stays loadable and unchanged, a second writer is
refused, and a running LiveSearcher serves the old content during the update and the new content
after it. A kill during the automatic merge after an add leaves the add committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SEEDS, stored_vectors

from assistant.corpus import add_paths
from assistant.embedding.embedder import FakeEmbedder
from assistant.store import POINTER, load_index

NEW_TEXT = "أعلنت بلدية القامشلي افتتاح جسر جديد فوق نهر جغجغ بطول مئة وعشرين متراً."

# Runs the real CLI, after wrapping one step of the write so that it stops there (writing a
# marker file) until a "go" file appears. Points, in the order a write reaches them:
#   embed  - embedding the new passages, nothing written yet
#   jsonl  - in the middle of writing documents.jsonl into the temporary segment folder
#   fsync  - every file of the new segment written, folder not yet renamed into place
#   swap   - new segment and commit file in place, CURRENT not yet switched to it
#   merge  - (add with a cap of one segment) the add committed, its automatic merge starting
CHILD = r"""
import os, sys, time, pathlib
import assistant.embedding.embedder as embed, assistant.commits as commits, assistant.segments as segments
import assistant.merge as merge
point, marker, go = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
if point == "merge":
    merge.MAX_SEGMENTS = 1

def pause():
    marker.write_text(str(os.getpid()))
    while not go.exists():
        time.sleep(0.02)

owner, name = {"embed": (embed.FakeEmbedder, "embed_documents"), "jsonl": (segments, "write_jsonl"),
               "fsync": (segments, "fsync_tree"), "swap": (commits, "_swap_pointer"),
               "merge": (merge, "merged")}[point]
original = getattr(owner, name)

def wrapped(*args, **kwargs):
    if point == "jsonl":
        path, rows = args
        if path.name != "documents.jsonl":
            return original(path, rows)
        def slow(rows=rows):
            for i, row in enumerate(rows):
                yield row
                if i == 0:  # the first row written, the file still open
                    pause()
        return original(path, slow())
    pause()
    return original(*args, **kwargs)

setattr(owner, name, wrapped)
from assistant.cli import main
sys.argv = ["assistant", *sys.argv[4:]]
main()
"""


@pytest.fixture
def index(tmp_path):
    idx = tmp_path / "index"
    add_paths(idx, [SEEDS], FakeEmbedder)
    return idx


@pytest.fixture
def new_doc(tmp_path):
    path = tmp_path / "bridge.txt"
    path.write_text(NEW_TEXT, "utf-8")
    return path


def env() -> dict:
    return {**os.environ, "ASSISTANT_EMBEDDER": "fake", "PYTHONPATH": str(ROOT)}


class Paused:
    """An `assistant add` or `rebuild` child stopped at ``point``; kill() or release() it."""

    def __init__(self, tmp: Path, point: str, *args: str):
        self.marker, self.go = tmp / f"paused-{point}", tmp / f"go-{point}"
        argv = [sys.executable, "-c", CHILD, point, str(self.marker), str(self.go), *args]
        self.proc = subprocess.Popen(argv, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        deadline = time.monotonic() + 120
        while not self.marker.exists():
            if self.proc.poll() is not None:
                raise AssertionError(f"child ended before pausing: {self.proc.communicate()}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError("child never reached the pause point")
            time.sleep(0.02)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def release(self) -> tuple[int, str, str]:
        self.go.touch()
        out, err = self.proc.communicate(timeout=120)
        return self.proc.returncode, out, err


def snapshot(idx: Path):
    loaded = load_index(idx)
    return ((idx / POINTER).read_text(), loaded.manifest, loaded.documents, loaded.passages,
            stored_vectors(loaded))


def assert_same(a, b) -> None:
    assert a[:4] == b[:4]
    assert np.array_equal(a[4], b[4])


def assert_mid_write(index: Path, point: str, child: Paused) -> None:
    """The child is alive and stopped where ``point`` says, so a kill now lands mid-write."""
    assert child.proc.poll() is None
    if point in ("jsonl", "fsync"):
        assert list(index.glob(".tmp-seg-*")), "the kill must land while the new segment is written"
    if point == "swap":
        assert len(list(index.glob("commit-*"))) == 2


def assert_clean(index: Path) -> None:
    """Only the live commit and the segments it names are left (no leftovers of a killed writer)."""
    manifest = load_index(index).manifest
    names = {(index / POINTER).read_text().strip(), *(s["name"] for s in manifest["segments"])}
    assert {p.name for p in index.iterdir() if p.name.startswith(("commit-", "seg-", ".tmp-"))} == names


@pytest.mark.parametrize("point", ["embed", "jsonl", "fsync", "swap"])
def test_sigkill_mid_add_leaves_previous_index(index, new_doc, tmp_path, point):
    before = snapshot(index)
    child = Paused(tmp_path, point, "add", str(new_doc), "--index", str(index))
    try:
        assert_mid_write(index, point, child)
    finally:
        child.kill()
    assert child.proc.returncode == -signal.SIGKILL
    assert_same(snapshot(index), before)
    # The killed writer's lock died with it, and the next add succeeds and clears its leftovers.
    report = add_paths(index, [new_doc], FakeEmbedder)
    assert report.added == ("bridge",)
    assert len(load_index(index).documents) == 6
    assert_clean(index)


def test_second_writer_is_refused_with_a_clear_message(index, new_doc, tmp_path):
    before = snapshot(index)
    child = Paused(tmp_path, "fsync", "add", str(new_doc), "--index", str(index))
    try:
        other = tmp_path / "other.txt"
        other.write_text("خبر آخر عن الحسكة.", "utf-8")
        for args in (["add", str(other)], ["remove", "000_d04d6feca1dbbff6"], ["rebuild"]):
            second = subprocess.run([sys.executable, "-m", "assistant", *args, "--index", str(index)],
                                    env=env(), capture_output=True, text=True, timeout=120)
            assert second.returncode == 1
            assert second.stderr.strip().splitlines() == [
                f"error: {index} is being updated by another assistant process (pid {child.proc.pid}); "
                "wait for it to finish, then try again"]
        assert_same(snapshot(index), before)
        code, out, err = child.release()
    finally:
        child.kill()
    assert code == 0, err
    assert "added: bridge" in out
    assert "bridge" in load_index(index).documents


def test_live_searcher_serves_during_and_after_an_update(index, new_doc, tmp_path):
    from assistant.live import LiveSearcher

    live = LiveSearcher(index, FakeEmbedder())
    query = "جسر فوق نهر جغجغ"
    old = [h.passage.passage_id for h in live.search(query, 3)]
    child = Paused(tmp_path, "swap", "add", str(new_doc), "--index", str(index))
    try:
        # The new generation is fully on disk but not live: the searcher keeps serving the old one.
        assert [h.passage.passage_id for h in live.search(query, 3)] == old
        code, _, err = child.release()
    finally:
        child.kill()
    assert code == 0, err
    assert live.search(query, 3)[0].source.doc_id == "bridge"


def kill_mid_write(index: Path, tmp_path: Path, point: str, command: str):
    """Run ``command`` on ``index``, SIGKILL it at ``point``; the index is as before. Returns that snapshot."""
    before = snapshot(index)
    child = Paused(tmp_path, point, command, "--index", str(index))
    try:
        assert_mid_write(index, point, child)
    finally:
        child.kill()
    assert child.proc.returncode == -signal.SIGKILL
    assert_same(snapshot(index), before)
    return before


def rerun(command: str, index: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "assistant", command, "--index", str(index)], env=env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("point", ["embed", "jsonl", "fsync", "swap"])
def test_sigkill_mid_rebuild_leaves_previous_index(index, tmp_path, point):
    before = kill_mid_write(index, tmp_path, point, "rebuild")  # the previous commit: same files, same vectors
    # The killed rebuild's lock died with it: a rerun succeeds, writes a new commit with the
    # same content and (same embedder) the same vectors, and clears the killed run's leftovers.
    assert rerun("rebuild", index).startswith(f"rebuilt {index}: 5 documents")
    after = snapshot(index)
    assert after[0] != before[0]
    assert after[2:4] == before[2:4]
    assert np.array_equal(after[4], before[4])
    assert_clean(index)


@pytest.fixture
def two_segments(index, new_doc):
    add_paths(index, [new_doc], FakeEmbedder)
    assert len(load_index(index).manifest["segments"]) == 2
    return index


@pytest.mark.parametrize("point", ["jsonl", "fsync", "swap"])
def test_sigkill_mid_optimize_leaves_previous_index(two_segments, tmp_path, point):
    index = two_segments
    before = kill_mid_write(index, tmp_path, point, "optimize")
    assert rerun("optimize", index).startswith(f"merged 2 segments into 1: {index} has 6 documents")
    after = snapshot(index)
    assert len(after[1]["segments"]) == 1
    assert after[2:4] == before[2:4] and np.array_equal(after[4], before[4])
    assert_clean(index)


def test_sigkill_during_the_automatic_merge_keeps_the_add(index, new_doc, tmp_path):
    child = Paused(tmp_path, "merge", "add", str(new_doc), "--index", str(index))
    try:
        committed = snapshot(index)  # the add's own commit is live before its merge starts
        assert "bridge" in committed[2] and len(committed[1]["segments"]) == 2
    finally:
        child.kill()
    assert child.proc.returncode == -signal.SIGKILL
    assert_same(snapshot(index), committed)
    add_paths(index, [new_doc], FakeEmbedder)  # unchanged: nothing to do, the index stays as it is
    assert_same(snapshot(index), committed)
