"""Dashboard API latency while CLI commands write to the same DuckDB file (issue 10, item 5).

Goal: p95 under 200 ms with 50 concurrent readers, and no errors, while an analyst writes
incidents from the CLI for 30 s. Before issue 10 the CLI could not write at all while the
dashboard served (DuckDB's file lock); the issue's own measurement of the same load with
writes through the API was p95 598 ms, max 2.9 s.

The store is bench_web's (bundled data plus CONSTRUCTED monitor rows and a viewer account).
`kelisim serve` runs in its own process; 50 keep-alive clients (bench_web's minimal asyncio
HTTP client) read the API routes of bench_web for 30 s, while this script runs `kelisim
incidents import` of a new one-incident CSV (CONSTRUCTED) again and again, each a separate
process that waits for the file as a user's would. Each route is visited once before the
load (the cold computation is bench_web's first-page figure). Bounded: 30 s of load.

With ``--backend postgresql`` (issue 10, items 4-5) the store is a database on a throw-away
PostgreSQL server this script starts (tests/pg_support.py: Debian's binaries, a temporary
folder; the script says so and stops when they are missing), served by `kelisim serve
--workers 4`, for 60 s: while the 50 clients read, `kelisim monitor ingest --store` writes
batches of 50 CONSTRUCTED posts (new URLs) again and again, and an analyst creates incidents
through the API, one a second (each a user's write, audited). Afterwards every write must be
stored exactly once: each ingested document once, each created incident once with exactly one
``incident.create`` entry in the audit log. The workers share their answers (the read
cache's files in KELISIM_HOME), and an answer is computed again at most once per
cache_seconds / 2 whatever the rate of writes (kelisim.web.cache).

Besides the latency it prints the CPU seconds of the server (all its processes) per read, of
the writers and of the load generator during the load: on a shared machine the latency
depends on the other jobs' load, the CPU seconds much less. After the load it waits
cache_seconds (another process's writes show within it) before checking the listing.

    .venv/bin/python bench/bench_store_readers.py
    .venv/bin/python bench/bench_store_readers.py --baseline   # the same reads, no writes
    .venv/bin/python bench/bench_store_readers.py --backend postgresql
"""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).parents[1] / "tests"))
from bench_web import (  # noqa: E402
    API_ROUTES,
    CACHE_SECONDS,
    PASSWORD,
    _free_port,
    _get,
    _login,
    _store,
)
from pg_support import ThrowAwayServer, why_unavailable  # noqa: E402

CLIENTS, SECONDS, GOAL_MS = 50, 30.0, 200.0
routes: list[str] = []  # the route of each read of the last load, in order
PG_SECONDS, PG_WORKERS, POSTS_PER_INGEST = 60.0, 4, 50
KELISIM = Path(sys.executable).parent / "kelisim"
HEADER = ("incident_id,date_start,region_code,place,event_type,interethnic,groups,sources,"
          "confidence\n")



def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a live process and its live descendants (the server
    and its workers), from /proc."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += tree_cpu(int(child))
    except OSError:
        pass
    return total


def own_cpu() -> tuple[float, float]:
    """CPU seconds of this process (the load generator) and of its finished children (the
    CLI writers)."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime, children.ru_utime + children.ru_stime


def cpu_since(server_pid: int, server_before: float, before: tuple[float, float]
              ) -> tuple[float, float, float]:
    """CPU seconds of the server, the load generator and the writers since the ``before``
    figures (taken when the load started)."""
    client, writers = (now - then for now, then in zip(own_cpu(), before, strict=True))
    return tree_cpu(server_pid) - server_before, client, writers


def report_cpu(reads: int, server: float, client: float, writers: float) -> None:
    """CPU seconds of the server per read, and of the writers and the load generator."""
    print(f"CPU during the load: server {server:.1f} s ({server / reads * 1000:.2f} ms per "
          f"read), writers {writers:.1f} s, load generator {client:.1f} s")


def report_latency(ms, errors) -> None:
    """The read latencies (milliseconds) against the goal, the routes of the slowest 5 %,
    and the first distinct errors."""
    p95 = np.percentile(ms, 95)
    slowest = Counter(route for route, value in zip(routes, ms, strict=True) if value > p95)
    print("slowest 5 % by route: " + ", ".join(f"{route} {count}"
                                               for route, count in slowest.most_common(4)))
    print(f"read latency p50 {np.percentile(ms, 50):.1f} ms, p95 {p95:.1f} ms, "
          f"max {ms.max():.1f} ms vs goal p95 < {GOAL_MS:.0f} ms "
          f"({'met' if p95 < GOAL_MS else 'NOT met'}); errors: {len(errors)}")
    for error in sorted(set(errors))[:3]:
        print(f"  error: {error}")

def write_incidents(env: dict, folder: Path, stop: threading.Event, done: list) -> None:
    """Import one CONSTRUCTED incident per CLI process until ``stop``; records (seconds,
    exit code, stderr) of each."""
    number = 0
    while not stop.is_set():
        number += 1
        path = folder / f"analyst_{number}.csv"
        path.write_text(HEADER + f"BENCH-{number},2024-05-{1 + number % 28:02d},750000000,"
                        f"Constructed place,meeting,no,kazakh,https://example.org/{number},"
                        "low\n", encoding="utf-8")
        started = time.perf_counter()
        run = subprocess.run([str(KELISIM), "incidents", "import", str(path)], env=env,
                             capture_output=True, text=True, timeout=120)
        done.append((time.perf_counter() - started, run.returncode, run.stderr.strip()))


def ingest_posts(env: dict, folder: Path, stop: threading.Event, done: list) -> None:
    """`kelisim monitor ingest --store` of POSTS_PER_INGEST new CONSTRUCTED posts per CLI
    process until ``stop``; records (seconds, exit code, stderr) of each."""
    from monitor_fixtures import constructed_posts

    number = 0
    while not stop.is_set():
        number += 1
        posts = constructed_posts(POSTS_PER_INGEST, seed=number)
        posts["url"] = [f"https://example.kz/bench/{number}/{i}" for i in range(len(posts))]
        path = folder / f"posts_{number}.jsonl"
        posts.to_json(path, orient="records", lines=True, date_format="iso")
        started = time.perf_counter()
        run = subprocess.run([str(KELISIM), "monitor", "ingest", str(path), "--store"],
                             env=env, capture_output=True, text=True, timeout=300)
        done.append((time.perf_counter() - started, run.returncode, run.stderr.strip()))


def create_incidents(base: str, token: str, stop: threading.Event, done: list) -> None:
    """An analyst creating one CONSTRUCTED incident after another through the API until
    ``stop``; records (status, incident id or error text) of each."""
    number = 0
    with httpx.Client(base_url=base, timeout=60,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        while not stop.is_set():
            number += 1
            reply = client.post("/api/incidents", json={
                "date_start": "2024-06-01", "region_code": "750000000",
                "place": "Constructed place", "interethnic": "no", "groups": ["kazakh"],
                "summary": f"Constructed bench write {number}.",
                "sources": [f"https://example.org/w/{number}"]})
            done.append((reply.status_code, reply.json().get("incident_id")
                         if reply.status_code == 201 else reply.text[:200]))
            time.sleep(1.0)  # an analyst saving an incident a second: a busy one


async def read(base: str, token: str, seconds: float = SECONDS
               ) -> tuple[list[float], list[str]]:
    """CLIENTS keep-alive clients reading the API routes for ``seconds``."""
    latencies: list[float] = []
    routes.clear()
    errors: list[str] = []
    deadline = time.perf_counter() + seconds
    host, port = base.removeprefix("http://").split(":")

    async def client(number: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            i = 0
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    await _get(reader, writer, host, API_ROUTES[(number + i) % len(API_ROUTES)],
                               token)
                except (RuntimeError, OSError, asyncio.IncompleteReadError) as error:
                    errors.append(str(error))
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
                latencies.append(time.perf_counter() - started)
                routes.append(API_ROUTES[(number + i) % len(API_ROUTES)])
                i += 1
        finally:
            writer.close()

    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    return latencies, errors


def main(baseline: bool = False) -> None:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        path = _store(folder)
        env = {**os.environ, "KELISIM_DB": str(path), "KELISIM_HOME": str(folder / "home")}
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([str(KELISIM), "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL)
        try:
            token = _login(base, attempts=1200)
            with httpx.Client(base_url=base, timeout=600,
                              headers={"Authorization": f"Bearer {token}"}) as one:
                for route in API_ROUTES:  # the first visit of each page, as bench_web does
                    one.get(route).raise_for_status()
            stop, writes = threading.Event(), []
            writer = threading.Thread(target=write_incidents, args=(env, folder, stop, writes))
            cpu_before, server_before = own_cpu(), tree_cpu(server.pid)
            if not baseline:
                writer.start()
            latencies, errors = asyncio.run(read(base, token))
            stop.set()
            if not baseline:
                writer.join()
            cpu = cpu_since(server.pid, server_before, cpu_before)
            time.sleep(CACHE_SECONDS)  # another process's writes show within cache_seconds
            with httpx.Client(base_url=base, timeout=60,
                              headers={"Authorization": f"Bearer {token}"}) as one:
                # the listing, cached during the load, must hold every imported incident
                # exactly once
                listed = [row["incident_id"] for row in one.get(
                    "/api/incidents?area=750000000&year=2024").json()]
                replies = [one.get(f"/api/incidents/BENCH-{n}")
                           for n in range(1, len(writes) + 1)]
                shown = sum(reply.status_code == 200 for reply in replies)
                once = sum(listed.count(f"BENCH-{n}") == 1 for n in range(1, len(writes) + 1))
                extra = sum(i.startswith("BENCH-") for i in listed) - once
        finally:
            server.terminate()
            server.wait(timeout=30)
    ms = np.array(latencies) * 1000
    failed = [w for w in writes if w[1] != 0]
    print(f"{len(ms)} API reads from {CLIENTS} concurrent clients in {SECONDS:.0f} s, "
          f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f})")
    if baseline:
        print("baseline: no writes (the same load without the CLI)")
    else:
        print(f"while `kelisim incidents import` ran {len(writes)} times "
          f"({len(failed)} failed; median {np.median([w[0] for w in writes]):.2f} s each, "
          f"max {max(w[0] for w in writes):.2f} s); right after the load {shown} of the "
              f"imported incidents served by id, {once} listed exactly once ({extra} more)")
    for _, code, stderr in failed[:3]:
        print(f"  failed write (exit {code}): {stderr.splitlines()[-1] if stderr else ''}")
    report_cpu(len(ms), *cpu)
    report_latency(ms, errors)


def main_postgresql() -> None:
    """The PostgreSQL run: 4 server processes, 50 readers, an ingest and an analyst writing."""
    from kelisim import store
    from kelisim.web import auth

    reason = why_unavailable()
    if reason:
        print(f"bench_store_readers --backend postgresql: skipped: {reason}")
        return
    server = ThrowAwayServer().start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            url = _store(folder, server.new_database())
            con = store.connect(url)
            auth.add_user(con, "analyst", PASSWORD, "analyst")
            con.close()
            env = {**os.environ, "KELISIM_DB": url, "KELISIM_HOME": str(folder / "home")}
            port = _free_port()
            base = f"http://127.0.0.1:{port}"
            web = subprocess.Popen([str(KELISIM), "serve", "--port", str(port), "--workers",
                                    str(PG_WORKERS)], env=env, stdout=subprocess.DEVNULL)
            try:
                token = _login(base, attempts=1200)
                analyst = httpx.post(base + "/api/auth/token", json={
                    "username": "analyst", "password": PASSWORD}, timeout=60).json()["token"]
                with httpx.Client(base_url=base, timeout=600,
                                  headers={"Authorization": f"Bearer {token}"}) as one:
                    for route in API_ROUTES:
                        one.get(route).raise_for_status()
                stop, ingests, creates = threading.Event(), [], []
                writers = [
                    threading.Thread(target=ingest_posts, args=(env, folder, stop, ingests)),
                    threading.Thread(target=create_incidents, args=(base, analyst, stop,
                                                                    creates))]
                cpu_before, server_before = own_cpu(), tree_cpu(web.pid)
                for writer in writers:
                    writer.start()
                latencies, errors = asyncio.run(read(base, token, PG_SECONDS))
                stop.set()
                for writer in writers:
                    writer.join()
                cpu = cpu_since(web.pid, server_before, cpu_before)
            finally:
                web.terminate()
                web.wait(timeout=60)
            con = store.connect(url)
            try:
                stored_docs = con.execute("SELECT count(*), count(DISTINCT doc_id) FROM "
                                          "documents WHERE url LIKE 'https://example.kz/bench/%'"
                                          ).fetchone()
                created = [i for status, i in creates if status == 201]
                rows = dict(con.execute(
                    "SELECT incident_id, count(*) FROM incidents WHERE summary LIKE "
                    "'Constructed bench write %' GROUP BY incident_id").fetchall())
                audited = dict(con.execute(
                    "SELECT object, count(*) FROM audit_log WHERE action = 'incident.create' "
                    "AND who = 'analyst' GROUP BY object").fetchall())
            finally:
                con.close()
    finally:
        server.remove()
    ms = np.array(latencies) * 1000
    ingested_ok = [w for w in ingests if w[1] == 0]
    failed = [w for w in ingests if w[1] != 0] + [c for c in creates if c[0] != 201]
    print(f"PostgreSQL: `kelisim serve --workers {PG_WORKERS}`; {len(ms)} API reads from "
          f"{CLIENTS} concurrent clients in {PG_SECONDS:.0f} s, {os.cpu_count()} CPUs (load "
          f"average {os.getloadavg()[0]:.1f})")
    print(f"while `kelisim monitor ingest --store` ran {len(ingests)} times "
          f"({len(ingests) - len(ingested_ok)} failed; {POSTS_PER_INGEST} new posts each) and "
          f"an analyst created {len(creates)} incidents through the API "
          f"({len(creates) - len(created)} failed)")
    print(f"exactly once: documents {stored_docs[0]} stored ({stored_docs[1]} distinct) of "
          f"{len(ingested_ok) * POSTS_PER_INGEST} ingested; incidents "
          f"{sum(rows.get(i) == 1 for i in created)} of {len(created)} stored once "
          f"({len(rows)} rows), {sum(audited.get(i) == 1 for i in created)} audited once "
          f"({sum(audited.values())} audit entries)")
    for failure in failed[:3]:
        print(f"  failed write: {failure}")
    report_cpu(len(ms), *cpu)
    report_latency(ms, errors)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if {"-h", "--help"} & set(arguments):
        print(__doc__)
    elif "--backend" in arguments and arguments[arguments.index("--backend") + 1:][:1] == [
            "postgresql"]:
        main_postgresql()
    else:
        main(baseline="--baseline" in arguments)
