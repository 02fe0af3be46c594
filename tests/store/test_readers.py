"""Dashboard reads beside writers of other processes (issue 10, bench_store_readers): the read
cache is checked against the store's data version, so a write shows on the next request; an
answer from the cache never waits for the file; one computation per key at a time."""

import asyncio
import subprocess
import sys
import time

from kelisim import store
from kelisim.store.access import SharedStore, open_waiting, shared_store
from web_support import bearer, client_for, seed_store

NEW_INCIDENT = (
    "INSERT INTO incidents (incident_id, date_start, area_code, region_code, place, event_type, "
    "interethnic, groups, sources, confidence, origin) VALUES ('t-new', DATE '2024-03-01', "
    "'550000000', '550000000', 'Constructed place', 'meeting', 'no', ['kazakh'], "
    "['https://example.org/n'], 'low', 'test')")


def _ids(client, headers) -> set[str]:
    reply = client.get("/api/incidents", headers=headers)
    assert reply.status_code == 200, reply.text
    return {row["incident_id"] for row in reply.json()}


def test_the_data_version_changes_with_each_write_only(tmp_path):
    path = str(seed_store(tmp_path / "kelisim.duckdb"))
    shared = SharedStore(path)
    before = shared.version()
    with shared.reading() as cur:
        cur.execute("SELECT count(*) FROM incidents").fetchone()
    assert shared.version() == before  # reading changes nothing
    shared.close()
    writer = open_waiting(path, read_only=False, timeout=10.0)
    writer.execute(NEW_INCIDENT)
    after_commit = shared.version()
    writer.close()
    assert after_commit != before  # the commit (the write-ahead log)
    assert shared.version() not in (before, after_commit)  # the checkpoint on close


def test_the_postgresql_data_version_changes_with_each_write_only(pg_server):
    url = seed_store(pg_server.new_database())
    shared = shared_store(url)
    try:
        before = shared.version()
        with shared.reading() as cur:
            cur.execute("SELECT count(*) FROM incidents").fetchone()
        assert shared.version() == before  # reading changes nothing
        writer = store.connect(url)
        try:
            writer.execute(NEW_INCIDENT)
        finally:
            writer.close()
        assert shared.version() != before  # another process's commit
    finally:
        shared.close()


def test_a_write_by_another_process_shows_on_the_next_request(any_db):
    """Within cache_seconds the page is cached; a write from outside the app (a CLI command)
    must still show at once."""
    path = seed_store(any_db)
    with client_for(path, {"cache_seconds": 600}) as client:
        headers = bearer(client, "vic")
        assert "t-new" not in _ids(client, headers)  # now cached
        writer = store.connect(path)  # on DuckDB, once the dashboard's window closes
        try:
            writer.execute(NEW_INCIDENT)
        finally:
            writer.close()
        assert "t-new" in _ids(client, headers)


HOLD = ("import sys\nfrom kelisim.store.access import open_waiting\n"
        "con = open_waiting(sys.argv[1], read_only=False, timeout=30.0)\n"
        "print('held', flush=True)\nsys.stdin.readline()\ncon.close()\n")


def test_a_cached_answer_does_not_wait_for_the_file(tmp_path):
    """While another process holds the file (an import), what the cache holds is served at
    once; what it does not hold waits, then gets 503 with one sentence."""
    path = seed_store(tmp_path / "kelisim.duckdb")
    with client_for(path, {"cache_seconds": 600}) as client:
        client.app.state.store.timeout = 1.0
        headers = bearer(client, "vic")  # a write: its window closes after a second idle,
        time.sleep(1.5)  # with a checkpoint that changes the version once more
        expected = _ids(client, headers)
        holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            assert holder.stdout.readline().strip() == "held"  # the window let it in
            started = time.monotonic()
            assert _ids(client, headers) == expected
            assert time.monotonic() - started < 0.5
            busy = client.get("/api/monitor", headers=headers)  # never computed
            assert busy.status_code == 503 and "in use" in busy.json()["detail"]
        finally:
            holder.communicate("done\n", timeout=30)
        assert client.get("/api/monitor", headers=headers).status_code == 200


class _Version:
    def __init__(self) -> None:
        self.value = 1

    def __call__(self) -> int:
        return self.value


class _Cursor:
    """Stands in for a LazyCursor: not taken until ``acquire``."""

    def __init__(self) -> None:
        self.acquired = False

    async def acquire(self) -> None:
        self.acquired = True


def test_one_computation_per_key_and_version():
    from kelisim.web.cache import ReadCache

    version = _Version()
    cache = ReadCache(600, version)
    calls = []

    def compute():
        calls.append(version.value)
        time.sleep(0.2)  # in a worker thread: the others wait for this one
        return f"value {version.value}"

    async def many():
        return await asyncio.gather(*(cache.get("k", compute, _Cursor()) for _ in range(8)))

    assert asyncio.run(many()) == ["value 1"] * 8
    assert calls == [1]
    assert asyncio.run(cache.get("k", compute, _Cursor())) == "value 1"  # cached
    version.value = 2  # a write
    assert asyncio.run(cache.get("k", compute, _Cursor())) == "value 2"
    assert calls == [1, 2]


def test_requests_join_a_computation_still_waiting_for_the_file_not_an_older_one():
    """A CLI import changes the version twice (its log, then its checkpoint) while the file is
    held: requests that saw either version share one computation, which reads the newest;
    a computation already reading an older version is not joined."""
    from kelisim.web.cache import ReadCache

    version = _Version()
    cache = ReadCache(600, version)
    calls = []

    def compute():
        seen = version.value  # what a read of the store would see
        calls.append(seen)
        time.sleep(0.1)
        return f"value {seen}"

    class Held(_Cursor):  # the file is held by another process until the version is 3
        async def acquire(self) -> None:
            while version.value < 3:
                await asyncio.sleep(0.01)
            self.acquired = True

    async def during_an_import():
        first = asyncio.ensure_future(cache.get("k", compute, Held()))
        await asyncio.sleep(0.02)
        version.value = 2  # the import's log
        second = asyncio.ensure_future(cache.get("k", compute, Held()))
        await asyncio.sleep(0.02)
        version.value = 3  # its checkpoint; the file is free
        return await asyncio.gather(first, second)

    assert asyncio.run(during_an_import()) == ["value 3", "value 3"]
    assert calls == [3]

    async def after_another_write():
        first = asyncio.ensure_future(cache.get("k", compute, _Cursor()))
        await asyncio.sleep(0.03)  # reading version 4
        version.value = 5
        second = asyncio.ensure_future(cache.get("k", compute, _Cursor()))
        return await asyncio.gather(first, second)

    version.value = 4
    assert asyncio.run(after_another_write()) == ["value 4", "value 5"]
    assert calls == [3, 4, 5]


def test_data_answers_last_until_a_write_sessions_at_most_cache_seconds():
    from kelisim.web.cache import ReadCache

    version = _Version()
    cache = ReadCache(0.1, version)
    calls = []

    def compute():
        calls.append(version.value)
        return len(calls)

    async def ask(key, clock=False):
        return await cache.get(key, compute, _Cursor(), clock=clock)

    assert asyncio.run(ask("page")) == 1
    assert asyncio.run(ask("session", clock=True)) == 2
    time.sleep(0.15)  # past cache_seconds, no write
    assert asyncio.run(ask("page")) == 1  # the data did not change
    assert asyncio.run(ask("session", clock=True)) == 3  # a session may have expired
    version.value = 2
    assert asyncio.run(ask("page")) == 4
    assert ReadCache(0, version) and asyncio.run(ReadCache(0, version).get(
        "page", compute, _Cursor())) == 5  # cache_seconds 0: nothing is kept
