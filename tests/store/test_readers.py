"""Dashboard reads beside writers of other processes (issue 10, bench_store_readers): the read
cache is checked against the store's data version, so another process's write shows within
cache_seconds and a user's own write on their next read; an answer from the cache never waits
for the file; one computation per key at a time, the others meanwhile get the previous answer;
server processes share answers."""

import asyncio
import subprocess
import sys
import threading
import time

from kelisim import store
from kelisim.store.access import SharedStore, open_waiting, shared_store
from kelisim.web.cache import WROTE_COOKIE
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


def test_a_write_by_another_process_shows_within_cache_seconds(any_db):
    """Once cache_seconds have passed since another process's write (a CLI command), no
    request gets an answer without it."""
    path = seed_store(any_db)
    with client_for(path, {"cache_seconds": 1.0}) as client:
        headers = bearer(client, "vic")
        assert "t-new" not in _ids(client, headers)  # now cached
        writer = store.connect(path)  # on DuckDB, once the dashboard's window closes
        try:
            writer.execute(NEW_INCIDENT)
        finally:
            writer.close()
        time.sleep(1.0)
        assert "t-new" in _ids(client, headers)


def _create(client, headers, summary: str) -> str:
    reply = client.post("/api/incidents", headers=headers, json={
        "date_start": "2024-06-01", "region_code": "750000000", "place": "Constructed place",
        "interethnic": "no", "groups": ["kazakh"], "summary": summary,
        "sources": ["https://example.org/own"]})
    assert reply.status_code == 201, reply.text
    return reply.json()["incident_id"]


def test_a_users_own_write_shows_on_their_next_read(any_db):
    """Others may get the previous answer for up to cache_seconds; the writer never does,
    with or without the cookie the reply to the write sets."""
    path = seed_store(any_db)
    with client_for(path, {"cache_seconds": 600}) as client:
        analyst, viewer = bearer(client, "ann"), bearer(client, "vic")
        before = _ids(client, viewer)  # cached
        created = _create(client, analyst, "Constructed own write.")
        assert _ids(client, viewer) == before  # another user: the cached answer
        client.cookies.clear()  # a script that keeps no cookies: this process remembers
        assert created in _ids(client, analyst)
        second = _create(client, analyst, "Constructed second write.")
        assert client.cookies.get(WROTE_COOKIE)  # for the other server processes
        assert second not in _ids(client, viewer)
        assert second in _ids(client, analyst)


def test_own_writes_show_through_another_server_process(pg_server):
    """Two apps on one PostgreSQL store stand for two workers of `kelisim serve --workers`:
    the signed cookie from the reply to a write on one makes the other answer the writer
    from newer data; forged or another user's marks change nothing."""
    path = seed_store(pg_server.new_database())
    with client_for(path, {"cache_seconds": 600}) as one, \
            client_for(path, {"cache_seconds": 600}) as other:
        analyst, viewer = bearer(one, "ann"), bearer(other, "vic")
        before = _ids(other, analyst)  # cached by the other process
        created = _create(one, analyst, "Constructed write on one worker.")
        mark = one.cookies.get(WROTE_COOKIE)
        assert _ids(other, viewer) == before
        other.cookies.set(WROTE_COOKIE, mark)
        assert _ids(other, viewer) == before  # the mark is the analyst's, not the viewer's
        other.cookies.set(WROTE_COOKIE, mark.replace(".", "9.", 1))  # forged
        assert _ids(other, analyst) == before
        other.cookies.set(WROTE_COOKIE, mark)
        assert created in _ids(other, analyst)


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
        self.asked = 0

    def __call__(self) -> int:
        self.asked += 1
        return self.value


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Cursor:
    """Stands in for a LazyCursor: not taken until ``acquire``."""

    def __init__(self) -> None:
        self.acquired = False

    async def acquire(self) -> None:
        self.acquired = True


def test_one_computation_per_key_and_version():
    from kelisim.web.cache import ReadCache

    version, clock = _Version(), _Clock()
    cache = ReadCache(600, version, now=clock)
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
    clock.now += 300  # cache_seconds / 2: the version is asked again
    assert asyncio.run(cache.get("k", compute, _Cursor())) == "value 2"
    assert calls == [1, 2]


def test_others_get_the_previous_answer_while_one_recomputes_for_at_most_cache_seconds():
    from kelisim.web.cache import ReadCache

    version, clock = _Version(), _Clock()
    cache = ReadCache(10, version, now=clock)
    release, calls = threading.Event(), []

    def compute():
        calls.append(version.value)
        if version.value == 2:
            assert release.wait(10)
        return f"value {version.value}"

    async def scenario():
        start = clock.now
        assert await cache.get("k", compute, _Cursor()) == "value 1"
        asked = version.asked
        version.value = 2  # another process writes
        clock.now = start + 4.9  # within cache_seconds / 2: the store is not even asked
        assert await cache.get("k", compute, _Cursor()) == "value 1"
        assert version.asked == asked
        clock.now = start + 5
        refresh = asyncio.ensure_future(cache.get("k", compute, _Cursor()))
        await asyncio.sleep(0.1)  # computing version 2
        assert await cache.get("k", compute, _Cursor()) == "value 1"  # at once, stale
        clock.now = start + 10  # cache_seconds since the data were known current: wait
        late = asyncio.ensure_future(cache.get("k", compute, _Cursor()))
        await asyncio.sleep(0.1)
        assert not late.done() and not refresh.done()
        release.set()
        assert await refresh == "value 2" and await late == "value 2"
        assert await cache.get("k", compute, _Cursor()) == "value 2"

    asyncio.run(scenario())
    assert calls == [1, 2]


def test_past_cache_seconds_the_previous_answer_is_served_while_the_refresh_waits_for_the_file():
    """A CLI command holding the DuckDB file: nobody can read its new data before it lets
    go, so the previous answer is served meanwhile rather than every request waiting."""
    from kelisim.web.cache import ReadCache

    version, clock = _Version(), _Clock()
    cache = ReadCache(10, version, now=clock)
    free = threading.Event()

    class Held(_Cursor):
        async def acquire(self) -> None:
            while not free.is_set():
                await asyncio.sleep(0.01)
            self.acquired = True

    def compute():
        return f"value {version.value}"

    async def scenario():
        start = clock.now
        assert await cache.get("k", compute, _Cursor()) == "value 1"
        version.value = 2  # the command's commit; it still holds the file
        clock.now = start + 5
        refresh = asyncio.ensure_future(cache.get("k", compute, Held()))
        await asyncio.sleep(0.05)
        clock.now = start + 60
        assert await cache.get("k", compute, _Cursor()) == "value 1"
        free.set()
        assert await refresh == "value 2"
        assert await cache.get("k", compute, _Cursor()) == "value 2"

    asyncio.run(scenario())


def test_a_session_is_looked_up_again_before_it_expires_while_the_others_still_get_it():
    from kelisim.web.cache import ReadCache

    version, clock = _Version(), _Clock()
    cache = ReadCache(10, version, now=clock)
    release, calls = threading.Event(), []

    def compute():
        calls.append(len(calls) + 1)
        if len(calls) == 2:
            assert release.wait(10)
        return len(calls)

    async def scenario():
        start = clock.now
        assert await cache.get("user", compute, _Cursor(), clock=True) == 1
        clock.now = start + 5  # half its lifetime, no write: one request looks it up again
        again = asyncio.ensure_future(cache.get("user", compute, _Cursor(), clock=True))
        await asyncio.sleep(0.1)
        assert await cache.get("user", compute, _Cursor(), clock=True) == 1  # at once
        clock.now = start + 10  # expired: wait for the new lookup
        late = asyncio.ensure_future(cache.get("user", compute, _Cursor(), clock=True))
        await asyncio.sleep(0.1)
        assert not late.done()
        release.set()
        assert await again == 2 and await late == 2

    asyncio.run(scenario())
    assert calls == [1, 2]


def test_a_write_mark_asks_for_data_read_after_it():
    from kelisim.web.cache import ReadCache, write_mark

    version, clock = _Version(), _Clock()
    cache, elsewhere = (ReadCache(10, version, now=clock), ReadCache(10, version, now=clock))
    calls = []

    def compute():
        calls.append(version.value)
        return version.value

    for each in (cache, elsewhere):
        assert asyncio.run(each.get("k", compute, _Cursor())) == 1
    clock.now += 1
    version.value = 2  # the analyst's write through ``cache``'s process
    cache.mark_write("analyst-token", clock.now)
    cookie = write_mark("analyst-token", clock.now)
    clock.now += 1
    assert asyncio.run(cache.get("k", compute, _Cursor(), not_before=cache.written_at(
        "viewer-token", None))) == 1  # another user: the cached answer
    assert asyncio.run(cache.get("k", compute, _Cursor(), not_before=cache.written_at(
        "analyst-token", None))) == 2
    assert elsewhere.written_at("analyst-token", None) == 0  # another process knows nothing
    assert elsewhere.written_at("viewer-token", cookie) == 0  # but from the signed cookie
    assert elsewhere.written_at("analyst-token", cookie[:-1] + "0") == 0  # forged
    assert asyncio.run(elsewhere.get("k", compute, _Cursor(), not_before=elsewhere.written_at(
        "analyst-token", cookie))) == 2
    assert calls == [1, 1, 2, 2]


def test_server_processes_share_answers_and_compute_each_once(tmp_path):
    """Two caches over one folder stand for two server processes: what one computes the
    other reuses; while one computes, the other waits for it (the key's file lock)."""
    from kelisim.web.cache import ReadCache

    version, clock = _Version(), _Clock()
    one, two = (ReadCache(10, version, tmp_path, now=clock),
                ReadCache(10, version, tmp_path, now=clock))
    calls = []

    def compute():
        calls.append(version.value)
        time.sleep(0.2)
        return f"value {version.value}".encode()

    assert asyncio.run(one.get("k", compute, _Cursor())) == b"value 1"
    assert asyncio.run(two.get("k", compute, _Cursor())) == b"value 1"
    assert calls == [1]
    version.value = 2
    clock.now += 5

    async def both():
        first = asyncio.ensure_future(one.get("k", compute, _Cursor()))
        await asyncio.sleep(0.05)
        return await asyncio.gather(first, two.get("k", compute, _Cursor()))

    assert asyncio.run(both()) == [b"value 2", b"value 2"]
    assert calls == [1, 2]


def test_the_shared_answers_stay_bounded_on_disk(tmp_path, monkeypatch):
    """Distinct URLs are unbounded (any query string): past MAX_FILES the files start
    afresh."""
    from kelisim.web import cache as cache_module

    monkeypatch.setattr(cache_module, "MAX_FILES", 10)
    cache = cache_module.ReadCache(10, _Version(), tmp_path, now=_Clock())
    for number in range(40):
        assert asyncio.run(cache.get(("/api/monitor", f"limit={number}"),
                                     lambda: b"answer", _Cursor())) == b"answer"
        assert len(list(tmp_path.iterdir())) <= 10


def test_requests_join_a_computation_still_waiting_for_the_file_not_an_older_one():
    """A CLI import changes the version twice (its log, then its checkpoint) while the file is
    held: requests that saw either version share one computation, which reads the newest;
    past cache_seconds a computation already reading an older version is not joined."""
    from kelisim.web.cache import ReadCache

    version, clock = _Version(), _Clock()
    cache = ReadCache(600, version, now=clock)
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
        clock.now += 300
        first = asyncio.ensure_future(cache.get("k", compute, _Cursor()))
        await asyncio.sleep(0.03)  # reading version 4
        version.value = 5
        clock.now += 300
        second = asyncio.ensure_future(cache.get("k", compute, _Cursor()))
        return await asyncio.gather(first, second)

    version.value = 4
    assert asyncio.run(after_another_write()) == ["value 4", "value 5"]
    assert calls == [3, 4, 5]


def test_data_answers_last_until_a_write_sessions_at_most_cache_seconds():
    from kelisim.web.cache import ReadCache

    version, clock = _Version(), _Clock()
    cache = ReadCache(10, version, now=clock)
    calls = []

    def compute():
        calls.append(version.value)
        return len(calls)

    async def ask(key, clock=False):
        return await cache.get(key, compute, _Cursor(), clock=clock)

    assert asyncio.run(ask("page")) == 1
    assert asyncio.run(ask("session", clock=True)) == 2
    clock.now += 10  # cache_seconds, no write
    assert asyncio.run(ask("page")) == 1  # the data did not change
    assert asyncio.run(ask("session", clock=True)) == 3  # a session may have expired
    version.value = 2
    clock.now += 5
    assert asyncio.run(ask("page")) == 4
    assert ReadCache(0, version) and asyncio.run(ReadCache(0, version).get(
        "page", compute, _Cursor())) == 5  # cache_seconds 0: nothing is kept
