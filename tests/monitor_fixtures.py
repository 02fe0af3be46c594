"""Readers for the constructed Watch fixtures (tests/fixtures/monitor, written by us)."""

from pathlib import Path

import pandas as pd

FIXTURES = Path(__file__).parent / "fixtures" / "monitor"


def constructed_eval(language: str, kind: str = "eval") -> pd.DataFrame:
    """A constructed set of one language, ``kind`` eval or holdout (first line is the
    'constructed' note)."""
    frame = pd.read_csv(
        FIXTURES / f"constructed_{kind}_{language}.csv", skiprows=1, keep_default_na=False
    )
    frame["relevant"] = frame["relevant"].astype(str).str.lower() == "true"
    frame["counter_speech"] = frame["counter_speech"].astype(str).str.lower() == "true"
    return frame
