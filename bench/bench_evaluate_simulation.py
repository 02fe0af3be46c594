"""Simulation check of the staggered DiD (issue 15): 20 areas x 72 months, four adoption
cohorts, heterogeneous and dynamic effects (kelisim.evaluate.simulate, constructed), 200
replications. Prints coverage of the 95% interval for the true simple ATT (goal >= 90%), the
mean bias of Callaway-Sant'Anna and of two-way fixed effects, and the placebo rejection rate at
5% (goal <= 10%). Run: .venv/bin/python bench/bench_evaluate_simulation.py [replications]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from kelisim.evaluate.did import staggered_did, twfe_estimate
from kelisim.evaluate.simulate import staggered_panel

COLUMNS = ("area", "month", "first_treated", "outcome")


def run(replications: int, bootstrap: int = 999) -> dict[str, float]:
    covered, placebo_rejected, cs_bias, twfe_bias = 0, 0, [], []
    for seed in range(replications):
        panel, truth = staggered_panel(seed)
        overall = staggered_did(panel, *COLUMNS, control="not_yet", method="reg",
                                bootstrap=bootstrap, seed=seed).overall()
        covered += overall["lower"] <= truth <= overall["upper"]
        cs_bias.append(overall["estimate"] - truth)
        twfe_bias.append(twfe_estimate(panel, *COLUMNS)[0] - truth)
        placebo, _ = staggered_panel(10_000 + seed, effect=0.0)
        null = staggered_did(placebo, *COLUMNS, control="not_yet", method="reg",
                             bootstrap=bootstrap, seed=seed).overall()
        placebo_rejected += not (null["lower"] <= 0 <= null["upper"])
    return {"coverage": covered / replications, "cs_bias": float(np.mean(cs_bias)),
            "twfe_bias": float(np.mean(twfe_bias)),
            "twfe_bias_se": float(np.std(twfe_bias, ddof=1) / np.sqrt(replications)),
            "placebo_rejection": placebo_rejected / replications}


def main() -> None:
    replications = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    started = time.perf_counter()
    result = run(replications)
    print(f"replications: {replications} (bootstrap 999 Webb draws each), "
          f"{time.perf_counter() - started:.0f} s")
    print(f"coverage of 95% interval: {result['coverage']:.1%} (goal >= 90%)")
    print(f"placebo rejections at 5%: {result['placebo_rejection']:.1%} (goal <= 10%)")
    print(f"mean bias, Callaway-Sant'Anna: {result['cs_bias']:+.3f}; two-way fixed effects: "
          f"{result['twfe_bias']:+.3f} (MC s.e. {result['twfe_bias_se']:.3f})")


if __name__ == "__main__":
    main()
