"""The strategies a configuration describes, and which markets of a run each can trade."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantbot.config import QuantbotConfig, load_config
from quantbot.strategies import STRATEGIES, FundingArb, GridParams, Strategy
from quantbot.strategies.configured import configured_params, configured_strategies


def _config(tmp_path: Path, **files: str) -> QuantbotConfig:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    return load_config(tmp_path, environ={})


def test_every_strategy_file_and_settings_entry_becomes_a_spec_in_run_order(
    tmp_path: Path,
) -> None:
    config = _config(
        tmp_path,
        settings=(
            "strategies:\n"
            "  - name: ema_cross\n"
            "    symbols: [SOL/USDT]\n"
            "    timeframe: 15m\n"
            "    params: {fast: 5, slow: 13}\n"
            "  - name: dca\n"
            "    enabled: false\n"
        ),
    )
    specs = configured_strategies(config)
    assert [s.name for s in specs] == ["grid", "momentum", "funding_arb", "ema_cross", "dca"]
    ema = specs[3]
    assert (ema.symbols, ema.timeframe, dict(ema.params)) == (
        ("SOL/USDT",),
        "15m",
        {"fast": 5, "slow": 13},
    )
    assert ema.source == "settings.yaml strategies[0]"
    assert not specs[4].enabled


def test_every_configured_spec_builds_its_strategy(tmp_path: Path) -> None:
    config = _config(tmp_path, funding_config="funding_strategy:\n  enabled: true\n")
    for spec in configured_strategies(config):
        cls = STRATEGIES[spec.name]
        strategy = cls(
            cls.Params.model_validate(dict(spec.params)),
            symbols=spec.symbols or ("BTC/USDT",),
            timeframe=spec.timeframe or "1m",
        )
        assert set(strategy.symbols) == set(spec.symbols or ("BTC/USDT",))


_LEVELS = "order_size_usd: 40, upper_bound_pct: 12, lower_bound_pct: 12, rebalance_trigger_pct: 8"


def test_the_grid_spec_keeps_each_pairs_own_levels(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        grid_config=(
            "grid_strategy:\n"
            "  pairs:\n"
            "    - {symbol: BTC/USDT, grid_type: arithmetic, grid_spacing_pct: 0.6, num_grids: 12,\n"
            f"       {_LEVELS}}}\n"
            "    - {symbol: SOL/USDT, grid_type: geometric, grid_spacing_pct: 1.1, num_grids: 8,\n"
            f"       {_LEVELS}}}\n"
        ),
    )
    [grid] = [s for s in configured_strategies(config) if s.name == "grid"]
    assert grid.symbols == ("BTC/USDT", "SOL/USDT")
    params = GridParams.model_validate(dict(grid.params))
    sol = params.for_symbol("SOL/USDT")
    btc = params.for_symbol("BTC/USDT")
    assert (sol.grid_spacing_pct, sol.num_grids) == (1.1, 8)
    assert (btc.grid_spacing_pct, btc.num_grids) == (0.6, 12)


def test_funding_pairs_bring_their_linear_perpetuals(tmp_path: Path) -> None:
    config = _config(tmp_path, funding_config="funding_strategy:\n  pairs: [BTC/USDT, DOGE/USDC]\n")
    [funding] = [s for s in configured_strategies(config) if s.name == "funding_arb"]
    assert funding.symbols == ("BTC/USDT", "BTC/USDT:USDT", "DOGE/USDC", "DOGE/USDC:USDC")
    assert not funding.enabled


def test_configured_params_are_the_first_entrys_or_none(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        settings=(
            "strategies:\n"
            "  - {name: rsi_reversion, params: {rsi_period: 7}}\n"
            "  - {name: rsi_reversion, params: {rsi_period: 21}}\n"
        ),
    )
    assert dict(configured_params(config, "rsi_reversion")) == {"rsi_period": 7}
    assert dict(configured_params(config, "donchian_breakout")) == {}


@pytest.mark.parametrize("name", ["ema_cross", "grid", "momentum", "dca"])
def test_a_single_market_strategy_trades_what_the_data_holds(name: str) -> None:
    cls: type[Strategy] = STRATEGIES[name]
    assert cls.tradable(["BTC/USDT", "SOL/USDT", "ETH/USDT"], {"ETH/USDT", "BTC/USDT"}) == [
        "BTC/USDT",
        "ETH/USDT",
    ]


@pytest.mark.parametrize(
    ("wanted", "available", "tradable"),
    [
        # both legs present: the pair, spot first, whichever leg was named
        (["BTC/USDT:USDT"], {"BTC/USDT", "BTC/USDT:USDT"}, ["BTC/USDT", "BTC/USDT:USDT"]),
        # a spot whose perpetual is missing is left out, not an error
        (
            ["BTC/USDT", "ETH/USDT", "ETH/USDT:USDT"],
            {"BTC/USDT", "ETH/USDT", "ETH/USDT:USDT"},
            ["ETH/USDT", "ETH/USDT:USDT"],
        ),
        # an inverse perpetual has no spot twin to hedge with one base amount
        (["BTC/USD:BTC", "BTC/USD"], {"BTC/USD:BTC", "BTC/USD"}, []),
        (["SOL/USDT"], {"BTC/USDT", "BTC/USDT:USDT"}, []),
    ],
)
def test_funding_arb_trades_only_complete_linear_pairs(
    wanted: list[str], available: set[str], tradable: list[str]
) -> None:
    assert FundingArb.tradable(wanted, available) == tradable
