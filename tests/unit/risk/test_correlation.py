"""Groups of correlated assets: configured groups merged, rolling return correlation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import InvalidValue
from quantbot.risk import correlated_groups, correlation_matrix, merge_groups

RNG_SEED = 7


def _prices(log_returns: np.ndarray) -> np.ndarray:
    return 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(log_returns)]))


def _returns(n: int = 30, seed: int = RNG_SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(0, 0.02, n), rng.normal(0, 0.02, n), rng.normal(0, 0.02, n)


# -- the matrix ------------------------------------------------------------------------------


def test_matrix_is_the_pearson_correlation_of_log_returns() -> None:
    a, b, c = _returns(60)
    closes = {"SOL": _prices(a + c), "BTC": _prices(a), "ETH": _prices(a + 0.5 * b)}

    assets, matrix = correlation_matrix(closes, window=60)

    assert assets == ("BTC", "ETH", "SOL")
    expected = np.corrcoef([a, a + 0.5 * b, a + c])
    np.testing.assert_allclose(matrix, expected, atol=1e-9)
    np.testing.assert_array_equal(np.diag(matrix), 1.0)


def test_only_the_last_window_of_returns_counts() -> None:
    a, b, _ = _returns(40)
    # Identical for 30 returns, then 10 independent ones.
    first = _prices(np.concatenate([a[:30], a[30:]]))
    second = _prices(np.concatenate([a[:30], b[30:]]))

    _, whole = correlation_matrix({"X": first, "Y": second}, window=40)
    _, recent = correlation_matrix({"X": first, "Y": second}, window=10)

    assert whole[0, 1] > 0.6
    assert recent[0, 1] == pytest.approx(np.corrcoef(a[30:], b[30:])[0, 1], abs=1e-9)


def test_assets_without_a_full_window_of_history_are_left_out() -> None:
    a, _, _ = _returns(30)

    assets, matrix = correlation_matrix({"BTC": _prices(a), "NEW": _prices(a[:29])}, window=30)

    assert assets == ("BTC",)
    assert matrix.shape == (1, 1)


def test_an_asset_that_did_not_move_correlates_with_nothing() -> None:
    a, _, _ = _returns(30)

    _, matrix = correlation_matrix({"BTC": _prices(a), "USDC": np.ones(31)}, window=30)

    assert np.isnan(matrix[0, 1])
    assert (
        correlated_groups({"BTC": _prices(a), "USDC": np.ones(31)}, threshold=0.1, window=30) == ()
    )


def test_window_below_two_returns_is_refused() -> None:
    with pytest.raises(InvalidValue, match="correlation window 1, must be >= 2 returns"):
        correlation_matrix({"BTC": np.ones(5)}, window=1)


def test_closes_must_be_one_series() -> None:
    with pytest.raises(InvalidValue, match=r"closes of BTC: shape \(2, 3\), must be one series"):
        correlation_matrix({"BTC": np.ones((2, 3))}, window=2)


# -- groups from the correlation ---------------------------------------------------------------


def test_assets_correlated_at_or_above_the_threshold_are_grouped() -> None:
    a, b, c = _returns(30)
    closes = {"BTC": _prices(a), "ETH": _prices(a + 0.1 * b), "XMR": _prices(c)}
    _, matrix = correlation_matrix(closes, window=30)
    btc_eth = matrix[0, 1]

    assert correlated_groups(closes, threshold=btc_eth, window=30) == (frozenset({"BTC", "ETH"}),)
    assert correlated_groups(closes, threshold=min(btc_eth + 1e-6, 1.0), window=30) == ()


def test_correlation_links_transitively() -> None:
    a, b, _ = _returns(200)
    # A~B and B~C near 0.71, A and C independent: one group at 0.6, none at 0.8.
    closes = {"A": _prices(a), "B": _prices(a + b), "C": _prices(b)}
    _, matrix = correlation_matrix(closes, window=200)
    assert abs(matrix[0, 2]) < 0.3

    assert correlated_groups(closes, threshold=0.6, window=200) == (frozenset("ABC"),)
    assert correlated_groups(closes, threshold=0.8, window=200) == ()


# -- merging groups ----------------------------------------------------------------------------


def test_groups_sharing_an_asset_merge_and_singletons_are_dropped() -> None:
    configured = [("BTC", "ETH"), ("DOGE",)]
    rolling = [frozenset({"ETH", "SOL"}), frozenset({"LINK", "UNI"})]

    assert merge_groups(configured, rolling) == (
        frozenset({"BTC", "ETH", "SOL"}),
        frozenset({"LINK", "UNI"}),
    )


@given(
    st.lists(
        st.lists(st.sampled_from("ABCDEFGHIJ"), min_size=1, max_size=4, unique=True),
        max_size=8,
    )
)
def test_merged_groups_are_disjoint_unions_of_the_input_groups(groups: list[list[str]]) -> None:
    merged = merge_groups(groups)

    assert sum(len(g) for g in merged) == len(set().union(*merged))
    for group in groups:
        if len(group) > 1:
            assert sum(set(group) <= g for g in merged) == 1
    for result in merged:
        inside = [set(group) for group in groups if set(group) <= result]
        assert set().union(*inside) == result
    assert merge_groups(reversed(groups)) == merged
