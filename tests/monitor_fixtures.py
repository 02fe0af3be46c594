"""Readers for the constructed Watch fixtures (tests/fixtures/monitor, written by us)."""

from pathlib import Path

import numpy as np
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


def constructed_posts(count: int, seed: int = 16) -> pd.DataFrame:
    """``count`` CONSTRUCTED posts (for the scale tests and bench/bench_monitor_dask.py): one to
    three sentences of one language (kk, ru, en in equal shares) drawn from the constructed
    eval sets, each with its own URL, one of five sources and a time in 60 days of 2024."""
    rng = np.random.default_rng(seed)
    pools = {lang: constructed_eval(lang)["text"].to_numpy() for lang in ("kk", "ru", "en")}
    languages = np.array(list(pools))[rng.integers(0, 3, count)]
    sizes = rng.integers(1, 4, count)
    texts = [
        " ".join(rng.choice(pools[lang], size=size))
        for lang, size in zip(languages.tolist(), sizes.tolist(), strict=True)
    ]
    seconds = rng.integers(0, 60 * 86400, count)
    return pd.DataFrame(
        {
            "id": np.arange(count),
            "source": np.array([f"constructed-{k}" for k in range(5)])[rng.integers(0, 5, count)],
            "url": [f"https://example.kz/{lang}/{i}" for i, lang in enumerate(languages.tolist())],
            "published_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(seconds, unit="s"),
            "text": texts,
        }
    )
