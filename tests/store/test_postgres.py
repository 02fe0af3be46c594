"""PostgreSQL-only behaviour of the store (issue 10, items 4 and 5): a server that goes away in
the middle of an import leaves nothing of it and the command says so in one sentence. The
rest of the store's tests run on both backends through conftest.any_db."""

import pytest

from cli_support import run_main
from kelisim import store
from pg_support import ThrowAwayServer, why_unavailable


def _table(path):
    lines = ["area_code,group,period,count"]
    for year in range(2031, 2041):  # ten periods: several chunks of CHUNK_ROWS = 6
        lines += [f"750000000,kazakh,{year},100", f"750000000,russian,{year},50",
                  f"750000000,total,{year},150"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_server_gone_mid_import_leaves_nothing_and_says_so(tmp_path, monkeypatch, capsys):
    reason = why_unavailable()
    if reason:
        pytest.skip(reason)
    from kelisim.datasets import io
    from kelisim.store import population

    server = ThrowAwayServer().start()  # its own server: this test stops it
    try:
        url = server.new_database()
        monkeypatch.setenv("KELISIM_DB", url)
        monkeypatch.setenv("KELISIM_HOME", str(tmp_path / "home"))
        assert run_main(monkeypatch, capsys, "data", "list")[0] == 0  # the bundled data
        written = []
        real_insert = population.insert_population

        def insert_then_lose_the_server(con, rows):
            if written:  # one chunk is in: the server goes away before the next
                server.stop("fast")  # ends the session; what was committed stays (the
                # throw-away server runs with synchronous_commit=off, which an immediate stop
                # may lose)
            real_insert(con, rows)
            written.append(len(rows))

        monkeypatch.setattr(io, "CHUNK_ROWS", 6)
        monkeypatch.setattr(population, "insert_population", insert_then_lose_the_server)
        code, out, err = run_main(monkeypatch, capsys, "data", "import",
                                  str(_table(tmp_path / "tiny.csv")), "--name", "tiny_2031")
        assert written == [6]
        lines = err.strip().splitlines()
        assert code == 3 and len(lines) == 1 and "Traceback" not in err, err
        assert "KELISIM_DB" in lines[0] and "stopped answering" in lines[0]
        assert "nothing of it was written" in lines[0]
        server.restart()
        con = store.connect(url)
        try:
            assert con.execute("SELECT count(*) FROM population WHERE dataset = 'tiny_2031'"
                               ).fetchone() == (0,)
            assert con.execute("SELECT count(*) FROM datasets WHERE name = 'tiny_2031'"
                               ).fetchone() == (0,)
            assert con.execute("SELECT count(*) FROM datasets").fetchone()[0] > 0  # the rest
        finally:
            con.close()
    finally:
        server.remove()
