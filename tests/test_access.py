"""Sign-in and roles: the users file (salted hashes only), `assistant user`, and who may start a
server where (`serve` refuses a network bind without sign-in; Host names)."""

from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner

from assistant.access import Access, host_name, is_loopback
from assistant.cli import cli
from assistant.errors import ConfigError
from assistant.users import UserStore, add_user, check_password, hash_password, read_users, remove_user


def test_hashes_are_salted_and_checked():
    a, b = hash_password("same password"), hash_password("same password")
    assert a != b and a.startswith("scrypt$") and "same password" not in a
    assert check_password("same password", a) and not check_password("same passwore", a)
    assert not check_password("x", "plain$text") and not check_password("x", "garbage")


def test_users_file_holds_no_password_and_is_private(tmp_path):
    path = tmp_path / "users.json"
    assert add_user(path, "amina", "editor", "correct horse\n") is True
    assert add_user(path, "amina", "reader", "another secret") is False  # role and password changed
    raw = path.read_text("utf-8")
    assert "correct horse" not in raw and "another secret" not in raw
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert read_users(path)["amina"]["role"] == "reader"
    with pytest.raises(ConfigError, match="at least 8"):
        add_user(path, "omar", "reader", "short")
    with pytest.raises(ConfigError, match="role"):
        add_user(path, "omar", "admin", "long enough")
    with pytest.raises(ConfigError, match="not allowed"):
        add_user(path, "../omar", "reader", "long enough")


def test_store_follows_the_file_while_the_server_runs(tmp_path):
    path = tmp_path / "users.json"
    add_user(path, "amina", "editor", "first password")
    store = UserStore(path)
    assert store.authenticate("amina", "first password").role == "editor"
    assert store.authenticate("amina", "first password").can_write  # remembered, same answer
    assert store.authenticate("amina", "wrong password") is None
    assert store.authenticate("nobody", "first password") is None
    add_user(path, "amina", "reader", "second password")
    assert store.authenticate("amina", "first password") is None  # the old password is gone
    assert store.authenticate("amina", "second password").role == "reader"
    remove_user(path, "amina")
    add_user(path, "omar", "reader", "omar's password")
    assert store.authenticate("amina", "second password") is None and store.user("amina") is None


def test_password_guessing_is_slowed_per_name(tmp_path):
    from assistant.users import FAILURE_WINDOW, MAX_FAILURES

    path = tmp_path / "users.json"
    add_user(path, "amina", "editor", "right password")
    add_user(path, "omar", "reader", "omar password")
    store = UserStore(path)
    now = [1000.0]
    store.clock = lambda: now[0]
    for _ in range(MAX_FAILURES):
        assert store.authenticate("amina", "a guess") is None
    assert store.authenticate("amina", "right password") is None  # refused unchecked for a while
    assert store.authenticate("omar", "omar password") is not None  # other users are not affected
    now[0] += FAILURE_WINDOW + 1
    assert store.authenticate("amina", "right password") is not None


def test_an_unknown_name_costs_a_password_check_too(tmp_path, monkeypatch):
    """A refusal takes as long for a name that does not exist as for a wrong password, so the time
    of the answer does not tell which names exist."""
    import assistant.users as users

    path = tmp_path / "users.json"
    add_user(path, "amina", "editor", "right password")
    store = UserStore(path)
    checked = []
    real = users.check_password
    monkeypatch.setattr(users, "check_password", lambda pw, stored: checked.append(stored) or real(pw, stored))
    assert store.authenticate("nobody", "right password") is None
    assert store.authenticate("amina", "wrong password") is None
    assert len(checked) == 2 and all(h.startswith("scrypt$") for h in checked)
    assert checked[0] != read_users(path)["amina"]["hash"]  # a decoy hash, not a real user's


def test_damaged_users_file_is_one_line(tmp_path):
    path = tmp_path / "users.json"
    path.write_text(json.dumps({"users": {"a": "b"}}), "utf-8")
    with pytest.raises(ConfigError, match="not a users file"):
        UserStore(path)
    with pytest.raises(ConfigError, match="no users file"):
        UserStore(tmp_path / "missing.json")


def test_user_add_reads_the_password_from_stdin(tmp_path):
    path = tmp_path / "users.json"
    result = CliRunner().invoke(cli, ["user", "add", "amina", "--role", "editor", "--users", str(path)],
                                input="a long secret\n")
    assert result.exit_code == 0 and "added amina (editor)" in result.output
    assert UserStore(path).authenticate("amina", "a long secret") is not None
    result = CliRunner().invoke(cli, ["user", "add", "omar", "--role", "reader", "--users", str(path)],
                                input="short\n")
    assert result.exit_code == 1 and result.output.strip() == "error: the password must have at least 8 characters"
    listed = CliRunner().invoke(cli, ["user", "list", "--users", str(path)])
    assert listed.output == "amina\teditor\n"


@pytest.mark.parametrize("bind", ["0.0.0.0", "192.168.1.20", "::"])
def test_serve_refuses_a_network_bind_without_sign_in(bind, tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--host", bind, "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert result.output.startswith("error: refusing to serve on") and "--users" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_access_rules():
    assert Access.for_server("127.0.0.1").anonymous().can_write  # the laptop case: local editor
    public = Access.for_server("0.0.0.0", public_read_only=True)
    assert not public.uploads and not public.anonymous().can_write
    with pytest.raises(ConfigError, match="exclude each other"):
        Access.for_server("0.0.0.0", users_file="users.json", public_read_only=True)
    lan = Access.for_server("10.0.0.5", public_read_only=True, allow_hosts=("Newsroom.Example.org",))
    for host in ("localhost:7860", "127.0.0.1", "[::1]:80", "10.0.0.5:7860", "newsroom.example.org"):
        assert lan.host_allowed(host), host
    for host in ("attacker.example", "", "10.0.0.6", "localhost.attacker.example"):
        assert not lan.host_allowed(host), host
    assert host_name("[::1]:7860") == "::1" and is_loopback("::1") and not is_loopback("0.0.0.0")


def test_public_read_only_server_takes_no_upload_and_a_reader_no_write(tmp_path):
    from assistant.config import Config
    from assistant.corpus import add_paths
    from assistant.embedding.embedder import FakeEmbedder
    from assistant.errors import AccessError
    from assistant.ui.service import UIService
    from assistant.users import add_user

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("نص قصير عن افتتاح جسر جديد.", "utf-8")
    add_paths(tmp_path / "index", [tmp_path / "docs"], FakeEmbedder)
    public = UIService(Config(index_dir=tmp_path / "index"), embedder=FakeEmbedder(),
                       access=Access.for_server("0.0.0.0", public_read_only=True))
    assert public.user(None).role == "reader"
    with pytest.raises(AccessError, match="does not accept uploads"):
        public.upload([str(tmp_path / "docs" / "a.txt")], None)
    add_user(tmp_path / "users.json", "omar", "reader", "reader password")
    signed = UIService(Config(index_dir=tmp_path / "index"), embedder=FakeEmbedder(),
                       access=Access.for_server("127.0.0.1", tmp_path / "users.json"))
    with pytest.raises(AccessError, match="sign in"):
        signed.upload([], None)  # a request without a session
    with pytest.raises(AccessError, match="reader"):
        signed.remove("a", "omar")
