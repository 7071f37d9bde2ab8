"""The synthetic market is deterministic, internally consistent and has the stylised
facts strategies react to (bands are wide on purpose: they catch a broken generator,
not a slightly different calibration). Funding, books and the hidden processes have
their own test modules; the comparison with real data is in
tests/integration/test_synthetic_realism.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantbot.data.ohlcv import OHLCV_COLUMNS
from quantbot.data.synthetic import (
    DEFAULT_ASSETS,
    FUNDING_COLUMNS,
    MINUTE_MS,
    ORDER_BOOK_COLUMNS,
    AssetProfile,
    generate_market,
)

START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]


@pytest.fixture(scope="module")
def market():
    return generate_market(SYMBOLS, start_ms=START_MS, minutes=20 * 1440, seed=11, correlation=0.7)


def log_returns(frame: pd.DataFrame) -> np.ndarray:
    return np.diff(np.log(frame["close"].to_numpy()))


def test_same_seed_gives_identical_output_and_another_seed_does_not() -> None:
    kwargs = {"start_ms": START_MS, "minutes": 1500, "book_interval_s": 30}
    a = generate_market(SYMBOLS, seed=3, **kwargs)
    b = generate_market(SYMBOLS, seed=3, **kwargs)
    c = generate_market(SYMBOLS, seed=4, **kwargs)
    for symbol in SYMBOLS:
        for part in ("candles", "funding", "books"):
            pd.testing.assert_frame_equal(getattr(a, part)[symbol], getattr(b, part)[symbol])
        pd.testing.assert_frame_equal(a.mark_candles(symbol), b.mark_candles(symbol))
        assert not a.candles[symbol]["close"].equals(c.candles[symbol]["close"])
        assert not a.funding[symbol]["funding_rate"].equals(c.funding[symbol]["funding_rate"])
        assert a.books[symbol]["bids"].tolist() != c.books[symbol]["bids"].tolist()
    np.testing.assert_array_equal(a.regimes, b.regimes)


def test_asking_for_books_changes_neither_candles_nor_funding() -> None:
    plain = generate_market(SYMBOLS, start_ms=START_MS, minutes=600, seed=5)
    with_books = generate_market(
        SYMBOLS, start_ms=START_MS, minutes=600, seed=5, book_interval_s=60
    )
    assert plain.books == {}
    for symbol in SYMBOLS:
        pd.testing.assert_frame_equal(plain.candles[symbol], with_books.candles[symbol])
        pd.testing.assert_frame_equal(plain.funding[symbol], with_books.funding[symbol])
        assert list(with_books.books[symbol].columns) == list(ORDER_BOOK_COLUMNS)
        assert len(with_books.books[symbol]) == 600


def test_candles_are_consistent_contiguous_and_aligned(market) -> None:
    for frame in market.candles.values():
        assert list(frame.columns) == list(OHLCV_COLUMNS)
        assert frame["ts_ms"].dtype == np.int64
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


def test_prices_are_on_the_tick_grid(market) -> None:
    for symbol, frame in market.candles.items():
        tick = DEFAULT_ASSETS[symbol].tick_size
        prices = frame[["open", "high", "low", "close"]].to_numpy()
        np.testing.assert_allclose(prices / tick, np.round(prices / tick), rtol=0, atol=1e-6)


def test_every_symbol_has_funding_and_mark_candles(market) -> None:
    for symbol, candles in market.candles.items():
        funding = market.funding[symbol]
        assert list(funding.columns) == list(FUNDING_COLUMNS)
        assert len(funding) == 20 * 3  # three settlements a day
        mark = market.mark_candles(symbol)
        assert list(mark.columns) == list(OHLCV_COLUMNS)
        np.testing.assert_array_equal(mark["ts_ms"], candles["ts_ms"])
        assert (mark["volume"] == 0).all()
        # A perpetual's premium over spot is a fraction of a percent, not percents.
        gap = mark["close"] / candles["close"] - 1.0
        assert gap.abs().max() < 0.01, symbol


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


def test_profiles_override_the_defaults_and_perpetuals_follow_their_spot_profile() -> None:
    profile = AssetProfile(250.0, 0.5, 40.0, tick_size=0.5, lot_size=0.1)
    m = generate_market(
        ["BTC/USDT", "ETH/USDT:USDT"],
        start_ms=START_MS,
        minutes=120,
        profiles={"BTC/USDT": profile},
    )
    btc = m.candles["BTC/USDT"]
    assert btc["open"].iloc[0] == 250.0
    assert btc["volume"].mean() == pytest.approx(40.0)
    assert ((btc["close"] / 0.5) % 1 == 0).all()
    assert m.candles["ETH/USDT:USDT"]["open"].iloc[0] == DEFAULT_ASSETS["ETH/USDT"].start_price


def test_progress_reports_each_finished_symbol() -> None:
    seen: list[int] = []
    generate_market(SYMBOLS, start_ms=START_MS, minutes=30, progress=seen.append)
    assert seen == [1, 2, 3]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start_ms": START_MS + 1, "minutes": 10}, "not aligned"),
        ({"start_ms": START_MS, "minutes": 0}, "at least one"),
        ({"start_ms": START_MS, "minutes": 10, "correlation": -0.9}, "not valid"),
        ({"start_ms": START_MS, "minutes": 10, "book_interval_s": 0}, "must be > 0"),
        (
            {"start_ms": START_MS, "minutes": 10, "book_interval_s": 5, "book_levels": 0},
            "must be > 0",
        ),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_market(SYMBOLS, **kwargs)
