"""Synthetic perpetual funding: settled on Binance's 8-hour grid with Binance's formula,
leaning with the trend, persistent, and consistent with the mark price."""

from __future__ import annotations

import numpy as np
import pytest

from quantbot.data.synthetic import generate_market
from quantbot.data.synthetic_funding import (
    FUNDING_CAP,
    FUNDING_INTERVAL_MS,
    funding_settlements,
    mark_candles,
)

START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
HOUR_MS = 3_600_000
MINUTE_MS = 60_000


@pytest.fixture(scope="module")
def long_market():
    """Two years of one asset: about 2 200 settlements over about 150 regime stays."""
    return generate_market(["BTC/USDT"], start_ms=START_MS, minutes=2 * 525_600, seed=21)


def settle(premium: float, *, minutes: int = 480, start_ms: int = START_MS):
    ts = start_ms + MINUTE_MS * np.arange(minutes, dtype=np.int64)
    return funding_settlements(
        ts_ms=ts,
        basis=np.full(minutes, premium),
        mark_close=np.full(minutes, 100.0),
        end_ms=int(ts[-1]) + MINUTE_MS,
    )


@pytest.mark.parametrize(
    ("premium", "rate"),
    [
        (0.0, 0.0001),  # calm market: the 0.01 % interest part alone
        (0.0003, 0.0001),  # inside the +-0.05 % clamp around it: still the baseline
        (-0.0003, 0.0001),
        (0.0006, 0.0001),  # the clamp's upper edge
        (0.0010, 0.0005),  # beyond it: premium minus 0.05 %
        (-0.0010, -0.0005),  # below -0.04 %: premium plus 0.05 %
        (0.02, FUNDING_CAP),  # a mania is capped
        (-0.02, -FUNDING_CAP),
    ],
)
def test_rate_follows_binances_formula(premium: float, rate: float) -> None:
    settlements = settle(premium)
    assert settlements["funding_rate"].tolist() == [pytest.approx(rate, abs=1e-12)]


def test_settlements_fall_on_the_utc_8h_grid_after_the_start() -> None:
    start = START_MS + 5 * HOUR_MS + 17 * MINUTE_MS  # 05:17 UTC
    settlements = settle(0.0, minutes=3 * 1440, start_ms=start)
    ts = settlements["ts_ms"].to_numpy()
    assert settlements["ts_ms"].dtype == np.int64
    assert ts[0] == START_MS + 8 * HOUR_MS  # the first grid time after 05:17
    assert (np.diff(ts) == FUNDING_INTERVAL_MS).all()
    assert set((ts % (24 * HOUR_MS)) // HOUR_MS) == {0, 8, 16}
    assert ts[-1] <= start + 3 * 1440 * MINUTE_MS
    assert len(ts) == 9  # 08:00 day 1 ... 00:00 day 4


def test_no_settlement_without_a_grid_time_in_the_data() -> None:
    settlements = settle(0.0, minutes=60, start_ms=START_MS + HOUR_MS)
    assert settlements.empty
    assert list(settlements.columns) == ["ts_ms", "funding_rate", "mark_price"]


def test_each_settlement_averages_the_premium_of_its_own_interval() -> None:
    minutes = 3 * 480
    ts = START_MS + MINUTE_MS * np.arange(minutes, dtype=np.int64)
    basis = np.repeat([0.0030, 0.0, -0.0030], 480)
    frame = funding_settlements(
        ts_ms=ts,
        basis=basis,
        mark_close=np.full(minutes, 1.0),
        end_ms=START_MS + minutes * MINUTE_MS,
    )
    assert frame["funding_rate"].tolist() == pytest.approx([0.0025, 0.0001, -0.0025])


def test_funding_leans_with_the_trend(long_market) -> None:
    """Longs pay in up-trends, shorts in down-trends, ranges sit near the 0.01 % baseline."""
    funding = long_market.funding["BTC/USDT"]
    ts = funding["ts_ms"].to_numpy()
    regime = long_market.regimes[(ts - START_MS) // MINUTE_MS - 1]
    mean = {name: funding["funding_rate"][regime == name].mean() for name in set(regime)}
    assert mean["trend_up"] > 0.0002
    assert mean["trend_down"] < 0.0
    assert 0.0 < mean["range"] < 0.00015
    assert mean["trend_up"] > mean["range"] > mean["trend_down"]


def test_funding_rises_as_an_up_trend_goes_on(long_market) -> None:
    """The premium takes hours to build: late in an up-trend pays more than its first hours."""
    funding = long_market.funding["BTC/USDT"]
    ts = funding["ts_ms"].to_numpy()
    minute = (ts - START_MS) // MINUTE_MS - 1
    regimes = long_market.regimes
    in_trend = regimes == "trend_up"
    # Minutes since the current stay began, for every minute.
    starts = np.flatnonzero(np.concatenate(([True], regimes[1:] != regimes[:-1])))
    age = (
        np.arange(len(regimes))
        - starts[np.searchsorted(starts, np.arange(len(regimes)), "right") - 1]
    )
    early = in_trend[minute] & (age[minute] < 8 * 60)
    late = in_trend[minute] & (age[minute] > 24 * 60)
    assert early.sum() > 20
    assert late.sum() > 50
    rates = funding["funding_rate"].to_numpy()
    assert rates[late].mean() > rates[early].mean() + 0.0001


def test_funding_persists_between_settlements(long_market) -> None:
    rates = long_market.funding["BTC/USDT"]["funding_rate"].to_numpy()
    assert np.corrcoef(rates[:-1], rates[1:])[0, 1] > 0.5
    assert np.abs(rates).max() <= FUNDING_CAP
    # Published to 8 decimals, as Binance does.
    np.testing.assert_array_equal(rates, np.round(rates, 8))


def test_mark_price_at_settlement_is_the_mark_close_before_it(long_market) -> None:
    funding = long_market.funding["BTC/USDT"]
    mark = long_market.mark_candles("BTC/USDT")
    by_close_time = dict(zip(mark["ts_ms"] + MINUTE_MS, mark["close"], strict=True))
    expected = [by_close_time[ts] for ts in funding["ts_ms"]]
    np.testing.assert_allclose(funding["mark_price"], expected, rtol=1e-12)


def test_mark_candles_chain_and_bound_their_open_and_close(long_market) -> None:
    spot = long_market.candles["BTC/USDT"].iloc[:5000]
    mark = mark_candles(spot, long_market.basis["BTC/USDT"][:5000])
    o, h, low, c = (mark[k].to_numpy() for k in ("open", "high", "low", "close"))
    np.testing.assert_array_equal(o[1:], c[:-1])
    assert (low <= np.minimum(o, c)).all()
    assert (h >= np.maximum(o, c)).all()
    assert (mark["volume"] == 0).all()
