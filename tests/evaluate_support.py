"""CONSTRUCTED evaluation data shared by the CLI and web tests: a monthly 'trust' indicator for
every region (2020-2022) and public councils starting at different dates in six regions, with a
true effect of +2 on trust from the month a council starts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

TRUE_EFFECT = 2.0


def council_starts() -> dict[str, pd.Timestamp]:
    from kelisim.core.areas import areas

    regions = sorted(areas("2024").query("level == 'region'")["area_code"])
    months = pd.date_range("2020-01-01", periods=36, freq="MS")
    return {regions[i]: months[12 + 4 * (i % 3)] for i in range(6)}


def trust_indicator_file(folder: Path) -> Path:
    from kelisim.core.areas import areas

    regions = sorted(areas("2024").query("level == 'region'")["area_code"])
    starts = council_starts()
    rng = np.random.default_rng(3)
    rows = []
    for region in regions:
        base = rng.normal(50, 5)
        for month in pd.date_range("2020-01-01", periods=36, freq="MS"):
            effect = TRUE_EFFECT if region in starts and month >= starts[region] else 0.0
            rows.append(("trust", region, month.strftime("%Y-%m"),
                         round(base + 0.05 * month.month + effect + rng.normal(0, 0.3), 3)))
    path = folder / "trust.csv"
    pd.DataFrame(rows, columns=["indicator", "area", "period", "value"]).to_csv(path,
                                                                                index=False)
    return path


def council_activities_file(folder: Path) -> Path:
    path = folder / "councils.csv"
    lines = ["activity_id,type,area,date_start,source"] + [
        f"PC-{i},public_council,{region},{day.date()},https://example.org/{i}"
        for i, (region, day) in enumerate(council_starts().items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
