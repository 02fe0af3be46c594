"""Evaluate: estimate what an activity changed, with the assumptions stated beside each number.

Kernels (no printing, no CLI flags): :mod:`kelisim.evaluate.did` (staggered
difference-in-differences, Callaway & Sant'Anna 2021, through the diff-diff library),
:mod:`kelisim.evaluate.its` (interrupted time series, statsmodels), :mod:`kelisim.evaluate.synth`
(synthetic control, diff-diff), :mod:`kelisim.evaluate.panels` (outcome panels from the store),
:mod:`kelisim.evaluate.spec` (analysis specs in TOML) and :mod:`kelisim.evaluate.conclusion`
(plain-language wording that never claims more than the interval allows).
"""
