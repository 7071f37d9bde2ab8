"""The synthetic market is deterministic, internally consistent and has the stylised
facts strategies react to (bands are wide on purpose: they catch a broken generator,
not a slightly different calibration)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantbot.data.synthetic import DEFAULT_ASSETS, MINUTE_MS, generate_market

START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]


@pytest.fixture(scope="module")
def market():
    return generate_market(SYMBOLS, start_ms=START_MS, minutes=20 * 1440, seed=11, correlation=0.7)


def log_returns(frame: pd.DataFrame) -> np.ndarray:
    return np.diff(np.log(frame["close"].to_numpy()))


def test_same_seed_gives_identical_candles_and_another_seed_does_not() -> None:
    a = generate_market(SYMBOLS, start_ms=START_MS, minutes=500, seed=3)
    b = generate_market(SYMBOLS, start_ms=START_MS, minutes=500, seed=3)
    c = generate_market(SYMBOLS, start_ms=START_MS, minutes=500, seed=4)
    for symbol in SYMBOLS:
        pd.testing.assert_frame_equal(a.candles[symbol], b.candles[symbol])
        assert not a.candles[symbol]["close"].equals(c.candles[symbol]["close"])


def test_candles_are_consistent_contiguous_and_aligned(market) -> None:
    for frame in market.candles.values():
        ts = frame["ts_ms"].to_numpy()
        assert ts[0] == START_MS
        assert (np.diff(ts) == MINUTE_MS).all()
        o, h, low, c, v = (frame[k].to_numpy() for k in ("open", "high", "low", "close", "volume"))
        assert (low <= np.minimum(o, c)).all()
        assert (h >= np.maximum(o, c)).all()
        assert (low > 0).all()
        assert (v > 0).all()
        assert np.isfinite(frame.to_numpy()).all()
        np.testing.assert_array_equal(o[1:], c[:-1])


def test_returns_are_fat_tailed_and_volatility_clusters(market) -> None:
    for symbol in SYMBOLS:
        r = log_returns(market.candles[symbol])
        kurtosis = ((r - r.mean()) ** 4).mean() / r.var() ** 2
        assert kurtosis > 6, symbol  # a normal distribution has 3
        a = np.abs(r - r.mean())
        for lag in (1, 10, 60):
            assert np.corrcoef(a[:-lag], a[lag:])[0, 1] > 0.05, (symbol, lag)


def test_assets_move_together_as_configured(market) -> None:
    returns = np.array([log_returns(market.candles[s]) for s in SYMBOLS])
    observed = np.corrcoef(returns)
    off_diagonal = observed[~np.eye(len(SYMBOLS), dtype=bool)]
    assert (np.abs(off_diagonal - 0.7) < 0.1).all()


def test_volatility_is_near_the_profile(market) -> None:
    for symbol in SYMBOLS:
        annual = log_returns(market.candles[symbol]).std() * np.sqrt(525_600)
        target = DEFAULT_ASSETS[symbol].annual_volatility
        assert 0.5 * target < annual < 2.0 * target, symbol


def test_volume_follows_the_utc_day(market) -> None:
    frame = market.candles["BTC/USDT"]
    hours = (frame["ts_ms"] // 3_600_000) % 24
    by_hour = frame.groupby(hours)["volume"].mean()
    assert by_hour.max() > 1.5 * by_hour.min()


def test_regimes_switch(market) -> None:
    assert len(set(market.regimes)) >= 3
    assert len(market.regimes) == 20 * 1440


def test_unknown_symbol_gets_a_generic_profile() -> None:
    m = generate_market(["FOO/USDT"], start_ms=START_MS, minutes=10)
    assert m.candles["FOO/USDT"]["open"].iloc[0] == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start_ms": START_MS + 1, "minutes": 10}, "not aligned"),
        ({"start_ms": START_MS, "minutes": 0}, "at least one"),
        ({"start_ms": START_MS, "minutes": 10, "correlation": -0.9}, "not valid"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_market(SYMBOLS, **kwargs)
