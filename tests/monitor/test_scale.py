"""Watch at national scale (issue 16): archive export, re-scoring a dataset on Dask with the same
answers as one process, a worker killed mid-run, and feed polling that survives restarts.

Documents are CONSTRUCTED (tests/monitor_fixtures.constructed_posts); the reference for "same
answers" is kelisim's own single-process path (`kelisim monitor classify FILE`).
"""

import json
import os
import signal
import subprocess
import sys
import threading
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from cli_support import run_main
from kelisim import store
from kelisim.monitor import archive
from kelisim.monitor.aggregate import daily_counts
from kelisim.monitor.feeds import poll_feed
from kelisim.monitor.pipeline import store_batch
from kelisim.store.monitor_scale import feed_states
from monitor_fixtures import constructed_posts

KELISIM = str(Path(sys.executable).parent / "kelisim")
SCORES = (
    "text", "language", "relevant", "relevance_score", "tier", "hostility_score",
    "counter_speech", "model",
)  # fmt: skip


def run(*args, env=None):
    """Run the real `kelisim` command; returns the finished process."""
    return subprocess.run(
        [KELISIM, *map(str, args)], capture_output=True, text=True, timeout=300, env=env
    )


def read_dataset(folder) -> pd.DataFrame:
    table = ds.dataset(folder, partitioning="hive", format="parquet").to_table()
    return table.to_pandas().sort_values("doc_id", ignore_index=True)


def write_dataset(frame: pd.DataFrame, folder: Path, files: int) -> None:
    """A Parquet dataset of ``files`` files (row groups of 250 rows) plus one JSONL file."""
    folder.mkdir()
    chunks = [frame.iloc[i :: files + 1] for i in range(files + 1)]
    for index, chunk in enumerate(chunks[:-1]):
        table = pa.Table.from_pandas(chunk.reset_index(drop=True), preserve_index=False)
        pq.write_table(table, folder / f"posts-{index}.parquet", row_group_size=250)
    chunks[-1].to_json(folder / "posts.jsonl", orient="records", lines=True, date_format="iso")


@pytest.fixture(scope="module")
def posts_dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("scale")
    posts = constructed_posts(3000)
    write_dataset(posts, root / "posts", files=3)
    posts.to_json(root / "posts.jsonl", orient="records", lines=True, date_format="iso")
    return root, posts


def test_dask_rescoring_with_two_workers_equals_the_single_process_path(posts_dataset, tmp_path):
    root, posts = posts_dataset
    env = {**os.environ, "KELISIM_DB": str(tmp_path / "dask.duckdb")}
    done = run("monitor", "classify", root / "posts", "--engine", "dask", "--workers", "2",
               "--out", tmp_path / "dask", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "re-scored 3000 documents" in done.stdout and "on 2 Dask workers" in done.stdout
    single = run("monitor", "classify", root / "posts.jsonl", "--format", "jsonl",
                 "--out", tmp_path / "single.jsonl")  # fmt: skip
    assert single.returncode == 0, single.stderr

    scored = read_dataset(tmp_path / "dask").sort_values("id", ignore_index=True)
    reference = pd.read_json(
        tmp_path / "single.jsonl", lines=True, dtype=False, precise_float=True
    ).sort_values("id", ignore_index=True)
    assert scored["id"].tolist() == posts["id"].tolist()  # every row once
    assert scored["doc_id"].is_unique
    for column in SCORES:
        assert scored[column].tolist() == reference[column].tolist(), column
    for column in ("groups", "places"):
        assert [list(v) for v in scored[column]] == [list(v) for v in reference[column]]
    assert [json.loads(r) for r in scored["rationale"]] == reference["rationale"].tolist()
    assert set(scored["tier"]) == {0, 1, 2, 3, 4, 5}  # the constructed posts reach every tier
    # One folder per day, named by the publication day of its rows.
    days = pd.to_datetime(scored["published_at"]).dt.strftime("%Y-%m-%d")
    assert (days == scored["day"]).all() and scored["day"].nunique() == 60

    # The aggregates written back are those of the whole output computed in one go.
    con = store.connect(tmp_path / "dask.duckdb")
    stored = con.execute(
        'SELECT area_code AS area, group_code AS "group", day AS period, volume, '
        "relevant_count, tension_index, tier_5 FROM monitor_daily"
    ).df()
    con.close()
    expected = daily_counts(scored.assign(published_at=pd.to_datetime(scored["published_at"])))
    key = ["area", "group", "period"]
    stored["period"] = pd.to_datetime(stored["period"])
    merged = expected.merge(stored, on=key, suffixes=("", "_stored"), validate="1:1")
    assert len(merged) == len(expected) == len(stored)
    for column in ("volume", "relevant_count", "tension_index", "tier_5"):
        assert (merged[column] == merged[f"{column}_stored"]).all(), column


def test_export_is_partitioned_by_day_and_rescores_to_the_same_scores(tmp_path, any_db):
    posts = constructed_posts(400, seed=7)
    posts.to_json(tmp_path / "posts.jsonl", orient="records", lines=True, date_format="iso")
    env = {**os.environ, "KELISIM_DB": any_db}
    assert run("monitor", "ingest", tmp_path / "posts.jsonl", "--store", env=env).returncode == 0
    done = run("monitor", "export", "--out", tmp_path / "archive", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("exported 400 documents")
    exported = read_dataset(tmp_path / "archive")
    assert len(exported) == 400 and exported["doc_id"].is_unique
    for column in ("text", "language", "source", "places", "tier", "model", "lexicon_version"):
        assert column in exported.columns
    assert sorted(p.name for p in (tmp_path / "archive").iterdir())[0] == "day=2024-01-01"
    assert exported["lexicon_version"].str.fullmatch(r"[0-9a-f]{12}").all()

    again = run("monitor", "classify", tmp_path / "archive", "--out", tmp_path / "rescored",
                env=env)  # fmt: skip
    assert again.returncode == 0, again.stderr
    rescored = read_dataset(tmp_path / "rescored")
    assert list(rescored.columns).count("tier") == 1  # the old scores are replaced
    for column in ("doc_id", "text", "language", "tier", "relevance_score", "relevant"):
        assert rescored[column].tolist() == exported[column].tolist(), column


def test_a_worker_killed_mid_run_leaves_the_same_output_without_duplicates(
    posts_dataset, tmp_path, monkeypatch
):
    from kelisim.monitor.distributed import dask_client, rescore_on_dask

    root, posts = posts_dataset
    monkeypatch.setattr(archive, "PART_ROWS", 250)  # 10 parts: work left when a worker dies
    parts = archive.dataset_parts(root / "posts")
    assert len(parts) == 10
    archive.rescore_locally(parts, tmp_path / "local")
    with dask_client(workers=2) as client:
        pids = client.run(os.getpid)
        victim = sorted(pids)[0]
        killed = []

        def kill_once(_):
            if not killed:
                os.kill(pids[victim], signal.SIGKILL)
                killed.append(victim)

        with archive.staged_output(tmp_path / "dask") as staging:
            rows, _ = rescore_on_dask(client, parts, staging, progress=kill_once)
        client.wait_for_workers(2, timeout=60)  # the nanny replaced the dead worker
        assert set(client.run(os.getpid).values()) != set(pids.values())
    assert killed and rows == len(posts)
    local, dask = read_dataset(tmp_path / "local"), read_dataset(tmp_path / "dask")
    assert dask["doc_id"].is_unique and len(dask) == len(posts)
    pd.testing.assert_frame_equal(local, dask)
    assert not list((tmp_path / "dask").glob("day=*/.*"))  # no half-written files left


def test_bad_dataset_input_is_one_sentence_and_writes_nothing(tmp_path):
    (tmp_path / "in").mkdir()
    pd.DataFrame({"body": ["a"]}).to_json(tmp_path / "in" / "x.jsonl", orient="records",
                                           lines=True)  # fmt: skip
    done = run("monitor", "classify", tmp_path / "in", "--out", tmp_path / "out")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert "x.jsonl, row 1, column text: no such column" in done.stderr
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))
    engine = run("monitor", "classify", tmp_path / "in", "--engine", "spark", "--out", tmp_path)
    assert engine.returncode == 2 and "--engine: must be one of local, dask" in engine.stderr


def test_unreadable_parquet_or_missing_output_folder_is_one_sentence(tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.setenv("KELISIM_DB", str(tmp_path / "store.duckdb"))
    (tmp_path / "broken.parquet").write_text("text\n")
    code, out, err = run_main(monkeypatch, capsys, "monitor", "classify",
                              str(tmp_path / "broken.parquet"), "--out", str(tmp_path / "o"))
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith(f"error: {tmp_path / 'broken.parquet'}: cannot read it as Parquet (")
    (tmp_path / "posts.csv").write_text("text\nconstructed post\n")
    missing = tmp_path / "no" / "such" / "out.csv"
    for command in (["classify", str(tmp_path / "posts.csv")],
                    ["ingest", str(tmp_path / "posts.csv"), "--kind", "csv"]):
        code, out, err = run_main(monkeypatch, capsys, "monitor", *command, "--out", str(missing))
        assert code == 2 and out == ""
        assert err == f"error: --out: there is no folder {missing.parent} to write out.csv in.\n"


def test_kelisim_help_does_not_import_dask():
    code = "import sys, kelisim.cli; print(sorted({'dask', 'distributed'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


# --- feeds ----------------------------------------------------------------------------------

ITEMS = [
    ("Алматыда ұлттық мәдени орталықтар фестиваль өткізді.", "2024-03-01 08:00"),
    ("В Таразе прошёл межнациональный конфликт между жителями двух сёл.", "2024-03-01 12:00"),
    ("Astana hosted a festival of ethnic cultural centres.", "2024-03-02 09:00"),
    ("Жители Шымкента обсуждают напряжённость после драки на рынке.", "2024-03-03 10:00"),
]  # CONSTRUCTED items


class Feed:
    """A feed served over HTTP with an ETag: 304 when the client already has this version."""

    def __init__(self):
        self.items = list(ITEMS[:3])
        self.requests = 0
        self.before_first_answer = None  # called once, before the first request is answered
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                feed.requests += 1
                if feed.requests == 1 and feed.before_first_answer is not None:
                    feed.before_first_answer()
                body, etag = feed.body()
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/rss.xml"

    def body(self):
        entries = "".join(
            f"<item><title>{text[:20]}</title><link>https://news.example.kz/{i}</link>"
            f"<description>{text}</description>"
            f"<pubDate>{format_datetime(pd.Timestamp(when, tz='UTC').to_pydatetime())}</pubDate>"
            "</item>"
            for i, (text, when) in enumerate(self.items)
        )
        xml = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Test</title>{entries}'
        xml += "</channel></rss>"
        return xml.encode("utf-8"), f'"v{len(self.items)}"'


@pytest.fixture()
def feed():
    served = Feed()
    yield served
    served.server.shutdown()


def test_polling_remembers_each_feed_so_restarts_neither_lose_nor_repeat(feed, any_db):
    db = any_db
    env = {**os.environ, "KELISIM_DB": db}
    first = run("monitor", "poll", feed.url, env=env)
    assert first.returncode == 0, first.stderr
    assert f"{feed.url}: 3 new documents (0 already stored)" in first.stdout
    second = run("monitor", "poll", feed.url, env=env)
    assert f"{feed.url}: not modified" in second.stdout  # the stored ETag was sent

    feed.items.append(ITEMS[3])
    # A run that stored the new item and stopped before saving the feed's state:
    con = store.connect(db)
    state = feed_states(con, [feed.url])[feed.url]
    assert state.etag == '"v3"' and state.items_stored == 3
    assert str(state.last_published_at) == "2024-03-02 09:00:00"
    interrupted = poll_feed(state)
    store_batch(con, interrupted.documents)
    con.close()
    # The restart fetches the items again (the state did not move) and stores none twice.
    third = run("monitor", "poll", feed.url, env=env)
    assert f"{feed.url}: 0 new documents (2 already stored)" in third.stdout, third.stdout
    con = store.connect(db)
    urls = [r[0] for r in con.execute("SELECT url FROM documents ORDER BY url").fetchall()]
    state = feed_states(con, [feed.url])[feed.url]
    con.close()
    assert urls == [f"https://news.example.kz/{i}" for i in range(4)]
    assert state.etag == '"v4"' and str(state.last_published_at) == "2024-03-03 10:00:00"


def test_a_dead_feed_is_one_line_and_the_others_are_stored(feed, any_db):
    env = {**os.environ, "KELISIM_DB": any_db}
    dead = "http://127.0.0.1:9/nothing.xml"
    done = run("monitor", "poll", dead, feed.url, env=env)
    assert done.returncode == 2
    assert f"{feed.url}: 3 new documents" in done.stdout
    assert f"error: {dead}: could not download it" in done.stderr
    assert "1 of 2 feeds could not be polled" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr  # one sentence, not two lines


def test_a_dead_feed_alone_is_one_error_sentence(any_db, monkeypatch, capsys):
    dead = "http://127.0.0.1:9/nothing.xml"
    code, out, err = run_main(monkeypatch, capsys, "monitor", "poll", dead)
    assert code == 2 and out == ""
    assert err == f"error: {dead}: could not download it (Connection refused).\n"
    assert len(err.splitlines()) == 1 and "see above" not in err


def test_a_worker_killed_while_polling_is_run_again_and_stores_each_item_once(feed, any_db):
    from kelisim.monitor.distributed import dask_client, poll_on_dask
    from kelisim.monitor.feeds import store_poll

    con = store.connect(any_db)
    with dask_client(workers=1) as client:
        pid = next(iter(client.run(os.getpid).values()))
        # The worker dies while its poll task waits for the feed's answer.
        feed.before_first_answer = lambda: os.kill(pid, signal.SIGKILL)
        states = list(feed_states(con, [feed.url]).values())
        results = list(poll_on_dask(client, states))
    assert feed.requests == 2 and len(results) == 1  # the task ran again, on the new worker
    assert store_poll(con, results[0]).documents == 3
    stored = con.execute("SELECT count(*), count(DISTINCT url) FROM documents").fetchall()
    assert stored == [(3, 3)]
    assert feed_states(con, [feed.url])[feed.url].items_stored == 3
    con.close()
