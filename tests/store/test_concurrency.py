"""Many processes on the embedded DuckDB file: a real `kelisim serve` and CLI commands at once
(issue 10, item 5), the lock message, and KELISIM_DB values that are not a DuckDB file."""

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

KELISIM = Path(sys.executable).parent / "kelisim"
PASSWORD = "correct-horse-battery-9"
BUNDLED_INCIDENTS = Path(__file__).resolve().parents[2] / "src/kelisim/datasets/data/incidents.csv"


def _env(db: Path, **extra: str) -> dict:
    return {**os.environ, "KELISIM_DB": str(db), "KELISIM_HOME": str(db.parent / "home"),
            **extra}


def _kelisim(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(KELISIM), *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=180)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """A `kelisim serve` subprocess on a fresh store; yields (url, env, process)."""
    db = tmp_path / "store" / "kelisim.duckdb"
    db.parent.mkdir()  # a KELISIM_DB folder that does not exist is refused
    env = _env(db)
    port = _free_port()
    server = subprocess.Popen([str(KELISIM), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/login", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stdout.read()
            assert time.monotonic() < deadline, "the dashboard did not answer within 120 s"
            time.sleep(0.2)
        yield url, env, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def _one_clean_run(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def test_cli_commands_work_while_the_dashboard_serves(served, tmp_path):
    url, env, server = served
    stop = threading.Event()
    answers: list[int] = []

    def read_all_the_time():  # keeps the dashboard's read window open and busy
        with httpx.Client(base_url=url, timeout=30) as client:
            while not stop.is_set():
                answers.append(client.get("/login").status_code)

    _one_clean_run(_kelisim(env, "users", "add", "ada", "--role", "admin",
                            "--password-stdin", stdin=PASSWORD + "\n"))
    # a session written by the dashboard, then CLI writes beside a busy read window: it
    # must survive them (the dashboard once lost its lock, and so its writes)
    token = httpx.post(url + "/api/auth/token", json={"username": "ada", "password": PASSWORD},
                       timeout=30).json()["token"]
    reader = threading.Thread(target=read_all_the_time)
    reader.start()
    try:
        table = tmp_path / "tiny.csv"
        table.write_text("area_code,group,period,count\n750000000,kazakh,2031,100\n"
                         "750000000,russian,2031,50\n750000000,total,2031,150\n",
                         encoding="utf-8")
        _one_clean_run(_kelisim(env, "data", "import", str(table), "--name", "tiny"))
        incidents = tmp_path / "incidents.csv"
        incidents.write_text("".join(BUNDLED_INCIDENTS.read_text(encoding="utf-8")
                                     .splitlines(keepends=True)[:2]), encoding="utf-8")
        _one_clean_run(_kelisim(env, "incidents", "import", str(incidents)))
        listed = _kelisim(env, "data", "list", "--format", "csv")
        _one_clean_run(listed)
        assert "tiny" in listed.stdout
        users = _kelisim(env, "users", "list")
        _one_clean_run(users)
        assert "ada\tadmin\tactive" in users.stdout
    finally:
        stop.set()
        reader.join()
    assert answers and set(answers) == {200}  # the dashboard answered all along

    bearer = {"authorization": f"Bearer {token}"}
    assert httpx.get(url + "/api/incidents", headers=bearer, timeout=30).status_code == 200
    _one_clean_run(_kelisim(env, "users", "disable", "ada"))
    deadline = time.monotonic() + 5 + 3  # docs/web.md: within cache_seconds (5)
    while httpx.get(url + "/api/incidents", headers=bearer, timeout=30).status_code != 401:
        assert time.monotonic() < deadline, "the disabled account still reads"
        time.sleep(0.2)
    server.terminate()
    said = server.communicate(timeout=30)[0]
    assert "in another terminal, while the dashboard runs" in said  # the first account
    assert "`.venv/bin/kelisim users add NAME --role admin`" in said


def test_a_held_lock_is_waited_for_then_one_sentence(tmp_path):
    import duckdb

    from kelisim import store

    db = tmp_path / "kelisim.duckdb"
    store.connect(db).close()
    holder = duckdb.connect(str(db))  # another process's writer, as far as the CLI can tell
    try:
        done = _kelisim(_env(db, KELISIM_LOCK_TIMEOUT="0.5"), "users", "list")
    finally:
        holder.close()
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("waiting for the dashboard") and str(db) in lines[0]
    assert str(db) in lines[1] and "KELISIM_LOCK_TIMEOUT" in lines[1]
    assert _kelisim(_env(db), "users", "list").returncode == 0  # released: it works again


@pytest.mark.parametrize("value, words", [
    # PostgreSQL URLs select PostgreSQL: nothing listens there, so one sentence says so
    ("postgresql://kelisim:s3cret@localhost:1/kelisim", ("does not lead to a PostgreSQL",)),
    ("postgres://localhost:1/kelisim", ("does not lead to a PostgreSQL",)),
    ("postgresql://localhost:notaport/kelisim", ("does not lead to a PostgreSQL",)),
    ("mysql://localhost/kelisim", ("scheme 'mysql'", "not support")),
])
def test_a_database_url_is_one_sentence_and_creates_nothing(tmp_path, value, words):
    env = {**os.environ, "KELISIM_DB": value, "KELISIM_HOME": str(tmp_path / "home")}
    done = subprocess.run([str(KELISIM), "data", "list"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "KELISIM_DB: " in lines[0], lines
    assert all(word in lines[0] for word in words), lines[0]
    assert "s3cret" not in lines[0]
    assert re.sub(r":[^:@/]*@", "@", value).split("@")[-1] in lines[0]  # the host is named
    assert [p.name for p in tmp_path.rglob("*") if p.name != "home"] == []  # no `postgresql:`


def test_a_wrong_database_path_is_one_sentence(tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 100, encoding="utf-8")
    blocked = tmp_path / "file" / "kelisim.duckdb"
    (tmp_path / "file").write_text("x", encoding="utf-8")
    for path, words, named in ((folder, "is a folder", folder), (text, "Cannot open", text),
                               (blocked, "there is no folder", blocked.parent)):
        done = _kelisim(_env(path), "data", "list")
        assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and str(named) in lines[0], lines


def test_the_dashboard_window_lets_a_waiting_writer_in(tmp_path):
    """In one process (flock and DuckDB's configuration check stand in for the other
    process): an idle read window is closed as soon as a writer announces itself, and the
    next window sees the write."""
    from kelisim import store
    from kelisim.store.access import SharedStore, open_waiting

    path = str(tmp_path / "kelisim.duckdb")
    store.connect(path).close()
    shared = SharedStore(path, linger=60.0)  # only the writer's intent can close it early
    with shared.reading() as cur:
        assert cur.execute("SELECT count(*) FROM users").fetchone() == (0,)
    started = time.monotonic()
    writer = open_waiting(path, read_only=False, timeout=10.0)
    waited = time.monotonic() - started
    writer.execute("INSERT INTO settings VALUES ('probe', 'written')")
    writer.close()
    assert waited < 5.0, waited
    with shared.reading() as cur:
        assert cur.execute("SELECT value FROM settings WHERE key = 'probe'").fetchone() == (
            "written",)
    shared.close()
