"""Schema migrations apply once and in order."""

from kelisim import store


def test_migrations_apply_once(tmp_path):
    con = store.connect(tmp_path / "k.duckdb")
    names = [n for n, _ in store.migration_files()]
    rows = con.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
    done = [r[0] for r in rows]
    assert done == names
    assert store.migrate(con) == []
    con.close()


def test_transaction_rolls_back(tmp_path):
    con = store.connect(tmp_path / "k.duckdb")
    try:
        with store.transaction(con):
            con.execute("INSERT INTO sources VALUES ('s1', 'c', NULL, NULL)")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert con.execute("SELECT count(*) FROM sources").fetchone()[0] == 0
