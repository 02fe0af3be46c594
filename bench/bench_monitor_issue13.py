"""Issue 13's quality goals for the default pipeline (rules + shipped model) on our own
CONSTRUCTED dev sets, per language and per half.

Sets: bench/data/issue13_dev_{kk,ru,en}.tsv, 130 sentences each, written from the tier
definitions of docs/classification.md before any change was measured (see their headers).
Rows alternate into two halves: even rows ("tune") may be looked at while improving the rules,
the corpus and the model; odd rows ("check") are only scored, never inspected, so their figures
show what the changes do on wording nobody tuned on. Both are written by the same person as the
rules, so they are optimistic; the team's blind hold-out is the real test.

Goals (issue 13, per language): severe caught (tier 4-5 sentences given tier >= 3) >= 0.85;
calm flagged (tier 0-1 sentences given tier >= 3) <= 2%; relevance F1 >= 0.90.

Usage: .venv/bin/python bench/bench_monitor_issue13.py [--model DIR|rules] [--misses]
(--misses lists the wrong rows of the tune half only).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from kelisim.monitor.classify import classify_batch

DATA = Path(__file__).resolve().parent / "data"
LANGUAGES = ("kk", "ru", "en")
GOALS = {"severe caught": 0.85, "calm flagged": 0.02, "relevance F1": 0.90}


def read_set(language: str) -> pd.DataFrame:
    frame = pd.read_csv(
        DATA / f"issue13_dev_{language}.tsv",
        sep="\t",
        comment=None,
        skiprows=1,
        quoting=3,
        keep_default_na=False,
    )
    frame["half"] = ["tune" if i % 2 == 0 else "check" for i in range(len(frame))]
    frame["lang"] = language
    return frame


def figures(part: pd.DataFrame) -> dict[str, float]:
    severe, calm = part[part["tier"] >= 4], part[part["tier"] <= 1]
    truth, guess = part["relevant"] == 1, part["predicted_relevant"]
    f1 = 2 * (truth & guess).sum() / (truth.sum() + guess.sum())
    counter = part[part["counter_speech"] == 1]
    return {
        "n": len(part),
        "severe caught": (severe["predicted_tier"] >= 3).mean(),
        "calm flagged": (calm["predicted_tier"] >= 3).mean(),
        "relevance F1": f1,
        "counter found": counter["predicted_counter"].mean(),
        "tier MAE": (part["predicted_tier"] - part["tier"]).abs().mean(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model folder or 'rules' (default: the shipped models)")
    parser.add_argument("--misses", action="store_true", help="list wrong rows of the tune half")
    args = parser.parse_args()
    data = pd.concat([read_set(language) for language in LANGUAGES], ignore_index=True)
    out = classify_batch(data["text"].tolist(), data["lang"].tolist(), args.model)
    data["predicted_tier"] = out["tier"].to_numpy()
    data["predicted_relevant"] = out["relevant"].to_numpy()
    data["predicted_counter"] = out["counter_speech"].to_numpy()
    rows = []
    for (language, half), part in data.groupby(["lang", "half"], sort=False):
        rows.append({"lang": language, "half": half, **figures(part)})
    for language, part in data.groupby("lang", sort=False):
        rows.append({"lang": language, "half": "both", **figures(part)})
    table = pd.DataFrame(rows)
    print(
        f"CONSTRUCTED issue-13 dev sets, model {args.model or 'shipped (default)'}; goals: "
        "severe caught >= 0.85, calm flagged <= 0.02, relevance F1 >= 0.90"
    )
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if args.misses:
        tune = data[data["half"] == "tune"]
        wrong = tune[
            ((tune["tier"] >= 4) & (tune["predicted_tier"] < 3))
            | ((tune["tier"] <= 1) & (tune["predicted_tier"] >= 3))
            | ((tune["relevant"] == 1) != tune["predicted_relevant"])
        ]
        for row in wrong.itertuples():
            print(f"{row.lang} tier {row.tier} -> {row.predicted_tier} [{row.frame}] {row.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
