"""Grid pair ranking: each rule with its value and limit, the score, the order of the list."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantbot.indicators import hurst_exponent
from quantbot.strategies.grid_ranking import (
    GridCandidate,
    GridRankingRules,
    PairScore,
    rank_grid_pairs,
)

from factories import make_ohlcv

DAY_MS = 86_400_000


def _candidate(
    symbol: str,
    closes: np.ndarray,
    volume: float | None = 1e9,
    bid: float | None = 99.99,
    ask: float | None = 100.01,
) -> GridCandidate:
    rows = [(c, c, c, c, 1e3) for c in closes]
    return GridCandidate(symbol, make_ohlcv(rows, period_ms=DAY_MS), volume, bid, ask)


def _reverting(seed: int, days: int = 120, daily_pct: float = 4.0) -> np.ndarray:
    """Daily closes that swing around 100 and come back: volatile and mean-reverting."""
    rng = np.random.default_rng(seed)
    deviation = 0.0
    logs = []
    for _ in range(days):
        deviation = -0.6 * deviation + rng.normal(0, daily_pct / 100)
        logs.append(deviation)
    return 100 * np.exp(np.array(logs))


def _trending(days: int = 120) -> np.ndarray:
    """A steady climb with small wiggles: persistent, not reverting."""
    rng = np.random.default_rng(1)
    return 100 * np.exp(np.cumsum(0.02 + rng.normal(0, 0.003, days)))


def _by_symbol(scores: list[PairScore]) -> dict[str, PairScore]:
    return {s.symbol: s for s in scores}


def test_a_volatile_reverting_liquid_pair_is_eligible_with_its_measures() -> None:
    closes = _reverting(3)

    (score,) = rank_grid_pairs([_candidate("SOL/USDT", closes)])

    returns = np.diff(np.log(closes[-31:]))
    volatility = float(np.std(returns, ddof=1) * math.sqrt(365) * 100)
    assert score.volatility_pct == pytest.approx(volatility, rel=1e-9)
    assert score.hurst == pytest.approx(hurst_exponent(closes[-90:], 90, 16)[-1], rel=1e-12)
    assert score.volume_rank == 1
    assert score.spread_pct == pytest.approx(0.02 * 100 / 100.0, rel=1e-9)
    assert score.fee_cover == pytest.approx(0.5 / (0.15 + score.spread_pct), rel=1e-12)
    assert score.eligible, score.failures


def test_the_score_is_the_random_walk_round_trips_times_the_net_spacing() -> None:
    (score,) = rank_grid_pairs([_candidate("SOL/USDT", _reverting(3))])

    assert score.volatility_pct is not None
    assert score.spread_pct is not None
    daily = score.volatility_pct / math.sqrt(365)
    expected = (daily / 0.5) ** 2 / 2 * (0.5 - 0.15 - score.spread_pct)
    assert score.score == pytest.approx(expected, rel=1e-12)


def test_each_failed_rule_is_reported_with_its_value_and_limit() -> None:
    calm = 100 * np.exp(np.cumsum(np.random.default_rng(2).normal(0, 0.005, 120)))
    candidates = [
        _candidate("CALM/USDT", calm),
        _candidate("TREND/USDT", _trending()),
        _candidate("WIDE/USDT", _reverting(4), bid=99.0, ask=101.0),
        _candidate("THIN/USDT", _reverting(6), volume=None),
    ]

    scores = _by_symbol(rank_grid_pairs(candidates))

    assert any(f.startswith("volatility ") and "<= 40 %" in f for f in scores["CALM/USDT"].failures)
    assert any(f.startswith("hurst ") and ">= 0.5" in f for f in scores["TREND/USDT"].failures)
    wide = scores["WIDE/USDT"].failures
    assert "spread 2.000 % > 0.1 %" in wide
    assert any(f.startswith("spacing 0.5 % covers") for f in wide)
    assert scores["THIN/USDT"].failures == ("24h volume unknown",)


def test_a_pair_without_a_quote_is_judged_on_volume_and_two_fees() -> None:
    closes = _reverting(5)
    scores = _by_symbol(
        rank_grid_pairs(
            [_candidate("A/USDT", closes), _candidate("B/USDT", closes, bid=None, ask=None)]
        )
    )
    quoted, unquoted = scores["A/USDT"], scores["B/USDT"]

    assert unquoted.spread_pct is None
    assert unquoted.eligible, unquoted.failures
    assert unquoted.fee_cover == pytest.approx(0.5 / (2 * 0.075), rel=1e-12)
    assert quoted.score is not None
    assert unquoted.score is not None
    assert unquoted.score > quoted.score  # the known spread costs A/USDT
    wide_fees = rank_grid_pairs(
        [_candidate("C/USDT", closes, bid=None)], GridRankingRules(fee_rate=0.2)
    )
    assert wide_fees[0].failures == (
        "spacing 0.5 % covers the round-trip cost 0.400 % 1.25 times < 2",
    )


def test_only_the_largest_pairs_by_volume_pass_the_liquidity_rule() -> None:
    candidates = [_candidate(f"C{i}/USDT", _reverting(3), volume=1e6 * (i + 1)) for i in range(4)]

    scores = _by_symbol(rank_grid_pairs(candidates, GridRankingRules(top_by_volume=2)))

    assert [scores[f"C{i}/USDT"].volume_rank for i in range(4)] == [4, 3, 2, 1]
    assert scores["C0/USDT"].failures == ("volume rank 4 > top 2",)
    assert scores["C3/USDT"].eligible
    assert scores["C2/USDT"].eligible


def test_too_little_history_fails_volatility_and_hurst_without_a_guess() -> None:
    (score,) = rank_grid_pairs([_candidate("NEW/USDT", _reverting(3, days=12))])

    assert score.volatility_pct is None
    assert score.hurst is None
    assert score.score is None
    assert "volatility: needs 31 daily closes, got 12" in score.failures
    assert "hurst: needs 18 positive, moving daily closes" in score.failures


def test_eligible_pairs_come_first_each_group_by_score() -> None:
    candidates = [
        _candidate("LOW/USDT", _reverting(3, daily_pct=3.0)),
        _candidate("TREND/USDT", _trending()),
        _candidate("HIGH/USDT", _reverting(3, daily_pct=6.0)),
        _candidate("NEW/USDT", _reverting(3, days=12)),
    ]

    ranked = rank_grid_pairs(candidates)

    assert [s.symbol for s in ranked] == ["HIGH/USDT", "LOW/USDT", "TREND/USDT", "NEW/USDT"]
    assert [s.eligible for s in ranked] == [True, True, False, False]


def test_rules_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="hurst_max_lag"):
        GridRankingRules(hurst_days=10)
    with pytest.raises(ValueError, match="grid_spacing_pct"):
        GridRankingRules(grid_spacing_pct=0)
