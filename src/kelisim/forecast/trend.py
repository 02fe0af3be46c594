"""Group shares as compositional time series, for areas where only counts exist.

Shares are mapped to additive log-ratios y_g = ln(s_g / s_ref) against the group with the
largest mean share (Aitchison 1986, *The Statistical Analysis of Compositional Data*, ch. 4);
each log-ratio follows a linear trend in time fitted by least squares on the last ``window``
periods, and forecasts map back by the inverse (softmax) transform. Prediction intervals draw
log-ratio vectors from a multivariate t with the residual covariance and the regression's
prediction variance s^2 (1 + 1/n + (t - tbar)^2 / Sxx) (with two periods, the "drift" case,
the spread of a random walk with drift from the one observed change). Zero counts are replaced
by half a person before taking logs (multiplicative replacement, Martin-Fernandez et al. 2003).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SIMULATIONS = 4000
PROBABILITIES = {"lower95": 0.025, "lower80": 0.1, "upper80": 0.9, "upper95": 0.975}


def _shares(matrix: np.ndarray) -> np.ndarray:
    """Rows of counts -> rows of shares, zeros replaced by half a person."""
    counts = np.where(matrix > 0, matrix, 0.5)
    return counts / counts.sum(axis=1, keepdims=True)


def _softmax(logratios: np.ndarray) -> np.ndarray:
    """Inverse additive log-ratio with the reference in the last column."""
    full = np.concatenate([logratios, np.zeros(logratios.shape[:-1] + (1,))], axis=-1)
    full -= full.max(axis=-1, keepdims=True)
    weights = np.exp(full)
    return weights / weights.sum(axis=-1, keepdims=True)


def forecast_composition(periods, counts: np.ndarray, horizon, rng: np.random.Generator,
                         window: int = 3) -> dict[str, np.ndarray]:
    """Share forecasts [H, G] and their quantiles for counts [T, G] observed at ``periods``.

    Returns a dict with 'share' (point forecast) and the keys of PROBABILITIES.
    """
    periods = np.asarray(periods, dtype=float)[-window:]
    shares = _shares(np.asarray(counts, dtype=float)[-window:])
    reference = int(np.argmax(shares.mean(axis=0)))
    order = [g for g in range(shares.shape[1]) if g != reference] + [reference]
    logratios = np.log(shares[:, order[:-1]] / shares[:, [reference]])
    horizon = np.asarray(horizon, dtype=float)
    n = len(periods)
    centre = periods.mean()
    sxx = ((periods - centre) ** 2).sum()
    slope = ((periods - centre)[:, None] * (logratios - logratios.mean(axis=0))).sum(0) / sxx
    intercept = logratios.mean(axis=0) - slope * centre
    point = intercept + slope * horizon[:, None]
    if n > 2:
        residuals = logratios - (intercept + slope * periods[:, None])
        covariance = residuals.T @ residuals / (n - 2)
        scale = 1 + 1 / n + (horizon - centre) ** 2 / sxx
        degrees = n - 2
    else:
        change = (logratios[1] - logratios[0])[:, None]
        covariance = change @ change.T
        scale = (horizon - periods[-1]) / (periods[-1] - periods[0])
        degrees = 1
    dimension = covariance.shape[0]
    normal = rng.multivariate_normal(np.zeros(dimension), covariance, size=SIMULATIONS,
                                     method="eigh")
    chi = rng.chisquare(degrees, size=SIMULATIONS) / degrees
    draws = point[:, None, :] + np.sqrt(scale)[:, None, None] * (normal / np.sqrt(chi)[:, None])
    inverse = np.argsort(order)
    result = {"share": _softmax(point)[..., inverse]}
    simulated = _softmax(draws)[..., inverse]
    for name, probability in PROBABILITIES.items():
        result[name] = np.quantile(simulated, probability, axis=1)
    return result


def _by_area(counts: pd.DataFrame):
    for area, frame in counts.groupby("area", sort=False):
        table = frame.pivot_table(index="period", columns="group", values="count",
                                  aggfunc="sum", fill_value=0.0, sort=False)
        yield area, table.sort_index()


def forecast_shares(counts: pd.DataFrame, horizon, rng: np.random.Generator,
                    window: int = 3) -> pd.DataFrame:
    """Tidy share forecasts (area, group, period, share and 80%/95% bounds) from counts."""
    rows = []
    for area, table in _by_area(counts):
        forecast = forecast_composition(table.index, table.to_numpy(), horizon, rng, window)
        for step, period in enumerate(horizon):
            for g, group in enumerate(table.columns):
                rows.append({"area": area, "group": group, "period": int(period),
                             **{key: float(value[step, g]) for key, value in forecast.items()}})
    return pd.DataFrame(rows)


def projected_totals(counts: pd.DataFrame, horizon, window: int = 3) -> pd.DataFrame:
    """Each area's total of the groups at ``horizon``: a log-linear trend fitted by least
    squares on the last ``window`` periods (area, period, total)."""
    rows = []
    for area, table in _by_area(counts):
        periods = np.asarray(table.index, dtype=float)[-window:]
        logs = np.log(table.to_numpy().sum(axis=1)[-window:])
        slope, intercept = np.polyfit(periods, logs, 1)
        rows += [{"area": area, "period": int(period),
                  "total": float(np.exp(intercept + slope * period))} for period in horizon]
    return pd.DataFrame(rows)


def hindcast_report(counts: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Errors of share forecasts fitted up to 1999 (for 2009, 2021) and 2009 (for 2021).

    Methods: the log-ratio trend on the last 3 periods and on the last 2 (drift), against
    the naive baselines "last observed shares" and "linear extrapolation of shares from the
    last two periods". Errors are mean and largest absolute errors of shares in percentage
    points, with the coverage of the trend's 80% and 95% intervals.
    """
    rows = []
    for area, table in _by_area(counts):
        periods = np.asarray(table.index, dtype=int)
        for fit_until, targets in ((1999, (2009, 2021)), (2009, (2021,))):
            known = periods <= fit_until
            if known.sum() < 3 or not set(targets) <= set(periods):
                continue
            observed = _shares(table.to_numpy()[known])
            actual = _shares(table.loc[list(targets)].to_numpy())
            last, before = observed[-1], observed[-2]
            gap = periods[known][-1] - periods[known][-2]
            forecasts = {}
            for name, window in (("logratio_trend_3", 3), ("logratio_drift_2", 2)):
                forecasts[name] = forecast_composition(periods[known], table.to_numpy()[known],
                                                       targets, rng, window)
            linear = np.array([np.clip(last + (t - periods[known][-1]) / gap * (last - before),
                                       0, None) for t in targets])
            points = {"naive_last_shares": np.repeat(last[None], len(targets), axis=0),
                      "linear_shares": linear / linear.sum(axis=1, keepdims=True),
                      **{name: value["share"] for name, value in forecasts.items()}}
            for index, target in enumerate(targets):
                for method, point in points.items():
                    error = np.abs(point[index] - actual[index]) * 100
                    row = {"area": area, "fit_until": fit_until, "target": target,
                           "method": method, "mae_pp": error.mean(), "max_pp": error.max()}
                    if method in forecasts:
                        bounds = forecasts[method]
                        for level, (low, high) in {"80": ("lower80", "upper80"),
                                                   "95": ("lower95", "upper95")}.items():
                            inside = ((bounds[low][index] <= actual[index])
                                      & (actual[index] <= bounds[high][index]))
                            row[f"coverage{level}"] = inside.mean()
                    rows.append(row)
    return pd.DataFrame(rows)
