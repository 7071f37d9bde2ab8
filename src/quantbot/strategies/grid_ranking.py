"""Which pairs suit a grid: volatility, liquidity, mean reversion and fee efficiency.

:func:`rank_grid_pairs` is a pure function of each candidate's closed daily candles
and ticker (24h volume, best bid and ask). A pair is *eligible* when it passes every
rule of :class:`GridRankingRules` (the defaults are the blueprint's):

- **volatility**: 30-day realised volatility of daily log returns above 40 %
  annualised — a grid earns from movement;
- **liquidity**: among the 20 candidates with the largest 24h volume, and a bid-ask
  spread at most ``max_spread_pct`` where a quote is known — resting orders need a
  deep, tight book;
- **mean reversion**: Hurst exponent of the daily closes below 0.5 — moves that tend
  to reverse come back through the grid's levels; a trend leaves them behind;
- **fee efficiency**: the grid spacing at least twice the cost of a round trip (two
  fees plus the spread) — otherwise fees eat the spacing.

Every failed rule is reported with its value and limit. A pair without a known quote
(candle files carry no bid and ask) is judged on its volume alone for liquidity, and
its round trip costs the two fees: the spread of a liquid pair is a small part of
that cost (BTC/USDT's is about 0.0002 %). The **score** orders the
pairs: the grid's expected earnings per order and day, in percent of the order, were
the price a random walk with the measured volatility. A walk with daily volatility
``sigma`` moves one spacing ``s`` about ``(sigma / s) ** 2`` times a day, and every
second such move completes a round trip earning ``s - 2 x fee - spread``::

    score = (sigma_daily / s) ** 2 / 2 x (s - 2 x fee - spread)

It is a yardstick for comparing pairs, not a forecast: real paths trend and jump, and
the Hurst rule is there because a walk that reverts completes more round trips than
this count, one that trends fewer. Eligible pairs come first, each group by score.

The estimates come from few daily candles and are noisy (a 90-candle Hurst exponent
of a random walk reads anywhere from about 0.3 to 0.65); treat the ranking as a
shortlist to backtest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from quantbot.data.market_stats import spread_pct
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.indicators import hurst_exponent, realised_volatility
from quantbot.indicators.volatility import CRYPTO_DAYS_PER_YEAR

__all__ = ["GridCandidate", "GridRankingRules", "PairScore", "rank_grid_pairs"]


@dataclass(frozen=True, slots=True)
class GridCandidate:
    """One pair to score.

    Attributes:
        symbol: ccxt symbol.
        daily: closed daily candles, oldest first (drop the day still open).
        quote_volume_usd: 24h volume in USD from the ticker; None when unknown.
        bid: best bid; None when unknown.
        ask: best ask; None when unknown.
    """

    symbol: str
    daily: OhlcvArrays
    quote_volume_usd: float | None
    bid: float | None
    ask: float | None


@dataclass(frozen=True, slots=True)
class GridRankingRules:
    """The limits a grid pair must meet, and the grid they are judged for.

    Attributes:
        min_volatility_pct: lowest annualised realised volatility, percent.
        volatility_days: daily returns in the volatility.
        max_hurst: highest Hurst exponent of the daily closes (below 0.5 = reverting).
        hurst_days: daily closes in the Hurst exponent, at most (fewer when the
            history is shorter, but at least ``hurst_max_lag + 2``).
        hurst_max_lag: longest lag of the Hurst fit, days.
        top_by_volume: a pair must be among this many largest by 24h volume.
        max_spread_pct: widest bid-ask spread, percent of the mid.
        grid_spacing_pct: the spacing of the grid to run, percent.
        fee_rate: fee per fill, percent.
        min_fee_cover: the spacing must be at least this many round-trip costs
            (two fees plus the spread).

    Raises:
        ValueError: for a limit out of range.
    """

    min_volatility_pct: float = 40.0
    volatility_days: int = 30
    max_hurst: float = 0.5
    hurst_days: int = 90
    hurst_max_lag: int = 16
    top_by_volume: int = 20
    max_spread_pct: float = 0.1
    grid_spacing_pct: float = 0.5
    fee_rate: float = 0.075
    min_fee_cover: float = 2.0

    def __post_init__(self) -> None:
        if self.volatility_days < 2:
            raise ValueError(f"volatility_days {self.volatility_days}: must be >= 2")
        if self.hurst_max_lag < 4 or self.hurst_days < self.hurst_max_lag + 2:
            raise ValueError(
                f"hurst_max_lag {self.hurst_max_lag} and hurst_days {self.hurst_days}: "
                "the lag must be >= 4 and the days >= lag + 2"
            )
        if self.top_by_volume < 1:
            raise ValueError(f"top_by_volume {self.top_by_volume}: must be >= 1")
        if not self.grid_spacing_pct > 0 or self.fee_rate < 0 or self.max_spread_pct < 0:
            raise ValueError(
                f"grid_spacing_pct {self.grid_spacing_pct} must be > 0, fee_rate "
                f"{self.fee_rate} and max_spread_pct {self.max_spread_pct} >= 0"
            )


@dataclass(frozen=True, slots=True)
class PairScore:
    """What the ranking measured of one pair, and the rules it failed.

    Attributes:
        symbol: the pair.
        volatility_pct: annualised realised volatility, percent; None without enough
            candles.
        hurst: Hurst exponent of the daily closes; None without enough candles or
            for a flat price.
        quote_volume_usd: 24h volume in USD; None when unknown.
        volume_rank: 1 for the largest volume among the candidates; None when unknown.
        spread_pct: bid-ask spread, percent of the mid; None without a valid quote.
        fee_cover: spacing over the round-trip cost (two fees, plus the spread when
            known).
        score: expected earnings per order and day, percent of the order (module
            docstring); None when the volatility is unknown.
        failures: the rules it failed, each with its value and limit.
    """

    symbol: str
    volatility_pct: float | None
    hurst: float | None
    quote_volume_usd: float | None
    volume_rank: int | None
    spread_pct: float | None
    fee_cover: float
    score: float | None
    failures: tuple[str, ...]

    @property
    def eligible(self) -> bool:
        """Whether it passed every rule."""
        return not self.failures


def rank_grid_pairs(
    candidates: Sequence[GridCandidate], rules: GridRankingRules | None = None
) -> list[PairScore]:
    """Score candidate pairs for a grid and order them, eligible pairs first.

    Args:
        candidates: the pairs with their closed daily candles and tickers.
        rules: limits and the grid to judge for; the blueprint's by default.

    Returns:
        One :class:`PairScore` per candidate: eligible ones first, then the others,
        each group by score (highest first; unknown scores last, then by symbol).
    """
    rules = rules or GridRankingRules()
    ranks = _volume_ranks(candidates)
    scores = [_score(candidate, ranks.get(candidate.symbol), rules) for candidate in candidates]
    return sorted(
        scores,
        key=lambda s: (
            not s.eligible,
            s.score is None,
            -(s.score or 0.0),
            s.symbol,
        ),
    )


def _volume_ranks(candidates: Sequence[GridCandidate]) -> dict[str, int]:
    """1 for the largest known 24h volume; ties keep the candidates' order."""
    known = [c for c in candidates if c.quote_volume_usd is not None]
    ordered = sorted(known, key=lambda c: -(c.quote_volume_usd or 0.0))
    return {c.symbol: rank for rank, c in enumerate(ordered, start=1)}


def _score(candidate: GridCandidate, rank: int | None, rules: GridRankingRules) -> PairScore:
    closes = candidate.daily.close
    failures: list[str] = []
    volatility = _last(
        realised_volatility(closes, rules.volatility_days, CRYPTO_DAYS_PER_YEAR) * 100.0
        if len(closes) > rules.volatility_days
        else None
    )
    if volatility is None:
        failures.append(
            f"volatility: needs {rules.volatility_days + 1} daily closes, got {len(closes)}"
        )
    elif volatility <= rules.min_volatility_pct:
        failures.append(f"volatility {volatility:.1f} % <= {rules.min_volatility_pct:g} %")
    window = min(len(closes), rules.hurst_days)
    hurst = _last(
        hurst_exponent(closes[-window:], window, rules.hurst_max_lag)
        if window >= rules.hurst_max_lag + 2
        else None
    )
    if hurst is None:
        failures.append(f"hurst: needs {rules.hurst_max_lag + 2} positive, moving daily closes")
    elif hurst >= rules.max_hurst:
        failures.append(f"hurst {hurst:.2f} >= {rules.max_hurst:g}")
    volume = candidate.quote_volume_usd
    if rank is None:
        failures.append("24h volume unknown")
    elif rank > rules.top_by_volume:
        failures.append(f"volume rank {rank} > top {rules.top_by_volume}")
    spread = spread_pct(candidate.bid, candidate.ask)
    if spread is not None and spread > rules.max_spread_pct:
        failures.append(f"spread {spread:.3f} % > {rules.max_spread_pct:g} %")
    cost = 2.0 * rules.fee_rate + (spread or 0.0)
    cover = math.inf if cost == 0 else rules.grid_spacing_pct / cost
    if cover < rules.min_fee_cover:
        failures.append(
            f"spacing {rules.grid_spacing_pct:g} % covers the round-trip cost "
            f"{cost:.3f} % {cover:.2f} times < {rules.min_fee_cover:g}"
        )
    score = None
    if volatility is not None:
        daily = volatility / math.sqrt(CRYPTO_DAYS_PER_YEAR)
        crossings = (daily / rules.grid_spacing_pct) ** 2
        score = crossings / 2.0 * (rules.grid_spacing_pct - cost)
    return PairScore(
        symbol=candidate.symbol,
        volatility_pct=volatility,
        hurst=hurst,
        quote_volume_usd=volume,
        volume_rank=rank,
        spread_pct=spread,
        fee_cover=cover,
        score=score,
        failures=tuple(failures),
    )


def _last(values: np.ndarray | None) -> float | None:
    """The last value of an indicator series, None when absent or not finite."""
    if values is None or not len(values):
        return None
    value = float(values[-1])
    return value if math.isfinite(value) else None
