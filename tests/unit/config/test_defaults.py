"""The defaults are the documented ones (issue 3 / the blueprint), everywhere they live."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantbot.config import load_config, render_default_files, render_reference
from quantbot.config.settings import Settings
from quantbot.config.templates import render_yaml

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    return load_config(None, environ={})


def test_settings_defaults_match_the_blueprint(defaults) -> None:
    s = defaults.settings
    assert (s.bot.name, s.bot.mode, s.bot.log_level, s.bot.timezone) == (
        "CryptoQuantBot",
        "paper",
        "INFO",
        "UTC",
    )
    binance, bybit = s.exchanges["binance"], s.exchanges["bybit"]
    assert binance.enabled
    assert not bybit.enabled
    assert (binance.maker_fee_pct, binance.taker_fee_pct) == (0.075, 0.10)
    assert (bybit.maker_fee_pct, bybit.taker_fee_pct) == (0.01, 0.06)
    assert binance.sandbox
    assert binance.rate_limit_ms == 100
    assert (binance.api_key_env, binance.api_secret_env) == (
        "BINANCE_API_KEY",
        "BINANCE_API_SECRET",
    )
    r = s.risk_management
    assert (
        r.max_risk_per_trade_pct,
        r.max_order_size_usd,
        r.max_total_exposure_pct,
        r.max_single_pair_exposure_pct,
        r.max_correlated_exposure_pct,
        r.daily_loss_limit_pct,
        r.weekly_loss_limit_pct,
        r.monthly_loss_limit_pct,
        r.max_capital_per_exchange_pct,
        r.reserve_cash_pct,
    ) == (2.0, 500, 60, 20, 35, 3, 7, 12, 60, 20)
    assert r.after_circuit_breaker.reduce_position_sizes_by_pct == 50
    assert r.after_circuit_breaker.recovery_period_hours == 48
    t = s.alerts.telegram
    assert (t.bot_token_env, t.chat_id_env, t.daily_report_time) == (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_CHAT_ID",
        "08:00",
    )
    sc = s.scheduling
    assert (
        sc.grid_check_interval_seconds,
        sc.momentum_check_interval_seconds,
        sc.funding_check_interval_seconds,
        sc.risk_check_interval_seconds,
        sc.reconciliation_interval_seconds,
        sc.snapshot_interval_seconds,
    ) == (5, 60, 300, 60, 300, 3600)


def test_default_database_is_a_sqlite_file_under_data_per_mode(defaults, tmp_path: Path) -> None:
    assert (
        defaults.database_url()
        == f"sqlite:///{tmp_path.resolve() / 'data' / 'quantbot-paper.sqlite'}"
    )
    assert defaults.database_url("postgresql://db/q") == "postgresql://db/q"


@pytest.mark.parametrize(
    ("exchange", "maker", "taker"),
    [("okx", 0.08, 0.10), ("kraken", 0.16, 0.26), ("coinbase", 0.40, 0.60), ("kucoin", 0.10, 0.10)],
)
def test_fee_defaults_follow_the_research_table(
    tmp_path: Path, exchange: str, maker: float, taker: float
) -> None:
    (tmp_path / "settings.yaml").write_text(f"exchanges:\n  {exchange}:\n    enabled: true\n")
    loaded = load_config(tmp_path, environ={}).settings.exchanges[exchange]
    assert (loaded.maker_fee_pct, loaded.taker_fee_pct) == (maker, taker)
    assert loaded.api_key_env == f"{exchange.upper()}_API_KEY"


def test_grid_defaults_ship_the_btc_and_eth_examples(defaults) -> None:
    g = defaults.grid
    assert (g.enabled, g.max_open_orders, g.min_profit_after_fees, g.fee_rate) == (
        True,
        40,
        0.15,
        0.075,
    )
    btc, eth = g.pairs
    assert (btc.symbol, btc.grid_type, btc.num_grids, btc.grid_spacing_pct, btc.order_size_usd) == (
        "BTC/USDT",
        "arithmetic",
        20,
        0.5,
        50,
    )
    assert (
        btc.upper_bound_pct,
        btc.lower_bound_pct,
        btc.rebalance_trigger_pct,
        btc.take_profit_pct,
        btc.stop_loss_pct,
    ) == (
        10,
        10,
        8,
        None,
        15,
    )
    assert (eth.symbol, eth.grid_type, eth.num_grids, eth.grid_spacing_pct, eth.order_size_usd) == (
        "ETH/USDT",
        "geometric",
        15,
        0.8,
        30,
    )
    assert (
        eth.upper_bound_pct,
        eth.lower_bound_pct,
        eth.rebalance_trigger_pct,
        eth.stop_loss_pct,
    ) == (12, 12, 10, 15)


def test_momentum_and_funding_defaults(defaults) -> None:
    m = defaults.momentum
    assert m.pairs == ["BTC/USDT", "ETH/USDT", "SOL/USDT", "AVAX/USDT", "LINK/USDT"]
    assert (m.timeframe, m.confirmation_timeframe, m.ema_fast, m.ema_slow, m.rsi_period) == (
        "1h",
        "4h",
        9,
        21,
        14,
    )
    assert (m.rsi_long_threshold, m.rsi_short_threshold, m.adx_period, m.adx_min_strength) == (
        55,
        45,
        14,
        25,
    )
    assert (
        m.volume_surge_multiplier,
        m.atr_period,
        m.risk_per_trade_pct,
        m.max_concurrent_positions,
    ) == (1.5, 14, 1.0, 3)
    assert (m.trailing_stop_atr_multiplier, m.time_stop_hours, m.min_daily_volume_usd) == (
        1.5,
        72,
        50_000_000,
    )
    assert (m.avoid_within_minutes_of_funding, m.cooldown_after_loss_minutes) == (30, 60)
    f = defaults.funding
    assert not f.enabled
    assert (f.exchanges.spot, f.exchanges.futures) == ("binance", "binance")
    assert (f.min_funding_rate, f.exit_funding_rate, f.position_size_pct, f.max_positions) == (
        0.03,
        0.01,
        15,
        2,
    )
    assert (f.max_basis_divergence_pct, f.rebalance_threshold_pct) == (1.5, 2.0)


def test_rendered_default_files_load_back_to_the_defaults(tmp_path: Path, defaults) -> None:
    for name, text in render_default_files().items():
        (tmp_path / name).write_text(text)
    loaded = load_config(tmp_path, environ={})
    assert (loaded.settings, loaded.grid, loaded.momentum, loaded.funding) == (
        defaults.settings,
        defaults.grid,
        defaults.momentum,
        defaults.funding,
    )
    assert all(source is not None for source in loaded.sources.values())


def test_shipped_config_directory_is_the_rendered_defaults() -> None:
    shipped = {p.name: p.read_text() for p in sorted((ROOT / "config").glob("*.yaml"))}
    assert shipped == render_default_files(), "regenerate with: quantbot config init config --force"


def test_configuration_reference_is_current() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text()
    assert committed == render_reference(), "regenerate with: quantbot config docs"


def test_reference_documents_every_key_of_every_file(defaults) -> None:
    reference = render_reference()
    dump = defaults.redacted_dump()
    missing = [path for path in _leaf_paths(dump["settings"], "") if f"`{path}`" not in reference]
    for section in ("grid_strategy", "momentum_strategy", "funding_strategy"):
        missing += [
            p for p in _leaf_paths(dump[section], f"{section}.") if f"`{p}`" not in reference
        ]
    assert missing == []


def _leaf_paths(node: object, prefix: str) -> list[str]:
    if isinstance(node, dict):
        paths = []
        for key, value in node.items():
            name = "<id>" if prefix == "exchanges." else key
            paths += _leaf_paths(value, f"{prefix}{name}.")
        return paths
    if isinstance(node, list) and node and isinstance(node[0], dict):
        return _leaf_paths(node[0], prefix[:-1] + "[].")
    return [prefix[:-1]]


def test_render_yaml_comments_every_top_level_key() -> None:
    text = render_yaml(Settings(), "settings")
    for key in Settings.model_fields:
        position = text.index(f"\n{key}:")
        assert text[:position].rstrip().splitlines()[-1].startswith("# ")


def test_env_example_lists_every_variable_quantbot_reads(defaults) -> None:
    listed = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    read = set(defaults.secret_env_names().values()) | {"QUANTBOT_CONFIG", "QUANTBOT_DATABASE_URL"}
    assert read <= listed
