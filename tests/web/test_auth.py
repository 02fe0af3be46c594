"""Accounts: scrypt hashes (RFC 7914 test vector), sessions, disabling, the users CLI."""

from __future__ import annotations

import hashlib

import pytest
from typer.testing import CliRunner

from kelisim import store
from kelisim.cli import app
from kelisim.errors import ArgumentError
from kelisim.web import auth


def test_scrypt_matches_rfc7914_vector():
    # RFC 7914, section 12, second vector: P="password", S="NaCl", N=1024, r=8, p=16.
    digest = hashlib.scrypt(b"password", salt=b"NaCl", n=1024, r=8, p=16, dklen=64)
    assert digest.hex().startswith("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e773")


def test_hash_round_trip_and_salt():
    stored = auth.hash_password("correct horse")
    assert auth.verify_password("correct horse", stored)
    assert not auth.verify_password("wrong horse", stored)
    assert stored != auth.hash_password("correct horse")
    assert not auth.verify_password("x", "not-a-hash")


def test_sessions_roles_and_disable(any_db):
    con = store.connect(any_db)
    auth.add_user(con, "ann", "long-password", "analyst")
    with pytest.raises(ArgumentError, match="role"):
        auth.add_user(con, "bob", "long-password", "boss")
    with pytest.raises(ArgumentError, match="12 characters"):  # ASVS 2.1.1
        auth.add_user(con, "bob", "short", "viewer")
    assert auth.login(con, "ann", "bad-password") is None
    token = auth.login(con, "ann", "long-password")
    user = auth.user_for_token(con, token)
    assert user == auth.User("ann", "analyst")
    assert user.can("viewer") and user.can("analyst") and not user.can("admin")
    stored = con.execute("SELECT token_hash FROM sessions").fetchone()[0]
    assert token not in stored
    auth.set_disabled(con, "ann")
    assert auth.user_for_token(con, token) is None
    assert auth.login(con, "ann", "long-password") is None


def test_the_dashboard_never_disables_the_last_enabled_admin(any_db):
    """An admin who disabled the only admin account (themselves) on the admin page lost the
    admin pages until someone used the CLI (found by a new user's walk). The CLI still may."""
    con = store.connect(any_db)
    auth.add_user(con, "root", "long-password", "admin")
    auth.add_user(con, "ann", "long-password", "analyst")
    with pytest.raises(ArgumentError, match="'root' is the only enabled admin"):
        auth.set_disabled(con, "root", keep_one_admin=True)
    auth.add_user(con, "boss", "long-password", "admin")
    auth.set_disabled(con, "root", keep_one_admin=True)
    with pytest.raises(ArgumentError, match="'boss' is the only enabled admin"):
        auth.set_disabled(con, "boss", keep_one_admin=True)
    auth.set_disabled(con, "ann", keep_one_admin=True)
    assert {u["username"]: u["disabled"] for u in auth.list_users(con)} == {
        "ann": True, "boss": False, "root": True}
    auth.set_disabled(con, "boss")  # the CLI's way: an account may need stopping at once
    assert not any(u["role"] == "admin" and not u["disabled"] for u in auth.list_users(con))


def test_users_cli(any_db):
    db = any_db
    runner = CliRunner()
    added = runner.invoke(app, ["users", "add", "ann", "--role", "analyst", "--db", db],
                          input="long-password\nlong-password\n")
    assert added.exit_code == 0, added.output
    assert "Repeat for confirmation" in added.output and "long-password" not in added.output
    listed = runner.invoke(app, ["users", "list", "--db", db])
    assert "ann\tanalyst\tactive" in listed.output
    assert runner.invoke(app, ["users", "disable", "ann", "--db", db]).exit_code == 0
    assert "ann\tanalyst\tdisabled" in runner.invoke(app, ["users", "list", "--db", db]).output
    con = store.connect(db)
    rows = con.execute("SELECT action FROM audit_log ORDER BY audit_id").fetchall()
    actions = [r[0] for r in rows]
    assert actions == ["user.add", "user.disable"]


def test_users_add_password_option_and_mismatch(any_db):
    """Scripts pass --password (no prompt); a mistyped confirmation asks again."""
    db = any_db
    runner = CliRunner()
    scripted = runner.invoke(app, ["users", "add", "sam", "--password", "script-password",
                                   "--db", db], input="")
    assert scripted.exit_code == 0 and "Password" not in scripted.output
    retyped = runner.invoke(app, ["users", "add", "tia", "--db", db],
                            input="first-password\nother-password\nfirst-password\n"
                                  "first-password\n")
    assert retyped.exit_code == 0 and "do not match" in retyped.output
    con = store.connect(db)
    assert auth.login(con, "sam", "script-password") is not None
    assert auth.login(con, "tia", "first-password") is not None


def test_serve_help_lists_options():
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0 and "--host" in result.output and "--port" in result.output
