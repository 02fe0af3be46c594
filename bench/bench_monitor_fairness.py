"""Ethnonym-swap fairness of the Watch classifier (issue 13, item 4).

Fills the CONSTRUCTED templates of tests/fixtures/monitor/fairness_templates.csv with every group
of fairness_groups.csv (kk/ru/en) and prints, with ``kelisim.monitor.fairness.swap_report``
(Garg et al. 2019; Dixon et al. 2018): the share of ethnonym swaps that change the tier (goal at
most 2%), the share that change the hostility score by less than 0.1 (goal at least 95%), and the
false-positive rate per group on neutral mentions (tier >= 3 on a template of tier 0-1).

Usage: .venv/bin/python bench/bench_monitor_fairness.py [--model DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from kelisim.monitor.fairness import (
    HOSTILITY_DELTA,
    HOSTILITY_SWAP_GOAL,
    TIER_SWAP_GOAL,
    fill_templates,
    swap_report,
)

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "monitor"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model folder or 'rules' (default: shipped models)")
    args = parser.parse_args()
    templates = pd.read_csv(FIXTURES / "fairness_templates.csv", comment="#")
    groups = pd.read_csv(FIXTURES / "fairness_groups.csv", comment="#")
    report = swap_report(fill_templates(templates, groups), args.model)
    print(
        f"{report['sentences']} sentences ({len(templates)} templates x {len(groups)} groups), "
        f"{report['swaps']} swaps; model: {args.model or 'the shipped models (default)'}"
    )
    changed, steady = report["tier_changed"], report["hostility_steady"]
    print(
        f"tier changed by a swap: {changed:.2%} (goal <= {TIER_SWAP_GOAL:.0%}: "
        f"{'meets' if changed <= TIER_SWAP_GOAL else 'MISSES'})"
    )
    print(
        f"hostility moved by < {HOSTILITY_DELTA}: {steady:.2%} of swaps (goal >= "
        f"{HOSTILITY_SWAP_GOAL:.0%}: {'meets' if steady >= HOSTILITY_SWAP_GOAL else 'MISSES'})"
    )
    print("false-positive rate on neutral mentions (tier >= 3), per group:")
    for group, rate in sorted(report["false_positive_rate"].items()):
        print(f"  {group:<12} {rate:.3f}")
    scored = report["scored"]
    odd = scored[scored["tier"] != scored.groupby("template")["tier"].transform("median")]
    if len(odd):
        print("sentences whose tier differs from their template's median:")
        for row in odd.itertuples(index=False):
            print(f"  {row.lang} {row.group}: tier {row.tier} (expected {row.expected}) {row.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
