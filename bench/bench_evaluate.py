"""Speed goal of issue 15: a staggered analysis of 20 areas x 120 months with 999 bootstrap
draws in under 10 s. Times `staggered_did` (Callaway-Sant'Anna through diff-diff, all
aggregations, pre-trend test, minimum detectable effect) on a constructed panel
(kelisim.evaluate.simulate, four cohorts), best of three, and prints the figure against the goal.
Run: .venv/bin/python bench/bench_evaluate.py
"""

from __future__ import annotations

import time

from kelisim.evaluate.did import staggered_did
from kelisim.evaluate.simulate import staggered_panel

GOAL_SECONDS = 10.0


def main() -> None:
    panel, truth = staggered_panel(0, areas=20, months=120)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        result = staggered_did(panel, "area", "month", "first_treated", "outcome",
                               control="not_yet", method="dr", bootstrap=999, seed=0)
        timings.append(time.perf_counter() - started)
    best = min(timings)
    overall = result.overall()
    print(f"20 areas x 120 months, {len(result.estimates)} estimates, 999 Webb bootstrap draws, "
          f"doubly robust: {best:.2f} s (goal < {GOAL_SECONDS:.0f} s, "
          f"{best / GOAL_SECONDS:.0%} of it)")
    print(f"simple ATT {overall['estimate']:.3f} [{overall['lower']:.3f}, {overall['upper']:.3f}]"
          f", true {truth:.3f}")


if __name__ == "__main__":
    main()
