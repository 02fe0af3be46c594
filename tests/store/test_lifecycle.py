"""Deleting what was imported (issue 10, item 6): `kelisim data delete`, `kelisim incidents
delete`, `kelisim monitor delete`, each audited, all or nothing, unknown names in one sentence
with "did you mean". Files and documents are CONSTRUCTED by the tests."""

from pathlib import Path

import pytest

from cli_support import run_main
from kelisim import store

BUNDLED_INCIDENTS = Path(__file__).resolve().parents[2] / "src/kelisim/datasets/data/incidents.csv"


def _table(path: Path) -> Path:
    path.write_text("area_code,group,period,count\n750000000,kazakh,2031,100\n"
                    "750000000,russian,2031,50\n750000000,total,2031,150\n", encoding="utf-8")
    return path


def _counts(any_db, sql: str, *params):
    con = store.connect(any_db, read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_data_delete_removes_the_dataset_and_audits(any_db, tmp_path, monkeypatch, capsys):
    assert run_main(monkeypatch, capsys, "data", "import", str(_table(tmp_path / "tiny.csv")),
                    "--name", "tiny_2031")[0] == 0
    code, out, err = run_main(monkeypatch, capsys, "data", "delete", "tiny_2031")
    assert code == 0 and out.strip() == "deleted dataset 'tiny_2031': 3 rows", err
    assert _counts(any_db, "SELECT count(*) FROM population WHERE dataset = 'tiny_2031'") \
        == [(0,)]
    assert _counts(any_db, "SELECT count(*) FROM datasets WHERE name = 'tiny_2031'") == [(0,)]
    assert _counts(any_db, "SELECT who, action, object, CAST(detail AS JSON)->>'rows' "
                            "FROM audit_log") == [
        ("cli", "dataset.delete", "tiny_2031", "3")]
    assert _counts(any_db, "SELECT count(*) FROM population WHERE dataset = "
                            "'census_national'")[0][0] > 0  # the rest is untouched


def test_unknown_and_bundled_names_are_one_sentence(any_db, tmp_path, monkeypatch, capsys):
    run_main(monkeypatch, capsys, "data", "import", str(_table(tmp_path / "tiny.csv")),
             "--name", "tiny_2031")
    code, out, err = run_main(monkeypatch, capsys, "data", "delete", "tiny_2013")
    lines = err.strip().splitlines()
    assert code != 0 and len(lines) == 1 and "Traceback" not in err
    assert "no dataset named 'tiny_2013'" in lines[0] and "did you mean 'tiny_2031'?" in lines[0]
    code, out, err = run_main(monkeypatch, capsys, "data", "delete", "zzz")
    assert code != 0 and "`kelisim data list` lists them" in err
    code, out, err = run_main(monkeypatch, capsys, "data", "delete", "census_national")
    assert code != 0 and "is bundled" in err and len(err.strip().splitlines()) == 1
    code, out, err = run_main(monkeypatch, capsys, "incidents", "delete", "nothing")
    assert code != 0 and "no incident batch named 'nothing'" in err
    code, out, err = run_main(monkeypatch, capsys, "monitor", "delete", "nothing")
    assert code != 0 and "no monitor source named 'nothing'" in err
    assert _counts(any_db, "SELECT count(*) FROM audit_log") == [(0,)]  # nothing written


def test_incident_batch_delete(any_db, tmp_path, monkeypatch, capsys):
    lines = BUNDLED_INCIDENTS.read_text(encoding="utf-8").splitlines(keepends=True)
    header, first, second = lines[0], lines[1], lines[2]
    (tmp_path / "acled_2006.csv").write_text(header + first.replace("KZ-2006-10-TENGIZ",
                                                                    "KZ-TEST-1"),
                                             encoding="utf-8")
    (tmp_path / "other.csv").write_text(header + second.replace("KZ-2006-11-SHELEK",
                                                                "KZ-TEST-2"), encoding="utf-8")
    for name in ("acled_2006.csv", "other.csv"):
        code, out, err = run_main(monkeypatch, capsys, "incidents", "import",
                                  str(tmp_path / name))
        assert code == 0, err
    assert "imported 1 incidents as batch 'other'" in out
    code, out, err = run_main(monkeypatch, capsys, "incidents", "batches")
    assert code == 0 and "acled_2006\t1 incidents" in out and "other\t1 incidents" in out
    code, out, err = run_main(monkeypatch, capsys, "incidents", "delete", "acled_2007")
    assert code != 0 and "did you mean 'acled_2006'?" in err
    code, out, err = run_main(monkeypatch, capsys, "incidents", "delete", "acled_2006")
    assert code == 0 and "deleted batch 'acled_2006': 1 incidents" in out
    ids = {row[0] for row in _counts(any_db, "SELECT incident_id FROM incidents")}
    assert "KZ-TEST-1" not in ids and "KZ-TEST-2" in ids and "KZ-2006-10-TENGIZ" in ids
    assert _counts(any_db, "SELECT action, object FROM audit_log") == [
        ("incidents.delete_batch", "acled_2006")]


def test_monitor_source_delete_recomputes_alerts_in_one_transaction(any_db, monkeypatch,
                                                                    capsys):
    con = store.connect(any_db)
    con.execute("INSERT INTO documents (doc_id, source, published_at, text) VALUES "
                "('a1', 'feed_a', '2024-03-01', 'constructed'), "
                "('a2', 'feed_a', '2024-03-02', 'constructed'), "
                "('b1', 'feed_b', '2024-03-01', 'constructed')")
    con.execute("INSERT INTO classifications (doc_id, relevant, tier, groups, places) VALUES "
                "('a1', true, 3, ['kazakh'], ['750000000']), "
                "('a2', true, 2, ['kazakh'], ['750000000']), ('b1', false, 0, [], [])")
    con.execute("INSERT INTO alerts (alert_id, day, metric, top_doc_ids) VALUES "
                "('x', '2024-03-01', 'tension_index', ['a1'])")
    con.close()
    code, out, err = run_main(monkeypatch, capsys, "monitor", "sources")
    assert code == 0 and out.splitlines() == ["feed_a\t2 documents", "feed_b\t1 documents"]
    code, out, err = run_main(monkeypatch, capsys, "monitor", "delete", "feed_")
    assert code != 0 and "did you mean" in err and "'feed_a'" in err and "'feed_b'" in err
    code, out, err = run_main(monkeypatch, capsys, "monitor", "delete", "feed_a")
    assert code == 0, err
    assert out.strip() == "deleted source 'feed_a': 2 documents; 0 alerts remain on the 2 days " \
                          "they covered"
    assert _counts(any_db, "SELECT doc_id FROM documents") == [("b1",)]
    assert _counts(any_db, "SELECT doc_id FROM classifications") == [("b1",)]
    assert _counts(any_db, "SELECT count(*) FROM alerts") == [(0,)]  # its alert went with it
    assert _counts(any_db, "SELECT action, object, CAST(detail AS JSON)->>'documents' "
                            "FROM audit_log") == [
        ("monitor.delete_source", "feed_a", "2")]


def test_a_failed_deletion_changes_nothing(any_db, tmp_path, monkeypatch):
    from kelisim.datasets import open_store
    from kelisim.datasets.io import import_population
    from kelisim.store import lifecycle

    con = open_store()
    import_population(con, _table(tmp_path / "tiny.csv"), name="tiny_2031")

    def broken_audit(*args):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(lifecycle, "_audit", broken_audit)
    with pytest.raises(RuntimeError), store.transaction(con):
        lifecycle.delete_dataset(con, "tiny_2031")
    assert con.execute("SELECT count(*) FROM population WHERE dataset = 'tiny_2031'"
                       ).fetchone()[0] == 3
    assert con.execute("SELECT count(*) FROM datasets WHERE name = 'tiny_2031'").fetchone() \
        == (1,)
    con.close()
