"""Frame rules on the constructed dev sets, and what each piece of morphology adds.

Goals (issue 13, per language, measured by the team on sentences we do not see): tier 4-5
sentences given tier >= 3 at least 0.85; calm sentences (tier 0-1) given tier >= 3 at most 2%;
relevance F1 at least 0.90. Here they are measured on our own CONSTRUCTED sets, which were
written together with the lexicons and are therefore optimistic:
tests/fixtures/monitor/frames_dev_{kk,ru,en}.csv (the frame dev sentences),
frames_varied_{kk,ru,en}.csv (new wordings per frame and group, with calm look-alikes),
frames_unseen_{kk,ru,en}.csv (written after most of the second frame round, measured once) and
constructed_eval_{kk,ru,en}.csv (the older rule sets).

Configurations, one change at a time:
- ``cues only``: the rules before the frames (cues.tsv phrases);
- ``frames, no pymorphy3``: frames whose Russian slots match only the lemma's own form (no
  inflection, no moods, so no Russian call forms);
- ``frames, no Kazakh moods``: frames whose Kazakh stems take the noun suffix chains only (no
  imperative, hortative, jussive, infinitive + керек);
- ``frames``: everything (the default).

Usage: .venv/bin/python bench/bench_monitor_frames.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from kelisim.monitor import frames, rules
from kelisim.monitor.morph import KK_NOUN

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "monitor"
LANGUAGES = ("kk", "ru", "en")
SETS = {
    "frames_unseen": "frames_unseen_{}.csv",
    "frames_varied": "frames_varied_{}.csv",
    "frames_fresh": "frames_fresh_{}.csv",
    "frames_dev": "frames_dev_{}.csv",
    "constructed_eval": "constructed_eval_{}.csv",
}


def read_set(pattern: str, language: str) -> pd.DataFrame:
    frame = pd.read_csv(FIXTURES / pattern.format(language), skiprows=1, keep_default_na=False)
    frame["relevant"] = frame["relevant"].astype(str).str.lower() == "true"
    return frame


def figures(frame: pd.DataFrame, language: str) -> dict[str, float]:
    tiers = np.array([rules.apply_rules(text, language).tier for text in frame["text"]])
    expected = frame["tier"].to_numpy()
    relevant, flagged = frame["relevant"].to_numpy(), tiers > 0
    return {
        "tier 4-5 -> >=3": (tiers[expected >= 4] >= 3).mean(),
        "calm -> >=3": (tiers[expected <= 1] >= 3).mean(),
        "relevance F1": 2 * (relevant & flagged).sum() / (relevant.sum() + flagged.sum()),
        "tier error": np.abs(tiers - expected).mean(),
    }


def configurations():
    """(name, frame lexicon or None for cues only)."""
    default = frames.FrameLexicon(frames._rows())
    no_pymorphy = frames.FrameLexicon(
        frames._rows(), forms=lambda lemmas: {lemma: ((lemma, frozenset()),) for lemma in lemmas}
    )
    readings = frames.kk_readings
    frames.kk_readings = lambda *args: tuple((s, KK_NOUN) for s, _ in readings(*args))
    no_kazakh_moods = frames.FrameLexicon(frames._rows())
    # the lexicons keep the reader they were built with only through their memoised words, so
    # each is used right after switching the reader it needs
    return [
        ("cues only", None, readings),
        ("frames, no pymorphy3", no_pymorphy, readings),
        ("frames, no Kazakh moods", no_kazakh_moods, frames.kk_readings),
        ("frames", default, readings),
    ]


def main() -> int:
    results = []
    original_find = rules.find_frames
    for name, lexicon, reader in configurations():
        frames.kk_readings = reader
        if lexicon is None:
            rules.find_frames = lambda *args: []
        else:
            rules.find_frames = original_find
            frames.load_frames = lambda lexicon=lexicon: lexicon
        for set_name, pattern in SETS.items():
            for language in LANGUAGES:
                row = figures(read_set(pattern, language), language)
                results.append({"configuration": name, "set": set_name, "lang": language, **row})
    table = pd.DataFrame(results)
    pd.set_option("display.width", 140)
    print("CONSTRUCTED sets (written with the lexicons: optimistic); goals per language: ")
    print("tier 4-5 -> >=3 at least 0.85, calm -> >=3 at most 0.02, relevance F1 at least 0.90")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    final = table[table["configuration"] == "frames"]
    met = (
        (final["tier 4-5 -> >=3"] >= 0.85)
        & (final["calm -> >=3"] <= 0.02)
        & (final["relevance F1"] >= 0.90)
    )
    print(f"goals met on {int(met.sum())} of {len(final)} set x language rows (default pipeline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
