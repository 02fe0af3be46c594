"""Dashboard speed: first page load and API p95 latency for 50 concurrent clients on loopback.

Goals (issue 6): first page under 2 s, API responses under 100 ms at the 95th percentile.
The store holds the bundled data (kelisim.datasets.build_database: censuses, regions 2000-2023,
incidents) plus CONSTRUCTED monitor rows of a realistic size (2 000 classified documents, 500
alerts, 3 projection scenarios for 20 regions). The server runs in its own process (uvicorn, as
`kelisim serve` does); the load generator (a minimal keep-alive HTTP/1.1 client on asyncio
streams) in this one. Both processes' CPU time is printed: on a small shared machine the
client's own work is part of the latency measured. Bounded: 50 clients x 20 requests, at most 60 s.

    .venv/bin/python bench/bench_web.py
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CLIENTS, REQUESTS_EACH, TIME_LIMIT = 50, 20, 60.0
API_ROUTES = ["/api/overview", "/api/overview?boundaries=2018", "/api/overview?indicator=tension",
              "/api/areas/310000000", "/api/areas/630000000?boundaries=2018", "/api/monitor",
              "/api/monitor?area=750000000&tier_min=3", "/api/incidents", "/api/forecasts",
              "/api/meta"]
PASSWORD = "bench-password"
GOAL_MS = 100.0
CACHE_SECONDS = 5.0  # the app's default read-cache lifetime


def _fill(con, rng: np.random.Generator) -> None:
    """Bundled population, areas, groups and incidents, plus CONSTRUCTED monitor rows."""
    from kelisim.core.areas import areas
    from kelisim.datasets import build_database
    from kelisim.web import auth

    build_database(con)
    codes = list(areas("2024", level="region")["area_code"])
    groups = [r[0] for r in con.execute("SELECT group_code FROM groups WHERE kind = 'group' "
                                        "ORDER BY group_code LIMIT 12").fetchall()]
    n = 2000
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    docs = pd.DataFrame({"doc_id": [f"d{i}" for i in range(n)], "source": "bench",
                         "published_at": days, "language": rng.choice(["kk", "ru", "en"], n),
                         "title": [f"Constructed item {i}" for i in range(n)],
                         "text": "Constructed text for the benchmark."})
    con.register("docs", docs)
    con.execute("INSERT INTO documents (doc_id, source, published_at, language, title, text) "
                "SELECT * FROM docs")
    classes = pd.DataFrame({"doc_id": docs["doc_id"], "tier": rng.integers(0, 6, n),
                            "place": rng.choice(codes, n), "grp": rng.choice(groups, n)})
    con.register("classes", classes)
    con.execute("INSERT INTO classifications (doc_id, relevant, tier, groups, places, "
                "rationale, model) SELECT doc_id, true, tier, [grp], [place], "
                "'{\"rules\": [\"bench\"]}', 'rules' FROM classes")
    alert_frame = pd.DataFrame({"alert_id": [f"a{i}" for i in range(500)],
                                "area_code": rng.choice(codes, 500),
                                "day": pd.Timestamp("2024-01-01")
                                + pd.to_timedelta(rng.integers(0, 365, 500), unit="D"),
                                "value": rng.random(500)})
    con.register("alert_frame", alert_frame)
    con.execute("INSERT INTO alerts (alert_id, area_code, day, metric, value, baseline, score) "
                "SELECT alert_id, area_code, day, 'tension_index', value, 0.2, value * 5 "
                "FROM alert_frame")
    rows = [("bench", s, code, "total", "both", "total", year, 1e5 + year, 9e4, 1.1e5, 8e4, 1.2e5)
            for s in ("low", "medium", "high") for code in ["000000000", *codes]
            for year in range(2025, 2055)]
    projection_frame = pd.DataFrame(rows)
    con.register("projection_frame", projection_frame)
    con.execute("INSERT INTO projections (run_name, scenario, area_code, group_code, sex, age, "
                "period, count, lower80, upper80, lower95, upper95) SELECT * FROM projection_frame")
    auth.add_user(con, "bench", PASSWORD, "viewer")


def _store(folder: Path, location: str | None = None) -> Path | str:
    """The bench store: a DuckDB file in ``folder``, or the (empty) database ``location``."""
    from kelisim import store

    path = location or folder / "bench.duckdb"
    con = store.connect(path)
    _fill(con, np.random.default_rng(20240601))
    con.close()
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a process, from /proc (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _login(base: str, attempts: int) -> str:
    """The bench account's bearer token, once the server at ``base`` answers (polled every
    0.1 s, ``attempts`` times)."""
    import httpx

    for _ in range(attempts):
        try:
            httpx.get(base + "/api/health", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    return httpx.post(base + "/api/auth/token", json={
        "username": "bench", "password": PASSWORD}, timeout=60).json()["token"]


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _first_page(base: str, token: str) -> tuple[float, float | None]:
    """Cold HTTP time of the overview page, and the browser's load time when Chromium exists."""
    import httpx

    started = time.perf_counter()
    httpx.get(base + "/", cookies={"kelisim_session": token}, timeout=30).raise_for_status()
    http_seconds = time.perf_counter() - started
    chromium = os.environ.get("KELISIM_CHROMIUM", "/usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return http_seconds, None
    if not Path(chromium).exists():
        return http_seconds, None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        context = browser.new_context()
        context.add_cookies([{"name": "kelisim_session", "value": token, "url": base}])
        page = context.new_page()
        started = time.perf_counter()
        page.goto(base + "/area/310000000", wait_until="load")
        page.goto(base + "/", wait_until="load")
        browser_seconds = (time.perf_counter() - started) / 2
        browser.close()
    return http_seconds, browser_seconds


async def _get(reader, writer, host: str, path: str, token: str) -> None:
    """One GET over a kept-alive HTTP/1.1 connection; raises unless the reply is 200."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
                 f"Authorization: Bearer {token}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = head.split(b" ", 2)[1]
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    await reader.readexactly(length)
    if status != b"200":
        raise RuntimeError(f"{path} answered {status.decode()}")


async def _load(base: str, token: str, routes: list[str]) -> list[float]:
    """CLIENTS concurrent keep-alive connections, REQUESTS_EACH requests each.

    A minimal HTTP/1.1 client over asyncio streams, so that the load generator's own CPU
    (printed) stays small next to the server's on a small machine.
    """
    latencies: list[float] = []
    deadline = time.perf_counter() + TIME_LIMIT
    host, port = base.removeprefix("http://").split(":")

    async def client(number: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for i in range(REQUESTS_EACH):
                if time.perf_counter() > deadline:
                    return
                started = time.perf_counter()
                await _get(reader, writer, host, routes[(number + i) % len(routes)], token)
                latencies.append(time.perf_counter() - started)
        finally:
            writer.close()

    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    return latencies


def _uncached(path: Path, token: str) -> dict[str, float]:
    """Median time of each route with the read cache off (3 calls, in this process)."""
    from fastapi.testclient import TestClient

    from kelisim.web import create_app

    client = TestClient(create_app(path, {"cache_seconds": 0}))
    times = {}
    for route in API_ROUTES:
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            client.get(route, headers={"Authorization": f"Bearer {token}"}).raise_for_status()
            runs.append(time.perf_counter() - started)
        times[route] = float(np.median(runs))
    return times


def main() -> None:
    import httpx

    with tempfile.TemporaryDirectory() as folder:
        path = _store(Path(folder))
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-c",
             f"from kelisim.web import serve; serve('127.0.0.1', {port}, {str(path)!r})"],
            stdout=subprocess.DEVNULL)
        try:
            token = _login(base, attempts=200)
            http_first, browser_first = _first_page(base, token)
            single = []  # one client, one request at a time: the service time per request
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as one:
                for i in range(10 * len(API_ROUTES)):  # the first pass also warms the cache
                    started = time.perf_counter()
                    one.get(API_ROUTES[i % len(API_ROUTES)]).raise_for_status()
                    single.append(time.perf_counter() - started)
            started, client_cpu, server_cpu = (time.perf_counter(), _client_cpu(),
                                               _server_cpu(server.pid))
            latencies = asyncio.run(_load(base, token, API_ROUTES))
            seconds = time.perf_counter() - started
            client_cpu = _client_cpu() - client_cpu
            server_after = _server_cpu(server.pid)
            server_cpu = None if server_cpu is None else server_after - server_cpu
            floor = asyncio.run(_load(base, token, ["/api/health"]))
        finally:
            server.terminate()
            server.wait(timeout=10)
        uncached = _uncached(path, token)
    ms, floor_ms = np.array(latencies) * 1000, np.array(floor) * 1000
    print(f"first page (overview, cold server, HTTP):  {http_first:.3f} s   goal < 2 s")
    if browser_first is not None:
        print(f"first page load in Chromium (to 'load'):   {browser_first:.3f} s   goal < 2 s")
    single_ms = np.array(single[len(API_ROUTES):]) * 1000
    print(f"API, one client at a time: p50 {np.percentile(single_ms, 50):.1f} ms, "
          f"p95 {np.percentile(single_ms, 95):.1f} ms")
    print(f"API: {len(ms)} requests from {CLIENTS} concurrent clients on loopback, "
          f"{len(ms) / seconds:.0f} requests/s, {os.cpu_count()} CPUs "
          f"(load average {os.getloadavg()[0]:.1f})")
    server_text = "n/a" if server_cpu is None else f"{server_cpu:.2f} s"
    per_request = "" if server_cpu is None else (
        f"; server CPU per request {server_cpu / len(ms) * 1000:.2f} ms")
    print(f"CPU during the load ({seconds:.2f} s wall): server process {server_text}, "
          f"load-generator process {client_cpu:.2f} s{per_request}")
    print(f"API latency p50 {np.percentile(ms, 50):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms,"
          f" max {ms.max():.1f} ms   goal p95 < {GOAL_MS:.0f} ms "
          f"({'met' if np.percentile(ms, 95) < GOAL_MS else 'NOT met'})")
    print("uncached service time (cache off, in-process; what a cache miss costs, every "
          f"{CACHE_SECONDS:.0f} s per URL): " + ", ".join(
              f"{route} {seconds * 1000:.0f} ms" for route, seconds in uncached.items()))
    print(f"floor, /api/health under the same load: p50 {np.percentile(floor_ms, 50):.1f} ms, "
          f"p95 {np.percentile(floor_ms, 95):.1f} ms")


if __name__ == "__main__":
    main()
