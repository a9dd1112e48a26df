"""Who may reach a server and what they may do: the bind rule, allowed Host names, roles.

The interfaces (web UI, HTTP API) ask this one object; none decides access by itself.

- On loopback without a users file, the one local user is an editor (as on a laptop).
- Bound to any other address, the server needs a users file, or ``public_read_only``: anyone
  on the network may search and ask, and nobody may upload or remove.
- Only requests whose ``Host`` is a loopback name, the bound address or an ``--allow-host``
  name are answered, so a web page elsewhere cannot reach a local server by DNS rebinding.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .users import LOCAL, PUBLIC, User, UserStore

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name of a ``Host`` header without its port, lower-cased (``[::1]:80`` -> ``::1``)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


@dataclass(frozen=True)
class Access:
    users: UserStore | None = None
    public_read_only: bool = False
    allowed_hosts: frozenset[str] = field(default=LOOPBACK_NAMES)

    @classmethod
    def for_server(cls, bind: str, users_file: Path | None = None, public_read_only: bool = False,
                   allow_hosts: tuple[str, ...] = ()) -> Access:
        """The access rules of a server bound to ``bind``; ConfigError when it may not start so."""
        if users_file is not None and public_read_only:
            raise ConfigError("--users and --public-read-only exclude each other: sign-in for everyone, "
                              "or a public read-only server")
        if not is_loopback(bind) and users_file is None and not public_read_only:
            raise ConfigError(f"refusing to serve on {bind} without sign-in: add --users FILE (see "
                              "`assistant user add --help`) or --public-read-only (search only, no uploads)")
        hosts = set(LOOPBACK_NAMES) | {host_name(h) for h in allow_hosts if h.strip()}
        if bind not in ("0.0.0.0", "::", ""):
            hosts.add(host_name(bind))
        return cls(UserStore(users_file) if users_file is not None else None, public_read_only, frozenset(hosts))

    @property
    def sign_in(self) -> bool:
        return self.users is not None

    @property
    def uploads(self) -> bool:
        """Whether anyone may change the collection on this server."""
        return not self.public_read_only

    def host_allowed(self, header: str | None) -> bool:
        return host_name(header or "") in self.allowed_hosts or "*" in self.allowed_hosts

    def anonymous(self) -> User | None:
        """Who a request without credentials is: the local editor, the public reader, or nobody."""
        if self.users is not None:
            return None
        return PUBLIC if self.public_read_only else LOCAL

    def authenticate(self, name: str, password: str) -> User | None:
        if self.users is None:
            return self.anonymous()
        return self.users.authenticate(name, password)

    def signed_in(self, name: str | None) -> User | None:
        """The user behind a session the server issued for ``name`` (None if removed since)."""
        if self.users is None:
            return self.anonymous()
        return self.users.user(name)
