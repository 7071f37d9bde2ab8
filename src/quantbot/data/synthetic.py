"""The synthetic market: seeded, deterministic 1-minute OHLCV, funding and order books.

This is quantbot's embedded default data source: the demo, the examples and many tests
run on it with no network and no downloaded files. It reproduces the stylised facts
strategies react to, not any real price history (tests/integration/
test_synthetic_realism.py compares it with recorded Binance data):

- correlated assets (one correlation matrix across all symbols, jumps included);
- fat tails: Student-t innovations plus rare market-wide jumps;
- volatility clustering over minutes to days: a GARCH-type variance, a slow daily
  level, the regime's multiplier and the UTC intraday curve, shared by the market
  (:mod:`quantbot.data.synthetic_processes`);
- regimes: a Markov chain over trend-up, trend-down, range and high-volatility states
  that shifts drift and volatility;
- intraday volume seasonality (UTC), with volume rising with volatility and the size of
  the move;
- consistent candles on the asset's tick grid: open equals the previous close and
  high/low bound a sub-minute path through open and close;
- a perpetual per asset whose funding leans with the trend, settled every 8 hours on
  Binance's grid, and its mark price (:mod:`quantbot.data.synthetic_funding`);
- optional L2 book snapshots (:mod:`quantbot.data.synthetic_book`).

Prices, funding and books draw from separate random streams of one seed, so asking for
books does not change the candles. The same seed and parameters give identical output
on every run. Across machines numpy promises identical random streams only for the same
build on the same CPU (its SIMD ``log``/``exp`` may differ in the last bit), so the
generator keeps everything else machine-independent: no BLAS or LAPACK (a fixed-order
Cholesky factor and mixing), prices built by products rather than ``exp``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from quantbot.data.ohlcv import OHLCV_COLUMNS
from quantbot.data.synthetic_assets import (
    DEFAULT_ASSETS,
    AssetProfile,
    asset_profile,
    decimals_of,
)
from quantbot.data.synthetic_book import ORDER_BOOK_COLUMNS, generate_order_books
from quantbot.data.synthetic_funding import (
    FUNDING_COLUMNS,
    basis_path,
    funding_settlements,
    mark_candles,
)
from quantbot.data.synthetic_processes import (
    MINUTE_MS,
    REGIMES,
    intraday_curve,
    regime_path,
    volatility_path,
)

__all__ = [
    "DEFAULT_ASSETS",
    "FUNDING_COLUMNS",
    "MINUTE_MS",
    "ORDER_BOOK_COLUMNS",
    "AssetProfile",
    "SyntheticMarket",
    "generate_market",
    "generate_order_books",
]

_MINUTES_PER_YEAR = 525_600
_SUBSTEPS = 4
"""Sub-minute path points between open and close; enough for believable wicks."""
_T_DEGREES = 5.0
"""Degrees of freedom of the Student-t innovations: heavy tails, finite variance."""
_JUMP_PROBABILITY = 1.0 / 2880.0
"""Chance of a market-wide jump in a minute: about one every two days."""
_JUMP_SIGMAS = 6.0
"""Standard deviation of a jump, in the minute's standard deviations."""
_INTRADAY_VOLATILITY = 0.35
_INTRADAY_VOLUME = 0.43
_VOLUME_NOISE = 0.5


@dataclass(frozen=True)
class SyntheticMarket:
    """Generated market data and the hidden state that produced it.

    Attributes:
        candles: symbol → 1m OHLCV frame (columns of :data:`~quantbot.data.ohlcv.OHLCV_COLUMNS`).
        funding: symbol → funding settlements of the asset's linear perpetual, columns
            :data:`FUNDING_COLUMNS` (ts_ms, funding_rate as a fraction per settlement,
            mark_price).
        books: symbol → L2 snapshots, columns :data:`ORDER_BOOK_COLUMNS`; empty unless
            asked for.
        regimes: name of the regime in force at each minute (same for all symbols).
        correlation: the correlation matrix the returns were drawn with.
        basis: symbol → the perpetual's premium over spot at each minute (a fraction).
    """

    candles: dict[str, pd.DataFrame]
    funding: dict[str, pd.DataFrame]
    books: dict[str, pd.DataFrame]
    regimes: np.ndarray
    correlation: np.ndarray = field(repr=False)
    basis: dict[str, np.ndarray] = field(repr=False)

    def mark_candles(self, symbol: str) -> pd.DataFrame:
        """1m mark-price candles of the symbol's perpetual (spot times ``1 + basis``).

        Built on demand rather than kept: a year of them is as big as the candles.

        Raises:
            KeyError: for a symbol the market does not have.
        """
        return mark_candles(self.candles[symbol], self.basis[symbol])


def generate_market(
    symbols: Sequence[str],
    *,
    start_ms: int,
    minutes: int,
    seed: int = 7,
    correlation: float = 0.75,
    profiles: dict[str, AssetProfile] | None = None,
    progress: Callable[[int], None] | None = None,
    book_interval_s: int | None = None,
    book_levels: int = 20,
) -> SyntheticMarket:
    """Generate ``minutes`` one-minute candles, funding and optional books per symbol.

    Args:
        symbols: markets in ccxt notation; known ones use :data:`DEFAULT_ASSETS` (a
            perpetual ``BTC/USDT:USDT`` uses ``BTC/USDT``'s profile).
        start_ms: open time of the first candle, epoch ms, aligned to a minute.
        minutes: number of candles per symbol.
        seed: random seed; equal inputs give identical output.
        correlation: pairwise correlation of the assets' return innovations.
        profiles: overrides of :data:`DEFAULT_ASSETS`.
        progress: called with the number of symbols finished, for a progress bar.
        book_interval_s: seconds between order-book snapshots; None (the default) for
            no books: a year of 1-minute snapshots of 20 levels is about 2.8 GB of lists.
        book_levels: price levels per side of each snapshot.

    Raises:
        ValueError: on an unaligned start, no symbols, a non-positive length or book
            interval, or a correlation that makes the matrix not positive definite.
    """
    if start_ms % MINUTE_MS:
        raise ValueError(f"start_ms {start_ms} is not aligned to a minute")
    if not symbols or minutes <= 0:
        raise ValueError("need at least one symbol and one minute")
    if book_interval_s is not None and (book_interval_s <= 0 or book_levels <= 0):
        raise ValueError(
            f"book_interval_s {book_interval_s} and book_levels {book_levels} must be > 0"
        )
    n = len(symbols)
    corr = np.full((n, n), correlation) + np.eye(n) * (1.0 - correlation)
    chol = _cholesky(corr.tolist())
    if chol is None:
        raise ValueError(f"correlation {correlation} is not valid for {n} assets")
    price_seq, funding_seq, book_seq = np.random.SeedSequence(seed).spawn(3)
    rng = np.random.Generator(np.random.PCG64(price_seq))
    funding_rng = np.random.Generator(np.random.PCG64(funding_seq))
    ts_ms = start_ms + MINUTE_MS * np.arange(minutes, dtype=np.int64)
    regime_index = regime_path(rng, minutes)
    drift_per_vol = np.array([r.drift_per_volatility for r in REGIMES])[regime_index]
    volatility = volatility_path(rng, regime_index)
    intraday = intraday_curve(ts_ms, _INTRADAY_VOLATILITY) / math.sqrt(
        1.0 + _INTRADAY_VOLATILITY**2 / 2.0
    )
    innovations = _innovations(rng, chol, minutes)
    activity = intraday_curve(ts_ms, _INTRADAY_VOLUME) * np.sqrt(volatility)
    market_volatility = volatility * intraday
    end_ms = start_ms + minutes * MINUTE_MS
    book_seqs = book_seq.spawn(n)
    candles: dict[str, pd.DataFrame] = {}
    funding: dict[str, pd.DataFrame] = {}
    books: dict[str, pd.DataFrame] = {}
    basis: dict[str, np.ndarray] = {}
    for column, symbol in enumerate(symbols):
        profile = asset_profile(symbol, profiles)
        sigma = profile.annual_volatility / math.sqrt(_MINUTES_PER_YEAR)
        drift = drift_per_vol * profile.annual_volatility / _MINUTES_PER_YEAR
        frame, close = _candles(
            rng,
            profile=profile,
            ts_ms=ts_ms,
            returns=drift + sigma * market_volatility * innovations[column],
            step_sigma=sigma * market_volatility,
            activity=activity * (1.0 + np.abs(innovations[column])),
        )
        candles[symbol] = frame
        basis[symbol] = basis_path(
            funding_rng, close=close, regime_index=regime_index, minute_volatility=sigma
        )
        funding[symbol] = funding_settlements(
            ts_ms=ts_ms,
            basis=basis[symbol],
            mark_close=frame["close"].to_numpy() * (1.0 + basis[symbol]),
            end_ms=end_ms,
        )
        if book_interval_s is not None:
            books[symbol] = generate_order_books(
                frame,
                tick_size=profile.tick_size,
                lot_size=profile.lot_size,
                interval_s=book_interval_s,
                levels=book_levels,
                seed=book_seqs[column],
            )
        if progress is not None:
            progress(column + 1)
    names = np.array([r.name for r in REGIMES])
    return SyntheticMarket(
        candles=candles,
        funding=funding,
        books=books,
        regimes=names[regime_index],
        correlation=corr,
        basis=basis,
    )


def _cholesky(matrix: list[list[float]]) -> list[list[float]] | None:
    """Lower Cholesky factor of a small symmetric matrix; None if not positive definite.

    Plain Python rather than LAPACK: the factor, and so every price, must be the same
    bits whichever LAPACK numpy links to.
    """
    n = len(matrix)
    lower = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            partial = matrix[i][j] - sum(lower[i][k] * lower[j][k] for k in range(j))
            if i == j:
                if partial <= 0.0:
                    return None
                lower[i][i] = math.sqrt(partial)
            else:
                lower[i][j] = partial / lower[j][j]
    return lower


def _innovations(rng: np.random.Generator, chol: list[list[float]], minutes: int) -> np.ndarray:
    """Unit-variance correlated shocks ``(minutes, assets)``: Student-t plus jumps.

    Jumps hit all assets in the same minute with sizes drawn through the same Cholesky
    factor, so they keep the configured correlation instead of diluting it. The mixing
    is elementwise in a fixed order rather than a matrix product, whose BLAS kernel (and
    rounding) depends on the CPU and thread count.
    """
    n = len(chol)
    scale = math.sqrt((_T_DEGREES - 2.0) / _T_DEGREES)
    shocks = rng.standard_t(df=_T_DEGREES, size=(n, minutes)) * scale
    jump_minutes = np.flatnonzero(rng.random(minutes) < _JUMP_PROBABILITY)
    shocks[:, jump_minutes] += rng.standard_normal((n, len(jump_minutes))) * _JUMP_SIGMAS
    correlated = np.zeros((n, minutes))
    for i in range(n):
        for k in range(i + 1):
            correlated[i] += chol[i][k] * shocks[k]
    return correlated


def _candles(
    rng: np.random.Generator,
    *,
    profile: AssetProfile,
    ts_ms: np.ndarray,
    returns: np.ndarray,
    step_sigma: np.ndarray,
    activity: np.ndarray,
) -> tuple[pd.DataFrame, np.ndarray]:
    """OHLCV on the tick grid from per-minute simple returns via a sub-minute bridge.

    Returns:
        The frame and the unrounded closes (the path the perpetual's basis follows).
    """
    minutes = len(returns)
    close = profile.start_price * np.cumprod(1.0 + np.maximum(returns, -0.5))
    open_ = np.concatenate(([profile.start_price], close[:-1]))
    # Brownian bridge from open to close: interior points wander by the minute's sigma.
    fractions = np.arange(1, _SUBSTEPS) / _SUBSTEPS
    wander = rng.standard_normal((minutes, _SUBSTEPS - 1)) * (step_sigma * 0.5)[:, None]
    bridge = open_[:, None] * (1.0 + fractions * returns[:, None] + wander)
    tick, digits = profile.tick_size, decimals_of(profile.tick_size)

    def on_grid(prices: np.ndarray) -> np.ndarray:
        # Monotone, so rounding keeps low <= open, close <= high and open == last close.
        snapped: np.ndarray = np.maximum(np.round(np.round(prices / tick) * tick, digits), tick)
        return snapped

    close_q = on_grid(close)
    open_q = np.concatenate((on_grid(open_[:1]), close_q[:-1]))
    high = np.maximum(on_grid(bridge.max(axis=1)), np.maximum(open_q, close_q))
    low = np.minimum(on_grid(bridge.min(axis=1)), np.minimum(open_q, close_q))
    raw_volume = activity * rng.lognormal(0.0, _VOLUME_NOISE, minutes)
    volume = raw_volume * (profile.volume_per_minute / raw_volume.mean())
    frame = pd.DataFrame(
        {
            "ts_ms": ts_ms,
            "open": open_q,
            "high": high,
            "low": low,
            "close": close_q,
            "volume": volume,
        },
        columns=list(OHLCV_COLUMNS),
    )
    return frame, close
