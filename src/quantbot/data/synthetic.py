"""The synthetic market: seeded, deterministic 1-minute OHLCV for correlated assets.

This is quantbot's embedded default data source: the demo, the examples and many tests
run on it with no network and no downloaded files. It reproduces the stylised facts
strategies react to, not any real price history:

- correlated assets (one correlation matrix across all symbols);
- fat tails: Student-t innovations plus rare jumps;
- volatility clustering: a GARCH(1,1) variance shared by the market;
- regimes: a Markov chain over trend-up, trend-down, range and high-volatility states
  that shifts drift and volatility;
- intraday volume seasonality (UTC), with volume rising with absolute returns;
- consistent candles: open equals the previous close and high/low bound a sub-minute
  path through open and close.

The same seed and parameters always give the same candles, on every machine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_ASSETS",
    "MINUTE_MS",
    "AssetProfile",
    "SyntheticMarket",
    "generate_market",
]

MINUTE_MS = 60_000
_MINUTES_PER_YEAR = 525_600
_SUBSTEPS = 4
"""Sub-minute path points between open and close; enough for believable wicks."""


@dataclass(frozen=True, slots=True)
class AssetProfile:
    """Level, volatility and size of one synthetic asset.

    Attributes:
        start_price: first open, in quote currency.
        annual_volatility: annualised standard deviation of log returns (0.6 = 60 %).
        volume_per_minute: average base volume traded per minute.
    """

    start_price: float
    annual_volatility: float
    volume_per_minute: float


DEFAULT_ASSETS: dict[str, AssetProfile] = {
    "BTC/USDT": AssetProfile(60_000.0, 0.55, 12.0),
    "ETH/USDT": AssetProfile(3_000.0, 0.70, 150.0),
    "SOL/USDT": AssetProfile(150.0, 0.95, 2_500.0),
    "AVAX/USDT": AssetProfile(35.0, 1.00, 6_000.0),
    "LINK/USDT": AssetProfile(15.0, 0.90, 12_000.0),
}
"""Profiles of the assets the shipped configuration trades; others get a generic one."""

_GENERIC_ASSET = AssetProfile(100.0, 0.90, 3_000.0)

# Regimes: (name, annualised drift, volatility multiplier, mean stay in minutes).
_REGIMES = (
    ("trend_up", 1.5, 0.9, 3 * 1440),
    ("trend_down", -1.5, 1.1, 2 * 1440),
    ("range", 0.0, 0.7, 4 * 1440),
    ("high_volatility", 0.0, 2.0, 720),
)


@dataclass(frozen=True)
class SyntheticMarket:
    """Generated candles and the hidden state that produced them.

    Attributes:
        candles: symbol → DataFrame with columns ts_ms, open, high, low, close, volume.
        regimes: name of the regime in force at each minute (same for all symbols).
        correlation: the correlation matrix the returns were drawn with.
    """

    candles: dict[str, pd.DataFrame]
    regimes: np.ndarray
    correlation: np.ndarray = field(repr=False)


def generate_market(
    symbols: Sequence[str],
    *,
    start_ms: int,
    minutes: int,
    seed: int = 7,
    correlation: float = 0.75,
    profiles: dict[str, AssetProfile] | None = None,
    progress: Callable[[int], None] | None = None,
) -> SyntheticMarket:
    """Generate ``minutes`` one-minute candles for each symbol.

    Args:
        symbols: markets in ccxt notation; known ones use :data:`DEFAULT_ASSETS`.
        start_ms: open time of the first candle, epoch ms, aligned to a minute.
        minutes: number of candles per symbol.
        seed: random seed; equal inputs give identical output.
        correlation: pairwise correlation of the assets' return innovations.
        profiles: overrides of :data:`DEFAULT_ASSETS`.
        progress: called with the number of symbols finished, for a progress bar.

    Raises:
        ValueError: on an unaligned start, no symbols, a non-positive length or a
            correlation that makes the matrix not positive definite.
    """
    if start_ms % MINUTE_MS:
        raise ValueError(f"start_ms {start_ms} is not aligned to a minute")
    if not symbols or minutes <= 0:
        raise ValueError("need at least one symbol and one minute")
    n = len(symbols)
    corr = np.full((n, n), correlation) + np.eye(n) * (1.0 - correlation)
    try:
        chol = np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        raise ValueError(f"correlation {correlation} is not valid for {n} assets") from None
    rng = np.random.Generator(np.random.PCG64(seed))
    known = {**DEFAULT_ASSETS, **(profiles or {})}
    regime_index = _regime_path(rng, minutes)
    drift_mult = np.array([r[1] for r in _REGIMES])[regime_index]
    vol_mult = np.array([r[2] for r in _REGIMES])[regime_index]
    variance = _garch_variance(rng, minutes)
    shocks = rng.standard_t(df=4, size=(minutes, n)) / np.sqrt(2.0)  # unit variance
    correlated = shocks @ chol.T
    jumps = (rng.random((minutes, n)) < 1.0 / 2880.0) * rng.normal(0.0, 8.0, (minutes, n))
    ts_ms = start_ms + MINUTE_MS * np.arange(minutes, dtype=np.int64)
    hour = (ts_ms // 3_600_000) % 24
    seasonality = 1.0 + 0.5 * np.sin((hour - 8) / 24.0 * 2.0 * np.pi)
    candles: dict[str, pd.DataFrame] = {}
    for column, symbol in enumerate(symbols):
        profile = known.get(symbol, _GENERIC_ASSET)
        sigma = profile.annual_volatility / np.sqrt(_MINUTES_PER_YEAR)
        step_sigma = sigma * vol_mult * np.sqrt(variance)
        drift = drift_mult * profile.annual_volatility / _MINUTES_PER_YEAR
        returns = drift + step_sigma * (correlated[:, column] + jumps[:, column])
        candles[symbol] = _candles(
            rng,
            profile=profile,
            ts_ms=ts_ms,
            returns=returns,
            step_sigma=step_sigma,
            seasonality=seasonality,
        )
        if progress is not None:
            progress(column + 1)
    names = np.array([r[0] for r in _REGIMES])
    return SyntheticMarket(candles=candles, regimes=names[regime_index], correlation=corr)


def _regime_path(rng: np.random.Generator, minutes: int) -> np.ndarray:
    """Regime index per minute from a Markov chain with geometric stays."""
    path = np.empty(minutes, dtype=np.int64)
    position, state = 0, int(rng.integers(len(_REGIMES)))
    while position < minutes:
        stay = int(rng.geometric(1.0 / _REGIMES[state][3]))
        path[position : position + stay] = state
        position += stay
        state = int(rng.choice([s for s in range(len(_REGIMES)) if s != state]))
    return path


def _garch_variance(rng: np.random.Generator, minutes: int) -> np.ndarray:
    """A unit-mean GARCH(1,1) variance path: calm and stormy periods cluster."""
    omega, alpha, beta = 0.01, 0.08, 0.91
    variance = np.empty(minutes)
    level = 1.0
    shocks = rng.standard_normal(minutes)
    for t in range(minutes):
        variance[t] = level
        level = omega + alpha * level * shocks[t] ** 2 + beta * level
    return variance


def _candles(
    rng: np.random.Generator,
    *,
    profile: AssetProfile,
    ts_ms: np.ndarray,
    returns: np.ndarray,
    step_sigma: np.ndarray,
    seasonality: np.ndarray,
) -> pd.DataFrame:
    """Build OHLCV from per-minute log returns via a short sub-minute bridge."""
    minutes = len(returns)
    log_close = np.log(profile.start_price) + np.cumsum(returns)
    log_open = np.concatenate(([np.log(profile.start_price)], log_close[:-1]))
    # Brownian bridge from open to close: interior points wander by the minute's sigma.
    fractions = np.arange(1, _SUBSTEPS) / _SUBSTEPS
    noise = rng.standard_normal((minutes, _SUBSTEPS - 1)) * step_sigma[:, None] * 0.5
    bridge = log_open[:, None] + fractions * returns[:, None] + noise
    path = np.column_stack((log_open, bridge, log_close))
    volume_noise = rng.lognormal(mean=0.0, sigma=0.5, size=minutes)
    # Busy minutes are big minutes: volume grows with the size of the move.
    activity = 1.0 + np.abs(returns) / np.maximum(step_sigma, 1e-12)
    raw_volume = seasonality * volume_noise * activity
    volume = raw_volume * (profile.volume_per_minute / raw_volume.mean())
    return pd.DataFrame(
        {
            "ts_ms": ts_ms,
            "open": np.exp(log_open),
            "high": np.exp(path.max(axis=1)),
            "low": np.exp(path.min(axis=1)),
            "close": np.exp(log_close),
            "volume": volume,
        }
    )
