"""Blind evaluation of the watch classifier (issue 13, item 5) on bench/data/blind_holdout.tsv:
sentences in kk/ru/en CONSTRUCTED by the project from the tier definitions only (see the file's
header). Runs the real command line, `kelisim monitor classify`, on the texts alone (no label
column reaches it) and prints, per language and per frame, against the issue's goals:

- severe caught: of the tier 4-5 sentences, the share given tier >= 3 (goal >= 0.85);
- calm flagged: of the tier 0-1 sentences, the share given tier >= 3 (goal <= 2%);
- relevance F1 (goal >= 0.90), and the mean absolute tier error.

Run: .venv/bin/python bench/eval_blind.py [--model DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

HOLDOUT = Path(__file__).parent / "data" / "blind_holdout.tsv"
GOALS = {"severe_caught": 0.85, "calm_flagged": 0.02, "relevance_f1": 0.90}


def classify(texts: pd.DataFrame, model: str | None) -> pd.DataFrame:
    """Tier and relevance from `kelisim monitor classify`, row for row."""
    with tempfile.TemporaryDirectory() as folder:
        source, result = Path(folder) / "holdout.csv", Path(folder) / "classified.csv"
        texts.to_csv(source, index=False)
        command = [sys.executable, "-m", "kelisim", "monitor", "classify", str(source),
                   "--out", str(result)] + (["--model", model] if model else [])
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"kelisim monitor classify failed (exit {done.returncode}): "
                     f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ''}")
        out = pd.read_csv(result)
    out = out.set_index("id").loc[texts["id"]]
    return pd.DataFrame({"predicted_tier": out["tier"].astype(int).to_numpy(),
                         "predicted_relevant": out["relevant"].astype(str).str.lower()
                         .isin(["true", "1"]).to_numpy()}, index=texts.index)


def figures(part: pd.DataFrame) -> dict:
    severe = part[part["tier"] >= 4]
    calm = part[part["tier"] <= 1]
    truth, guess = part["relevant"] == 1, part["predicted_relevant"]
    true_positive = int((truth & guess).sum())
    precision = true_positive / guess.sum() if guess.sum() else float("nan")
    recall = true_positive / truth.sum() if truth.sum() else float("nan")
    f1 = (2 * precision * recall / (precision + recall)
          if truth.sum() and guess.sum() and precision + recall else float("nan"))
    return {
        "n": len(part),
        "severe_caught": (severe["predicted_tier"] >= 3).mean() if len(severe) else float("nan"),
        "calm_flagged": (calm["predicted_tier"] >= 3).mean() if len(calm) else float("nan"),
        "relevance_f1": f1,
        "relevance_recall": recall,
        "tier_mae": (part["predicted_tier"] - part["tier"]).abs().mean(),
    }


def table(frame: pd.DataFrame, by: str) -> str:
    rows = {key: figures(part) for key, part in frame.groupby(by, sort=False)}
    rows["all"] = figures(frame)
    shown = pd.DataFrame(rows).T
    shown["n"] = shown["n"].astype(int)
    return shown.to_string(float_format=lambda v: f"{v:.3f}", na_rep="-")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model folder passed to `monitor classify --model`")
    args = parser.parse_args()
    holdout = pd.read_csv(HOLDOUT, sep="\t", comment="#", dtype={"text": str})
    holdout = holdout.reset_index(drop=True)
    texts = pd.DataFrame({"id": [f"b{i:04d}" for i in holdout.index],
                          "language": holdout["lang"], "text": holdout["text"]})
    holdout = holdout.join(classify(texts, args.model))
    print(f"blind hold-out: {len(holdout)} sentences ({HOLDOUT.name}); goals: severe caught >= "
          f"{GOALS['severe_caught']}, calm flagged <= {GOALS['calm_flagged']:.0%}, relevance F1 "
          f">= {GOALS['relevance_f1']}")
    print("\nper language\n" + table(holdout, "lang"))
    print("\nper frame (all languages)\n" + table(holdout, "frame"))
    severe = holdout[holdout["tier"] >= 4]
    caught = (severe.assign(caught=severe["predicted_tier"] >= 3)
              .pivot_table(index="frame", columns="lang", values="caught", aggfunc="mean"))
    print("\nsevere caught by frame and language\n"
          + caught.to_string(float_format=lambda v: f"{v:.3f}"))
    verdict = figures(holdout)
    print("\ngoals (all languages): "
          f"severe caught {verdict['severe_caught']:.3f} vs >= {GOALS['severe_caught']}; "
          f"calm flagged {verdict['calm_flagged']:.1%} vs <= {GOALS['calm_flagged']:.0%}; "
          f"relevance F1 {verdict['relevance_f1']:.3f} vs >= {GOALS['relevance_f1']}")


if __name__ == "__main__":
    main()
