"""One writer per index folder: an ``fcntl`` lock on ``index/.lock``.

The kernel drops the lock when its holder dies (even by SIGKILL), so a crash never leaves
the index locked. The lock is re-entrant within one thread (``add`` holds it around its
read-merge-build and ``build_index`` takes it again); another thread or process is refused
at once with a message naming the holder's pid.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import IndexBusyError, IndexStateError

LOCK_FILE = ".lock"

_guard = threading.Lock()
_held: dict[str, list] = {}  # resolved index dir -> [owner thread id, depth, fd]


@contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """Hold the write lock of ``index_dir`` (created if missing) or raise IndexBusyError."""
    index_dir = Path(index_dir)
    writable_folder(index_dir)
    key = str(index_dir.resolve())
    me = threading.get_ident()
    with _guard:
        entry = _held.get(key)
        if entry is not None:
            if entry[0] != me:
                raise IndexBusyError(f"{index_dir} is being updated by another task of this process; "
                                     "try again when it has finished")
            entry[1] += 1
            fd = None
        else:
            fd = _acquire(index_dir)
            _held[key] = [me, 1, fd]
    try:
        yield
    finally:
        with _guard:
            entry = _held[key]
            entry[1] -= 1
            if entry[1] == 0:
                del _held[key]
                fcntl.flock(entry[2], fcntl.LOCK_UN)
                os.close(entry[2])


def writable_folder(index_dir: Path) -> None:
    """Create ``index_dir`` if needed; IndexStateError in one line when it is a file or cannot be
    written (read-only disk or folder). Commands call it before loading the model."""
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexStateError(f"{index_dir} is a file, not an index folder; give --index a folder")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        probe = index_dir / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise _unwritable(index_dir, exc) from None


def _unwritable(index_dir: Path, exc: OSError) -> IndexStateError:
    return IndexStateError(f"cannot write to {index_dir} ({exc.strerror or type(exc).__name__}); "
                           "use a folder you may write to")


def _acquire(index_dir: Path) -> int:
    path = index_dir / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise _unwritable(index_dir, exc) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise IndexBusyError(f"{index_dir} is being updated by another assistant process (pid {holder}); "
                             "wait for it to finish, then try again") from None
    except BaseException:
        os.close(fd)
        raise
    # The pid is only for the message above; the lock itself is the flock.
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd
