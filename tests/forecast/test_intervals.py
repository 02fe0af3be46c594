"""Every stored interval contains its point (issue 9: `19 186 015` was shown with
`95%: 19 186 016–19 186 016`, the single-precision draws rounded beside the double point)."""

from __future__ import annotations

import numpy as np

from kelisim.forecast.pipeline import choose_spec, run_spec


def test_monte_carlo_intervals_contain_their_point_in_every_period():
    table = run_spec(choose_spec(None, "kazakhstan_national"), draws=3, seed=1)
    rows = table.dropna(subset=["lower95"])
    assert len(rows) > 100
    point = rows["count"].to_numpy()
    for low, high in (("lower95", "upper95"), ("lower80", "upper80")):
        assert np.all(rows[low].to_numpy() <= point), low
        assert np.all(point <= rows[high].to_numpy()), high
    assert np.all(rows["lower95"] <= rows["lower80"]) and np.all(rows["upper80"] <= rows["upper95"])
    base = rows[(rows["period"] == rows["period"].min()) & (rows["group"] == "total")]
    # the base year has no randomness: the interval is the point itself, to the person
    assert np.all(np.round(base["lower95"]) == np.round(base["count"]))
    assert np.all(np.round(base["upper95"]) == np.round(base["count"]))
