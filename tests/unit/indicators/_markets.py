"""Random markets for the indicator tests: every series any indicator takes, by input name.

An indicator's inputs are named after its parameters (see ``quantbot.indicators.registry``);
:func:`random_market` returns one series per name, so ``spec.compute(market)`` runs
any indicator. Prices are geometric random walks that can be rounded to a tick (ties,
flat tops), hold flat stretches (zero returns) and holes (NaN); volumes have zeros.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

MINUTE_MS = 60_000
START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z

Market = dict[str, np.ndarray]


def random_market(
    seed: int,
    size: int,
    *,
    tick: float = 0.0,
    flat: tuple[int, int] = (0, 0),
    holes: tuple[int, ...] = (),
    zero_volume_share: float = 0.1,
    start_ms: int = START_MS,
) -> Market:
    """A market of ``size`` bars drawn from ``seed``.

    Args:
        tick: round prices to this step (0: no rounding), which creates exact ties.
        flat: (first bar, length) of a stretch where the close does not move.
        holes: bars whose prices and volume are NaN (a gap in the data).
        zero_volume_share: share of bars without volume.
        start_ms: open time of the first bar; bars are 1 minute apart with some gaps.
    """
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0, 0.003, size)
    first, length = flat
    returns[first : first + length] = 0.0
    close = _on_tick(100.0 * np.exp(np.cumsum(returns)), tick)
    open_ = np.concatenate(([close[0]], close[:-1])) if size else close.copy()
    high = _on_tick(np.maximum(open_, close) * (1.0 + rng.uniform(0.0, 0.002, size)), tick)
    low = _on_tick(np.minimum(open_, close) * (1.0 - rng.uniform(0.0, 0.002, size)), tick)
    volume = rng.exponential(10.0, size) * (rng.random(size) >= zero_volume_share)
    reference = 50.0 * np.exp(np.cumsum(0.5 * returns + rng.normal(0.0, 0.003, size)))
    other = _on_tick(close * (1.0 + rng.normal(0.0, 0.002, size)), tick)
    steps = rng.choice(np.array([1, 1, 1, 1, 2, 61], dtype=np.int64), size)
    minutes = np.concatenate(([0], np.cumsum(steps[1:])))[:size]
    market: Market = {
        "ts_ms": start_ms + MINUTE_MS * minutes,
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "volume": volume,
        "reference": reference,
        "values": close,
        "price": close,
        "a": close,
        "b": other,
        "oscillator": 50.0 + 30.0 * np.sin(np.cumsum(rng.normal(0.3, 0.3, size))),
    }
    hole_list = [bar for bar in holes if bar < size]
    # "values", "price" and "a" are the close array itself, so they get its holes.
    for name in ("open", "high", "low", "close", "volume", "reference", "b", "oscillator"):
        market[name][hole_list] = np.nan
    return market


def splice(head: Market, tail: Market, cut: int) -> Market:
    """``head`` up to bar ``cut`` included, then ``tail``'s bars after it.

    Timestamps keep increasing: after bar ``cut`` they advance by ``tail``'s own gaps.
    """
    spliced = {
        name: np.concatenate((series[: cut + 1], tail[name][cut + 1 :]))
        for name, series in head.items()
        if name != "ts_ms"
    }
    tail_steps = np.diff(tail["ts_ms"])[cut:]
    spliced["ts_ms"] = np.concatenate(
        (head["ts_ms"][: cut + 1], head["ts_ms"][cut] + np.cumsum(tail_steps))
    )
    return spliced


@st.composite
def markets(draw: st.DrawFn, *, min_size: int = 1, max_size: int = 320) -> Market:
    """Hypothesis strategy: a :func:`random_market` of random shape."""
    size = draw(st.integers(min_size, max_size))
    bars = st.integers(0, max(size - 1, 0))
    return random_market(
        draw(st.integers(0, 2**32 - 1)),
        size,
        tick=draw(st.sampled_from([0.0, 0.01, 0.5])),
        flat=(draw(bars), draw(st.integers(0, 40))),
        holes=tuple(draw(st.lists(bars, max_size=2))),
        zero_volume_share=draw(st.sampled_from([0.0, 0.1, 0.9])),
        start_ms=START_MS + MINUTE_MS * draw(st.integers(0, 1439)),
    )


def _on_tick(prices: np.ndarray, tick: float) -> np.ndarray:
    return np.round(prices / tick) * tick if tick else prices
