"""The users file of a shared server: names, roles and salted password hashes (never passwords).

One JSON file (``{"format": "assistant-users v1", "users": {NAME: {"role", "hash"}}}``), written
atomically with mode 0600 by `assistant user add`. Hashes are ``scrypt$N$r$p$salt$digest``
(base64), from :func:`hashlib.scrypt`. :class:`UserStore` re-reads the file when it changes, so
users added or removed while the server runs take effect at their next request.

Roles: "reader" searches and asks; "editor" also uploads and removes the documents it uploaded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

FORMAT = "assistant-users v1"
ROLES = ("reader", "editor")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# scrypt cost: ~50 ms and 16 MB per check on a server core; verified logins are then remembered
# (as a keyed digest, never the password) so HTTP Basic does not pay it on every request.
_N, _R, _P = 2**14, 8, 1
REMEMBER_SECONDS = 600
# Password guessing: after this many wrong passwords for one name within the window, that name's
# sign-ins are refused unchecked until the window has passed (also bounds the scrypt CPU spent).
MAX_FAILURES, FAILURE_WINDOW = 5, 60.0


@dataclass(frozen=True)
class User:
    name: str
    role: str  # "reader" | "editor"

    @property
    def can_write(self) -> bool:
        return self.role == "editor"


LOCAL = User("local", "editor")  # the one user of a server on loopback without a users file
PUBLIC = User("public", "reader")  # anyone, on a --public-read-only server


def hash_password(password: str, *, n: int = _N, r: int = _R, p: int = _P) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8", "replace"), salt=base64.b64decode(salt),
                             n=int(n), r=int(r), p=int(p), dklen=len(expected), maxmem=64 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name or ""):
        raise ConfigError(f"user name {name[:40]!r} is not allowed; use 1-64 letters, digits, '.', '_', '-' or '@'")
    return name


def check_new_password(password: str) -> str:
    password = password.rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ConfigError(f"the password must have at most {MAX_PASSWORD} characters")
    return password


def read_users(path: Path) -> dict[str, dict]:
    """{name: {"role", "hash"}} from ``path``; ConfigError in one line when it is not a users file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no users file {path}; create it with: assistant user add NAME --role editor "
                          f"--users {path}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path} is not a users file ({type(exc).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("users"), dict):
        raise ConfigError(f"{path} is not a users file (expected format {FORMAT!r})")
    users = data["users"]
    for name, entry in users.items():
        if not isinstance(entry, dict) or entry.get("role") not in ROLES or not isinstance(entry.get("hash"), str):
            raise ConfigError(f"{path}: the entry of user {name!r} is damaged; add the user again")
    return users


def _write_users(path: Path, users: dict[str, dict]) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"format": FORMAT, "users": users}, f, ensure_ascii=False, indent=1, sort_keys=True)
    os.replace(tmp, path)


def add_user(path: Path, name: str, role: str, password: str) -> bool:
    """Add ``name`` (or replace its role and password); True when the user is new."""
    check_name(name)
    if role not in ROLES:
        raise ConfigError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    password = check_new_password(password)
    users = read_users(path) if Path(path).exists() else {}
    new = name not in users
    users[name] = {"role": role, "hash": hash_password(password)}
    _write_users(path, users)
    return new


def remove_user(path: Path, name: str) -> None:
    users = read_users(path)
    if name not in users:
        raise ConfigError(f"no user {name!r} in {path}")
    del users[name]
    _write_users(path, users)


class UserStore:
    """Checks credentials against a users file, re-read when it changes on disk."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._users: dict[str, dict] = {}
        self._key = secrets.token_bytes(32)  # per process: remembered logins die with it
        self._remembered: dict[str, tuple[bytes, float]] = {}
        self._failures: dict[str, list[float]] = {}
        # checked for a name that is not in the file, so a wrong name costs what a wrong password does
        # and the time of a refusal does not tell which names exist
        self._decoy = hash_password(secrets.token_urlsafe(16))
        self.clock = time.monotonic
        self._refresh()
        if not self._users:
            raise ConfigError(f"{self.path} has no users; add one with: assistant user add NAME "
                              f"--role editor --users {self.path}")

    def _refresh(self) -> None:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        with self._lock:
            if stamp == self._stamp and stamp is not None:
                return
            try:
                users = read_users(self.path)
            except ConfigError:
                if self._stamp is None:
                    raise
                users = self._users  # a damaged rewrite keeps the last good list; the admin is told at add time
            self._users, self._stamp, self._remembered = users, stamp, {}

    def authenticate(self, name: str, password: str) -> User | None:
        """The user, when ``password`` is theirs; otherwise None."""
        self._refresh()
        entry = self._users.get(name)
        if not isinstance(password, str):
            return None
        if entry is None:
            check_password(password, self._decoy)
            return None
        token = hmac.new(self._key, f"{name}\0{password}".encode("utf-8", "replace"), hashlib.sha256).digest()
        now = self.clock()
        seen = self._remembered.get(name)
        if seen and hmac.compare_digest(seen[0], token) and now - seen[1] < REMEMBER_SECONDS:
            return User(name, entry["role"])
        with self._lock:
            recent = [t for t in self._failures.get(name, []) if now - t < FAILURE_WINDOW]
            self._failures[name] = recent
        if len(recent) >= MAX_FAILURES:
            return None
        if not check_password(password, entry["hash"]):
            with self._lock:
                self._failures.setdefault(name, []).append(now)
            return None
        with self._lock:
            self._remembered[name] = (token, now)
            self._failures.pop(name, None)
        return User(name, entry["role"])

    def user(self, name: str | None) -> User | None:
        """The user signed in as ``name`` (by a session the server issued), if still in the file."""
        self._refresh()
        entry = self._users.get(name or "")
        return User(name, entry["role"]) if entry else None
