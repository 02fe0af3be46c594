"""Schema migrations apply once and in order, on each backend."""

from kelisim import store
from kelisim.store import postgres


def test_migrations_apply_once(empty_db):
    con = store.connect(empty_db)
    names = [n for n, _ in store.migration_files(postgres.postgis_usable(con))]
    rows = con.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
    done = [r[0] for r in rows]
    assert done == names
    assert store.migrate(con) == []
    con.close()


def test_transaction_rolls_back(any_db):
    con = store.connect(any_db)
    try:
        with store.transaction(con):
            con.execute("INSERT INTO sources VALUES ('s1', 'c', NULL, NULL)")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert con.execute("SELECT count(*) FROM sources").fetchone()[0] == 0



def test_postgresql_sessions_keep_utc(any_db):
    """A TIMESTAMP column's current_timestamp is the session zone's time: PostgreSQL sessions
    are in UTC whatever the server's zone, so pages (views.formats.moment) convert one zone."""
    from kelisim import store

    con = store.connect(any_db)
    if store.postgres.is_url(any_db):
        assert con.execute("SELECT current_setting('TimeZone')").fetchone()[0] == "UTC"
    con.close()
