"""Shared by the forecast tests: the WPP schedules with every value dated after a year changed,
to check that a hindcast from that year uses none of them."""

from contextlib import contextmanager

import numpy as np

from kelisim.forecast import calibrate


def _clear_schedule_caches() -> None:
    calibrate.survival_for.cache_clear()
    calibrate.fertility_for.cache_clear()


@contextmanager
def wpp_changed_after(monkeypatch, year: int):
    """Within the block, every WPP value dated after ``year`` is changed: annual TFR of later
    years x 1.5, death rates of later five-year periods x 2, their fertility pattern moved five
    years older (a period is dated by its first year: 2005-2010 is applied to 2009)."""
    mx, asfr, tfr = (frame.copy() for frame in calibrate.wpp_schedules())
    later = mx["period"].str[:4].astype(int) > year
    mx.loc[later, ["mxF", "mxM"]] *= 2.0
    later = asfr["period"].str[:4].astype(int) > year
    for _, rows in asfr[later].groupby("period"):
        asfr.loc[rows.index, "pasfr"] = np.roll(rows["pasfr"].to_numpy(), 1)
    tfr[tfr.index > year] *= 1.5
    _clear_schedule_caches()
    monkeypatch.setattr(calibrate, "wpp_schedules", lambda: (mx, asfr, tfr))
    try:
        yield
    finally:
        monkeypatch.undo()
        _clear_schedule_caches()
