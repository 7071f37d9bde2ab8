"""`load_config` on broken directories: every problem, precisely located and explained."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from quantbot.config import ConfigError, load_config

VALID_GRID_PAIR = """\
    - symbol: BTC/USDT
      num_grids: 20
      grid_spacing_pct: 0.5
      order_size_usd: 50
      upper_bound_pct: 10
      lower_bound_pct: 10
      rebalance_trigger_pct: 8
"""


def write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(textwrap.dedent(text))


def issues_of(directory: Path, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(directory, environ=environ or {})
    return [str(issue) for issue in caught.value.issues]


@pytest.fixture(autouse=True)
def _outside_the_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_out_of_range_value_names_file_line_key_value_and_rule(tmp_path: Path) -> None:
    write(
        tmp_path,
        "grid_config.yaml",
        "grid_strategy:\n  pairs:\n"
        + VALID_GRID_PAIR
        + VALID_GRID_PAIR.replace("BTC/USDT", "ETH/USDT").replace("num_grids: 20", "num_grids: 0"),
    )
    assert issues_of(tmp_path) == [
        "grid_config.yaml:11 grid_strategy.pairs[1].num_grids: 0, must be >= 2"
    ]


def test_all_problems_of_all_files_are_reported_together(tmp_path: Path) -> None:
    write(tmp_path, "settings.yaml", "bot:\n  mode: demo\n")
    write(tmp_path, "momentum_config.yaml", "momentum_strategy:\n  timeframe: 1x\n  ema_slow: -3\n")
    assert issues_of(tmp_path) == [
        "settings.yaml:2 bot.mode: 'demo', must be one of 'paper' or 'live'",
        "momentum_config.yaml:2 momentum_strategy.timeframe: '1x' is not a timeframe; write a count "
        "and a unit m, h, d, w or M (e.g. 1h)",
        "momentum_config.yaml:3 momentum_strategy.ema_slow: -3, must be > 0",
    ]


def test_unknown_key_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    write(tmp_path, "settings.yaml", "risk_management:\n  daily_loss_limt_pct: 2\n")
    [issue] = issues_of(tmp_path)
    assert issue.startswith(
        "settings.yaml:2 risk_management.daily_loss_limt_pct: unknown key; did you mean 'daily_loss_limit_pct'?"
    )


def test_unknown_top_level_key(tmp_path: Path) -> None:
    write(tmp_path, "grid_config.yaml", "grid_strategy: {}\ngrid_stratgy: {}\n")
    [issue] = issues_of(tmp_path)
    assert issue.startswith(
        "grid_config.yaml:2 grid_stratgy: unknown key; did you mean 'grid_strategy'?"
    )


def test_strings_are_not_coerced_to_numbers(tmp_path: Path) -> None:
    write(tmp_path, "settings.yaml", "scheduling:\n  grid_check_interval_seconds: '5'\n")
    assert issues_of(tmp_path) == [
        "settings.yaml:2 scheduling.grid_check_interval_seconds: '5', must be an integer"
    ]


def test_json_files_are_accepted_with_line_numbers(tmp_path: Path) -> None:
    write(
        tmp_path,
        "funding_config.json",
        '{\n  "funding_strategy": {\n    "max_positions": 0\n  }\n}\n',
    )
    assert issues_of(tmp_path) == [
        "funding_config.json:3 funding_strategy.max_positions: 0, must be > 0"
    ]
    write(tmp_path, "funding_config.json", '{"funding_strategy": {"max_positions": 3}}')
    assert load_config(tmp_path, environ={}).funding.max_positions == 3


def test_json_syntax_error_names_the_line(tmp_path: Path) -> None:
    write(tmp_path, "settings.json", '{\n  "bot": {"name": "x",}\n}\n')
    [issue] = issues_of(tmp_path)
    assert issue.startswith("settings.json:2 is not valid JSON")


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    write(tmp_path, "settings.yaml", "bot:\n  name: [unclosed\nrisk_management: {}\n")
    [issue] = issues_of(tmp_path)
    assert issue.startswith("settings.yaml:3 is not valid YAML")


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    write(tmp_path, "settings.yaml", "bot:\n  name: a\n  name: b\n")
    [issue] = issues_of(tmp_path)
    assert issue.startswith("settings.yaml:3 is not valid YAML")
    assert "duplicate" in issue


def test_two_spellings_of_one_file_are_ambiguous(tmp_path: Path) -> None:
    write(tmp_path, "settings.yaml", "{}\n")
    write(tmp_path, "settings.json", "{}\n")
    [issue] = issues_of(tmp_path)
    assert "keep only one of them" in issue


def test_missing_directory(tmp_path: Path) -> None:
    [issue] = issues_of(tmp_path / "nope")
    assert issue.endswith("is not a directory")


def test_empty_file_means_defaults(tmp_path: Path) -> None:
    write(tmp_path, "settings.yaml", "")
    assert load_config(tmp_path, environ={}).settings.bot.name == "CryptoQuantBot"


# --- cross-field rules -------------------------------------------------------------


def test_weekly_limit_below_daily_limit_is_explained(tmp_path: Path) -> None:
    write(
        tmp_path,
        "settings.yaml",
        "risk_management:\n  daily_loss_limit_pct: 5\n  weekly_loss_limit_pct: 4\n",
    )
    assert issues_of(tmp_path) == [
        "settings.yaml:3 risk_management.weekly_loss_limit_pct: 4.0 is below daily_loss_limit_pct 5.0; "
        "a week contains its days, so the weekly limit must be at least the daily one"
    ]


def test_grid_spacing_must_pay_two_fees_and_the_minimum_profit(tmp_path: Path) -> None:
    pair = VALID_GRID_PAIR.replace("grid_spacing_pct: 0.5", "grid_spacing_pct: 0.25")
    write(tmp_path, "grid_config.yaml", "grid_strategy:\n  pairs:\n" + pair)
    assert issues_of(tmp_path) == [
        "grid_config.yaml:5 grid_strategy.pairs[0].grid_spacing_pct: 0.25 is below 2 x fee_rate + "
        "min_profit_after_fees = 0.3; a round trip would not pay its two fees and the minimum profit"
    ]
    write(tmp_path, "grid_config.yaml", "grid_strategy:\n  fee_rate: 0.05\n  pairs:\n" + pair)
    assert load_config(tmp_path, environ={}).grid.pairs[0].grid_spacing_pct == 0.25


def test_several_broken_rules_are_all_reported(tmp_path: Path) -> None:
    write(
        tmp_path,
        "momentum_config.yaml",
        "momentum_strategy:\n  ema_fast: 30\n  confirmation_timeframe: 30m\n  pairs: [BTC/USDT, BTC/USDT]\n",
    )
    issues = issues_of(tmp_path)
    assert [i.split(":")[1].split()[1] for i in issues] == [
        "momentum_strategy.ema_fast",
        "momentum_strategy.confirmation_timeframe",
        "momentum_strategy.pairs",
    ]
    assert issues[0].startswith("momentum_config.yaml:2 ")


def test_funding_legs_must_use_enabled_exchanges(tmp_path: Path) -> None:
    write(
        tmp_path,
        "funding_config.yaml",
        "funding_strategy:\n  enabled: true\n  exchanges:\n    futures: bybit\n",
    )
    assert issues_of(tmp_path) == [
        "funding_config.yaml:4 funding_strategy.exchanges.futures: 'bybit' is not enabled in settings "
        "exchanges; enable it there or pick one of: binance"
    ]


def test_unknown_exchange_needs_explicit_fees(tmp_path: Path) -> None:
    write(tmp_path, "settings.yaml", "exchanges:\n  bitget:\n    enabled: true\n")
    issues = issues_of(tmp_path)
    assert [i.split(" ")[1] for i in issues] == [
        "exchanges.bitget.maker_fee_pct:",
        "exchanges.bitget.taker_fee_pct:",
    ]
    write(
        tmp_path,
        "settings.yaml",
        "exchanges:\n  bitget:\n    maker_fee_pct: 0.02\n    taker_fee_pct: 0.06\n",
    )
    assert load_config(tmp_path, environ={}).settings.exchanges["bitget"].taker_fee_pct == 0.06


# --- secrets -----------------------------------------------------------------------

SECRET = "AbCdEf0123456789ghIJklMNopQRstuvWXyz"


def test_secret_written_literally_is_refused_without_echoing_it(tmp_path: Path) -> None:
    write(
        tmp_path,
        "settings.yaml",
        f"exchanges:\n  binance:\n    enabled: true\n    api_secret: {SECRET}\n",
    )
    [issue] = issues_of(tmp_path)
    assert issue.startswith(
        "settings.yaml:4 exchanges.binance.api_secret: secrets must not be written"
    )
    assert SECRET not in issue


def test_secret_pasted_into_an_env_name_field_is_refused_without_echoing_it(tmp_path: Path) -> None:
    write(tmp_path, "settings.yaml", f"exchanges:\n  binance:\n    api_key_env: {SECRET}\n")
    [issue] = issues_of(tmp_path)
    assert issue.startswith(
        "settings.yaml:3 exchanges.binance.api_key_env: must be the NAME of an environment variable"
    )
    assert SECRET not in issue


def test_literal_database_password_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "settings.yaml", "database:\n  url: postgresql://bot:hunter2hunter2@db/q\n")
    [issue] = issues_of(tmp_path)
    assert issue.startswith("settings.yaml:2 database.url: contains a password written literally")
    assert "hunter2hunter2" not in issue


def test_variables_are_substituted_from_env_and_dotenv(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    write(
        config_dir,
        "settings.yaml",
        "bot:\n  name: ${BOT_NAME:-fallback}\ndatabase:\n  url: postgresql://bot:${DB_PASSWORD}@db/q\n",
    )
    (tmp_path / ".env").write_text(f"DB_PASSWORD={SECRET}\nBOT_NAME=from-dotenv\n")
    config = load_config(config_dir, environ={"BOT_NAME": "from-environment"})
    assert config.settings.bot.name == "from-environment"
    assert config.database_url() == f"postgresql://bot:{SECRET}@db/q"
    assert SECRET in config.secret_values()
    assert SECRET not in str(config.redacted_dump())
    (tmp_path / ".env").write_text(f"DB_PASSWORD={SECRET}\n")
    assert load_config(config_dir, environ={}).settings.bot.name == "fallback"


def test_missing_variable_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "settings.yaml", "database:\n  url: postgresql://bot:${DB_PASSWORD}@db/q\n")
    assert issues_of(tmp_path) == [
        "settings.yaml:2 database.url: environment variable DB_PASSWORD is not set (needed by ${DB_PASSWORD})"
    ]


def test_secret_values_come_from_the_named_variables(tmp_path: Path) -> None:
    write(
        tmp_path,
        "settings.yaml",
        "exchanges:\n  binance:\n    enabled: true\n    api_key_env: MY_KEY\n",
    )
    config = load_config(
        tmp_path,
        environ={"MY_KEY": SECRET, "BINANCE_API_SECRET": "sec-ret-value", "OTHER": "x" * 20},
    )
    assert config.secret_values() == sorted([SECRET, "sec-ret-value"])
