"""Shared fixtures: every test gets its own store file and home directory."""

import pytest


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    """A fresh KELISIM_DB location (not yet created) for this test."""
    path = tmp_path / "kelisim.duckdb"
    monkeypatch.setenv("KELISIM_DB", str(path))
    monkeypatch.setenv("KELISIM_HOME", str(tmp_path / "home"))
    return path
