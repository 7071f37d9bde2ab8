"""The event-skipping fast path gives exactly the results of a bar-by-bar run.

DESIGN.md, "How one event engine stays fast": a backtest run with skipping turned off
must produce the same fills as one with it on. Checked for the template strategy, a
strategy living on resting limit orders, a mix of every order kind, and several
strategies, symbols and timeframes in one run, over seeded synthetic markets; and the
same again with a risk manager whose limits are tight enough that its breakers, brakes
and price shocks fire, so that the bars the fast path finds for them ahead are checked
against observing every bar.
"""

from __future__ import annotations

from backtest_runs import (
    BTC,
    BTC_PERP,
    ETH,
    ETH_PERP,
    StrategyMaker,
    assert_same_run,
    ema_cross,
    fill_models,
    ladder,
    margin_models,
    market,
    mixed,
    perp_market,
    risk_setups,
    run,
)
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from quantbot.engine.risk_setup import RiskSetup
from quantbot.venues.simulated import FillModel, MarginModel

seeds = st.integers(0, 40)


def _assert_fast_path_matches(
    makers: list[StrategyMaker],
    seed: int,
    model: FillModel,
    risk: RiskSetup | None = None,
    **market_args: object,
) -> None:
    data = market(seed, **market_args)  # type: ignore[arg-type]
    fast = run(data, [make() for make in makers], model=model, skip=True, risk=risk)
    slow = run(data, [make() for make in makers], model=model, skip=False, risk=risk)

    assert fast.events_processed < slow.events_processed  # the fast path did skip bars
    if risk is None:
        assert len(fast.fills) > 0
    assert_same_run(fast, slow)
    if risk is not None:
        # Only runs where the risk manager had something to do count as examples (a
        # quiet market may cross no limit); hypothesis draws others in their place.
        assume(not fast.risk_events.empty)


@settings(max_examples=10)
@given(seeds, st.integers(3, 12), st.integers(3, 40), fill_models)
def test_fast_path_matches_bar_by_bar_for_ema_cross(
    seed: int, fast: int, gap: int, model: FillModel
) -> None:
    _assert_fast_path_matches([ema_cross(fast, fast + gap)], seed, model)


@settings(max_examples=10)
@given(
    seeds,
    st.integers(1, 5),
    st.sampled_from([0.05, 0.15, 0.4]),
    st.sampled_from([30, 180, 720]),
    fill_models,
)
def test_fast_path_matches_bar_by_bar_for_resting_limit_orders(
    seed: int, levels: int, spacing_pct: float, recenter_every: int, model: FillModel
) -> None:
    maker = ladder(levels=levels, spacing_pct=spacing_pct, recenter_every=recenter_every)
    _assert_fast_path_matches([maker], seed, model, minutes=1440)


@settings(max_examples=10)
@given(seeds, st.integers(0, 1_000), st.sampled_from([3, 7, 20]), fill_models)
def test_fast_path_matches_bar_by_bar_for_every_order_kind(
    seed: int, strategy_seed: int, every: int, model: FillModel
) -> None:
    maker = mixed(seed=strategy_seed, every=every)
    _assert_fast_path_matches([maker], seed, model, minutes=720)


@settings(max_examples=4)
@given(seeds, fill_models)
def test_fast_path_matches_bar_by_bar_for_several_strategies_symbols_and_timeframes(
    seed: int, model: FillModel
) -> None:
    makers = [
        ema_cross(symbol=BTC),
        ema_cross(5, 13, symbol=ETH, timeframe="15m"),
        ladder(ETH, qty=0.3),
        mixed((BTC, ETH), every=11),
    ]
    _assert_fast_path_matches(makers, seed, model, minutes=1440, symbols=(BTC, ETH))


# -- with a risk manager whose breakers fire ---------------------------------------------


@settings(max_examples=10)
@given(seeds, st.integers(3, 12), st.integers(3, 40), fill_models, risk_setups)
def test_fast_path_matches_bar_by_bar_for_ema_cross_with_breakers_firing(
    seed: int, fast: int, gap: int, model: FillModel, risk: RiskSetup
) -> None:
    _assert_fast_path_matches([ema_cross(fast, fast + gap)], seed, model, risk, minutes=1440)


@settings(max_examples=10)
@given(seeds, st.integers(1, 5), st.sampled_from([0.05, 0.15, 0.4]), fill_models, risk_setups)
def test_fast_path_matches_bar_by_bar_for_resting_limit_orders_with_breakers_firing(
    seed: int, levels: int, spacing_pct: float, model: FillModel, risk: RiskSetup
) -> None:
    maker = ladder(levels=levels, spacing_pct=spacing_pct, recenter_every=180)
    _assert_fast_path_matches([maker], seed, model, risk, minutes=1440)


@settings(max_examples=10)
@given(seeds, st.integers(0, 1_000), st.sampled_from([3, 7, 20]), fill_models, risk_setups)
def test_fast_path_matches_bar_by_bar_for_every_order_kind_with_breakers_firing(
    seed: int, strategy_seed: int, every: int, model: FillModel, risk: RiskSetup
) -> None:
    maker = mixed(seed=strategy_seed, every=every)
    _assert_fast_path_matches([maker], seed, model, risk, minutes=1440)


@settings(max_examples=4)
@given(seeds, fill_models, risk_setups)
def test_fast_path_matches_bar_by_bar_for_several_strategies_with_breakers_firing(
    seed: int, model: FillModel, risk: RiskSetup
) -> None:
    makers = [
        ema_cross(symbol=BTC),
        ema_cross(5, 13, symbol=ETH, timeframe="15m"),
        ladder(ETH, qty=0.3),
        mixed((BTC, ETH), every=11),
    ]
    _assert_fast_path_matches(makers, seed, model, risk, minutes=1440, symbols=(BTC, ETH))


@settings(max_examples=8)
@given(seeds, fill_models, margin_models, risk_setups, st.sampled_from([3_000.0, 100_000.0]))
def test_fast_path_matches_bar_by_bar_for_perpetuals_with_breakers_firing(
    seed: int, model: FillModel, margin: MarginModel, risk: RiskSetup, capital: float
) -> None:
    """Perpetuals valued at the mark, funding and liquidations move the equity too."""
    symbols = (BTC, BTC_PERP, ETH_PERP)
    data = perp_market(seed, 1440, symbols)
    makers = [mixed(symbols, seed=seed, every=5), ladder(ETH_PERP, qty=0.3)]
    fast = run(data, [m() for m in makers], model=model, margin=margin, capital=capital, risk=risk)
    slow = run(
        data,
        [m() for m in makers],
        model=model,
        margin=margin,
        capital=capital,
        risk=risk,
        skip=False,
    )

    assert fast.events_processed < slow.events_processed
    assert not fast.risk_events.empty
    assert_same_run(fast, slow)
