"""Groups of correlated assets, whose exposures the correlated-exposure rule adds up.

Two sources make groups: the configured ones (``RiskLimits.correlation_groups``) and
a rolling correlation of returns, which the engine recomputes periodically with
:func:`correlated_groups` (e.g. daily, on the last 30 daily closes of every traded
base asset). Assets whose returns correlate at or above the threshold join one group,
transitively: if BTC follows ETH and ETH follows SOL, all three are one bet.
:func:`merge_groups` joins groups that share an asset, the same way.

Only positive correlation links assets: the exposure adds up gross, and strongly
anti-correlated crypto assets are too rare to be worth a rule of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt

from quantbot.core import InvalidValue
from quantbot.indicators import FloatArray, return_correlation

__all__ = ["correlated_groups", "correlation_matrix", "merge_groups"]


def correlation_matrix(
    closes: Mapping[str, npt.ArrayLike], *, window: int
) -> tuple[tuple[str, ...], FloatArray]:
    """Pairwise Pearson correlation of the assets' last ``window`` log returns.

    Args:
        closes: closing prices per base asset, sampled at one interval and ending at
            the same time (aligning them is the caller's job), e.g. the daily closes of
            each asset's USDT market.
        window: number of returns, >= 2; the last ``window + 1`` closes are used.
            Assets with fewer closes are left out: they have no history to compare yet.

    Returns:
        The assets (sorted) and their symmetric matrix, 1 on the diagonal; NaN where a
        window holds a missing or non-positive price or one asset did not move.

    Raises:
        InvalidValue: if the window is below 2 or a series is not one-dimensional.
    """
    if window < 2:
        raise InvalidValue(f"correlation window {window}, must be >= 2 returns")
    series: dict[str, FloatArray] = {}
    for asset, values in closes.items():
        array = np.asarray(values, dtype=np.float64)
        if array.ndim != 1:
            raise InvalidValue(f"closes of {asset}: shape {array.shape}, must be one series")
        if len(array) > window:
            series[asset] = array[-window - 1 :]
    assets = tuple(sorted(series))
    matrix = np.eye(len(assets))
    for i, first in enumerate(assets):
        for j in range(i + 1, len(assets)):
            value = return_correlation(series[first], series[assets[j]], window)[-1]
            matrix[i, j] = matrix[j, i] = value
    return assets, matrix


def correlated_groups(
    closes: Mapping[str, npt.ArrayLike], *, threshold: float, window: int
) -> tuple[frozenset[str], ...]:
    """Groups of assets linked, directly or through others, by a correlation >= ``threshold``.

    Args:
        closes: closing prices per base asset, as :func:`correlation_matrix` takes them.
        threshold: correlation from which two assets join (0.8 by default in
            ``RiskLimits``).
        window: number of returns (``RiskLimits.correlation_window_days`` on daily
            closes).

    Returns:
        The groups of two or more assets, as :func:`merge_groups` orders them. An asset
        correlated with no other is in none.

    Raises:
        InvalidValue: as :func:`correlation_matrix`.
    """
    assets, matrix = correlation_matrix(closes, window=window)
    # NaN compares False: an undefined correlation links nothing.
    rows, columns = np.nonzero(np.triu(matrix >= threshold, k=1))
    return merge_groups((assets[i], assets[j]) for i, j in zip(rows, columns, strict=True))


def merge_groups(*group_lists: Iterable[Iterable[str]]) -> tuple[frozenset[str], ...]:
    """Union of groups: any two groups sharing an asset become one (union-find).

    Args:
        group_lists: collections of groups, e.g. the configured groups and the rolling
            correlation's.

    Returns:
        The disjoint groups of two or more assets, sorted by their sorted members, so
        equal inputs give equal outputs in every run.
    """
    parent: dict[str, str] = {}

    def root(asset: str) -> str:
        parent.setdefault(asset, asset)
        while parent[asset] != asset:
            parent[asset] = parent[parent[asset]]  # path halving keeps trees shallow
            asset = parent[asset]
        return asset

    for groups in group_lists:
        for group in groups:
            members = list(group)
            for member in members:
                parent[root(member)] = root(members[0])
    merged: dict[str, set[str]] = {}
    for asset in parent:
        merged.setdefault(root(asset), set()).add(asset)
    return tuple(sorted((frozenset(g) for g in merged.values() if len(g) > 1), key=sorted))
