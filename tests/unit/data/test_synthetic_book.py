"""Synthetic order books: never crossed, sorted, on the tick and lot grids, inside their
candles, sized by volume, deterministic; and they work on any 1m candles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantbot.data.synthetic import AssetProfile, generate_market, generate_order_books

START_MS = 1_735_689_600_000
MINUTE_MS = 60_000


def candles_for(profile: AssetProfile, minutes: int = 60, seed: int = 1) -> pd.DataFrame:
    market = generate_market(
        ["X/USDT"], start_ms=START_MS, minutes=minutes, seed=seed, profiles={"X/USDT": profile}
    )
    return market.candles["X/USDT"]


def as_arrays(books: pd.DataFrame, side: str) -> tuple[np.ndarray, np.ndarray]:
    levels = np.array(books[side].tolist())
    return levels[:, :, 0], levels[:, :, 1]


@settings(max_examples=40)
@given(
    tick=st.sampled_from([0.0001, 0.001, 0.01, 0.1, 0.5, 1.0, 5.0]),
    lot=st.sampled_from([0.00001, 0.001, 0.1, 1.0]),
    price_in_ticks=st.floats(2_000, 50_000_000),
    volatility=st.floats(0.1, 3.0),
    levels=st.integers(1, 30),
    interval_s=st.sampled_from([1, 7, 15, 60, 300]),
    seed=st.integers(0, 2**16),
)
def test_books_are_never_crossed_sorted_and_on_grid(
    tick: float,
    lot: float,
    price_in_ticks: float,
    volatility: float,
    levels: int,
    interval_s: int,
    seed: int,
) -> None:
    profile = AssetProfile(price_in_ticks * tick, volatility, 50.0, tick_size=tick, lot_size=lot)
    candles = candles_for(profile, minutes=10, seed=seed)
    books = generate_order_books(
        candles, tick_size=tick, lot_size=lot, interval_s=interval_s, levels=levels, seed=seed
    )
    bid_px, bid_qty = as_arrays(books, "bids")
    ask_px, ask_qty = as_arrays(books, "asks")
    assert bid_px.shape == ask_px.shape == (len(books), levels)
    assert (bid_px[:, 0] < ask_px[:, 0]).all()
    assert ((ask_px[:, 0] - bid_px[:, 0]) / tick > 1 - 1e-6).all()  # at least one tick
    assert (np.diff(bid_px, axis=1) < 0).all()
    assert (np.diff(ask_px, axis=1) > 0).all()
    assert (bid_px > 0).all()
    for prices in (bid_px, ask_px):
        np.testing.assert_allclose(prices / tick, np.round(prices / tick), rtol=0, atol=1e-6)
    for qty in (bid_qty, ask_qty):
        assert (qty / lot > 1 - 1e-6).all()
        np.testing.assert_allclose(qty / lot, np.round(qty / lot), rtol=0, atol=1e-6)


def test_snapshots_are_evenly_spaced_from_the_first_open_and_skip_gaps() -> None:
    candles = candles_for(AssetProfile(100.0, 0.8, 10.0), minutes=10)
    gapped = candles.drop(index=[4, 5]).reset_index(drop=True)
    books = generate_order_books(gapped, tick_size=0.01, lot_size=0.001, interval_s=20)
    ts = books["ts_ms"].to_numpy()
    assert ts[0] == START_MS
    expected = [
        t
        for t in range(START_MS, START_MS + 10 * MINUTE_MS, 20_000)
        if not START_MS + 4 * MINUTE_MS <= t < START_MS + 6 * MINUTE_MS
    ]
    assert ts.tolist() == expected
    assert (np.diff(books["update_id"].to_numpy()) > 0).all()


def test_the_touch_stays_inside_its_candle() -> None:
    """Trades print between bid and ask, so the bid is at most the high, the ask at least the low."""
    candles = candles_for(AssetProfile(3000.0, 1.5, 100.0), minutes=300)
    books = generate_order_books(candles, tick_size=0.01, lot_size=0.0001, interval_s=10)
    minute = (books["ts_ms"].to_numpy() - START_MS) // MINUTE_MS
    best_bid = np.array([side[0][0] for side in books["bids"]])
    best_ask = np.array([side[0][0] for side in books["asks"]])
    assert (best_bid <= candles["high"].to_numpy()[minute] + 1e-9).all()
    assert (best_ask >= candles["low"].to_numpy()[minute] - 1e-9).all()


def test_spread_is_mostly_one_tick_and_depth_grows_away_from_the_touch() -> None:
    candles = candles_for(AssetProfile(60_000.0, 0.55, 12.0, 0.01, 0.00001), minutes=600)
    books = generate_order_books(candles, tick_size=0.01, lot_size=0.00001, interval_s=30)
    bid_px, bid_qty = as_arrays(books, "bids")
    ask_px, _ = as_arrays(books, "asks")
    one_tick = np.isclose(ask_px[:, 0] - bid_px[:, 0], 0.01)
    assert one_tick.mean() > 0.9
    assert (~one_tick).any()  # but the spread does open up now and then
    mean_by_level = bid_qty.mean(axis=0)
    assert mean_by_level[0] > mean_by_level[1]  # the touch holds a queue
    assert mean_by_level[15:].mean() > mean_by_level[1:5].mean()


def test_depth_scales_with_the_traded_volume() -> None:
    candles = candles_for(AssetProfile(3000.0, 0.7, 400.0, 0.01, 0.0001), minutes=120)
    busy = candles.assign(volume=candles["volume"] * 10.0)
    quiet_books = generate_order_books(candles, tick_size=0.01, lot_size=0.0001, seed=3)
    busy_books = generate_order_books(busy, tick_size=0.01, lot_size=0.0001, seed=3)
    quiet_depth = as_arrays(quiet_books, "bids")[1].sum()
    busy_depth = as_arrays(busy_books, "bids")[1].sum()
    assert 9.0 < busy_depth / quiet_depth < 11.0


def test_same_seed_same_books() -> None:
    candles = candles_for(AssetProfile(100.0, 0.8, 10.0), minutes=20)
    a = generate_order_books(candles, tick_size=0.01, lot_size=0.001, interval_s=5, seed=9)
    b = generate_order_books(candles, tick_size=0.01, lot_size=0.001, interval_s=5, seed=9)
    c = generate_order_books(candles, tick_size=0.01, lot_size=0.001, interval_s=5, seed=10)
    pd.testing.assert_frame_equal(a, b)
    assert a["asks"].tolist() != c["asks"].tolist()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"interval_s": 0}, "must all be > 0"),
        ({"levels": 0}, "must all be > 0"),
        ({"tick_size": 0.0}, "must all be > 0"),
        ({"lot_size": -1.0}, "must all be > 0"),
        ({"tick_size": 1.0, "levels": 200}, "too low"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, float], message: str) -> None:
    candles = candles_for(AssetProfile(100.0, 0.8, 10.0), minutes=5)
    arguments = {"tick_size": 0.01, "lot_size": 0.001, **kwargs}
    with pytest.raises(ValueError, match=message):
        generate_order_books(candles, **arguments)  # type: ignore[arg-type]


def test_no_candles_no_books() -> None:
    candles = candles_for(AssetProfile(100.0, 0.8, 10.0), minutes=5).iloc[:0]
    with pytest.raises(ValueError, match="at least one candle"):
        generate_order_books(candles, tick_size=0.01, lot_size=0.001)
