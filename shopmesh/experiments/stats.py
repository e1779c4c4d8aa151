"""The statistics of the experiment report: Wilson and Newcombe intervals, a two-proportion test, chi-square SRM.

Pure Python (math only): the CLI runs where SciPy is not installed. Every interval is two-sided.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054
"""The standard normal quantile of 0.975."""


def normal_sf(z: float) -> float:
    """P(Z > z) of a standard normal variable."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion ((0, 1) when there are no trials)."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    low = 0.0 if successes <= 0 else max(0.0, centre - half)  # exact bounds where rounding would leave 1e-18
    high = 1.0 if successes >= trials else min(1.0, centre + half)
    return low, high


def newcombe_interval(s1: int, n1: int, s0: int, n0: int, z: float = Z_95) -> tuple[float, float]:
    """Newcombe's hybrid score interval (his method 10) of p1 - p0, from the two Wilson intervals."""
    p1, p0 = s1 / n1 if n1 else 0.0, s0 / n0 if n0 else 0.0
    l1, u1 = wilson_interval(s1, n1, z)
    l0, u0 = wilson_interval(s0, n0, z)
    diff = p1 - p0
    lower = diff - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    upper = diff + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return lower, upper


def two_proportion_p_value(s1: int, n1: int, s0: int, n0: int) -> float:
    """Two-sided p-value of H0 p1 == p0 (pooled z-test); 1.0 when it is undefined (no trials or no variance)."""
    if n1 <= 0 or n0 <= 0:
        return 1.0
    pooled = (s1 + s0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if se == 0:
        return 1.0
    return min(1.0, 2 * normal_sf(abs(s1 / n1 - s0 / n0) / se))


def chi2_sf(x: float, df: int) -> float:
    """P(X > x) of a chi-square variable with `df` (a positive integer) degrees of freedom (closed forms)."""
    if df < 1:
        raise ValueError("df must be a positive integer")
    if x <= 0:
        return 1.0
    half = x / 2
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for i in range(1, df // 2):
            term *= half / i
            total += term
        return min(1.0, math.exp(-half) * total)
    total = 2 * normal_sf(math.sqrt(x))
    term = math.sqrt(2 * x / math.pi) * math.exp(-half)  # i = 1: x^(1/2) / 1
    for i in range(1, (df - 1) // 2 + 1):
        total += term
        term *= x / (2 * i + 1)
    return min(1.0, total)


@dataclass(frozen=True)
class ChiSquare:
    """A goodness-of-fit test of observed counts against expected shares."""

    statistic: float
    df: int
    p_value: float
    expected: tuple[float, ...]


def chi_square_gof(observed: Sequence[int], weights: Sequence[float]) -> ChiSquare:
    """Pearson's chi-square test of `observed` counts against shares proportional to positive `weights`."""
    if len(observed) != len(weights) or len(observed) < 2:
        raise ValueError("need at least two categories, one weight each")
    if any(w <= 0 for w in weights):
        raise ValueError("weights must be positive")
    total, weight_sum = sum(observed), sum(weights)
    expected = tuple(total * w / weight_sum for w in weights)
    if total == 0:
        return ChiSquare(0.0, len(observed) - 1, 1.0, expected)
    statistic = sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))
    return ChiSquare(statistic, len(observed) - 1, chi2_sf(statistic, len(observed) - 1), expected)
