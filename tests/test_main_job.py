"""The main job: census summary of 1989-2021."""

import pandas as pd
import pytest

from kelisim import store
from kelisim.main_job import REMAINDER, census_summary, run_main_job


def test_census_summary_on_a_constructed_table():
    frame = pd.DataFrame({
        "group": ["a", "b", "total", "a", "b", "total"],
        "period": [1, 1, 1, 2, 2, 2],
        "count": [50.0, 30.0, 100.0, 70.0, 20.0, 100.0],
    })
    out = census_summary(frame, (1, 2)).set_index("group")
    assert out.loc["a", "share_1"] == 0.5 and out.loc["a", "change_1_2"] == pytest.approx(20)
    assert out.loc[REMAINDER, "count_2"] == 10 and out.loc["total", "share_2"] == 1


def test_run_main_job_prints_the_summary(any_db, capsys):
    run_main_job()
    first = capsys.readouterr().out
    assert "Built the kelisim database" in first
    assert "Kazakhs" in first and "70.4" in first and "2021" in first
    # persons grouped as every CLI table groups them (kelisim.core.numbers.format_count)
    assert "13,497,891" in first and "13 497 891" not in first
    assert "Stored the bundled projections" in first  # so the dashboard's forecasts show
    run_main_job()
    second = capsys.readouterr().out
    assert "Built" not in second and "Stored" not in second
    con = store.connect(any_db)
    try:
        runs = {r[0] for r in con.execute("SELECT DISTINCT run_name FROM projections").fetchall()}
        unbounded = con.execute(
            "SELECT count(*) FROM projections WHERE run_name = 'kazakhstan_national' "
            "AND age = 'total' AND period > 2025 AND (lower95 IS NULL OR share_lower95 IS NULL)"
        ).fetchone()[0]
    finally:
        con.close()
    assert runs == {"kazakhstan_national", "trend_census_national", "hindcast_kazakhstan"}
    assert unbounded == 0  # the pages show the bundled group shares with intervals (issue 12)
