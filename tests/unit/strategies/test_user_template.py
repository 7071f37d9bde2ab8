"""The scaffold of ``quantbot strategy new``: names it refuses, the files it writes, and
the behaviour of the strategy it writes on a hand-crafted price path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quantbot.config import load_config
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.strategies import STRATEGIES, Strategy
from quantbot.strategies.errors import InvalidStrategyName, ScaffoldConflict
from quantbot.strategies.registry import strategy_classes
from quantbot.strategies.user_template import (
    TEMPLATE_PARAMS,
    TEMPLATE_TIMEFRAME,
    render_user_strategy,
    settings_entry,
    write_user_strategy,
)
from quantbot.venues.simulated import FillModel

from factories import SYMBOL, make_instrument, make_ohlcv

NO_COSTS = FillModel(maker_fee_pct=0, taker_fee_pct=0, slippage_pct=0, max_volume_share=None)


def scaffolded(directory: Path, name: str = "my_cross") -> type[Strategy]:
    write_user_strategy(directory, name)
    return strategy_classes(directory)[name]


def sma(values: np.ndarray, period: int) -> np.ndarray:
    """Simple moving average written out: NaN until ``period`` values are in."""
    out = np.full(len(values), np.nan)
    for t in range(period - 1, len(values)):
        out[t] = values[t - period + 1 : t + 1].mean()
    return out


def test_the_scaffold_is_a_strategy_file_and_its_tests_in_tests() -> None:
    files = render_user_strategy("my_breakout_2")

    assert list(files) == ["my_breakout_2.py", "tests/test_my_breakout_2.py"]
    assert "class MyBreakout2(Strategy):" in files["my_breakout_2.py"]
    assert 'name = "my_breakout_2"' in files["my_breakout_2.py"]
    assert 'NAME = "my_breakout_2"' in files["tests/test_my_breakout_2.py"]
    for file_name, text in files.items():
        compile(text, file_name, "exec")


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("MyStrat", "must be lowercase letters, digits and underscores"),
        ("my-strat", "must be lowercase letters, digits and underscores"),
        ("2fast", "must be lowercase letters, digits and underscores"),
        ("import", "is a Python keyword"),
        ("ema_cross", "is taken by a built-in strategy"),
        ("test_idea", "starts with test_"),
        ("bar", "would make class Bar, a name the template imports"),
        ("strategy_params", "would make class StrategyParams"),
    ],
)
def test_a_name_a_new_strategy_cannot_have_is_refused(name: str, problem: str) -> None:
    with pytest.raises(InvalidStrategyName, match=f"name '{name}' .*{problem}"):
        render_user_strategy(name)


def test_every_built_in_name_is_refused() -> None:
    for name in STRATEGIES:
        with pytest.raises(InvalidStrategyName, match="built-in"):
            render_user_strategy(name)


def test_the_scaffold_loads_by_name_with_its_documented_defaults(tmp_path: Path) -> None:
    cls = scaffolded(tmp_path / "user_strategies")

    assert cls.__name__ == "MyCross"
    assert cls.Params().model_dump() == TEMPLATE_PARAMS
    assert all(field.description for field in cls.Params.model_fields.values())


def test_the_scaffold_refuses_a_fast_period_not_below_the_slow_one(tmp_path: Path) -> None:
    cls = scaffolded(tmp_path)

    with pytest.raises(ValueError, match="fast 20 must be shorter than slow 20"):
        cls.Params.model_validate({"fast": 20, "slow": 20})


def test_the_scaffold_buys_after_the_golden_cross_and_sells_after_the_death_cross(
    tmp_path: Path,
) -> None:
    cls = scaffolded(tmp_path)
    closes = np.array([110, 108, 106, 104, 102, 100, 103, 106, 109, 112, 115, 112, 109, 106, 103])
    closes = np.concatenate([closes, np.full(5, 100.0)]).astype(float)
    opens = np.concatenate([[closes[0]], closes[:-1]])
    rows = [
        (o, max(o, c) + 0.5, min(o, c) - 0.5, c, 1_000.0)
        for o, c in zip(opens, closes, strict=True)
    ]
    candles = make_ohlcv(rows)
    data = BacktestData("1m", {SYMBOL: candles}, {SYMBOL: make_instrument()})
    fast, slow = sma(closes, 2), sma(closes, 4)
    expected = []
    for t in range(1, len(closes) - 1):  # decided at the close of t, filled at the open of t + 1
        if fast[t - 1] < slow[t - 1] and fast[t] > slow[t]:
            expected.append((int(candles.ts_ms[t + 1]), "buy"))
        elif fast[t - 1] > slow[t - 1] and fast[t] < slow[t]:
            expected.append((int(candles.ts_ms[t + 1]), "sell"))
    params = cls.Params.model_validate({"fast": 2, "slow": 4, "stake_pct": 50})
    strategy = cls(params, symbols=[SYMBOL], timeframe="1m")

    result = run_backtest(data, [strategy], BacktestConfig(10_000, fill_model=NO_COSTS))

    fills = result.fills
    assert [side for _, side in expected] == ["buy", "sell"]  # the path makes one round trip
    assert list(zip(fills["ts_ms"], fills["side"], strict=True)) == expected
    buy, sell = fills.iloc[0], fills.iloc[1]
    decided_at = int(np.searchsorted(candles.ts_ms, buy.ts_ms)) - 1
    target = 10_000 * 0.50 / closes[decided_at]
    lot = make_instrument().lot_size
    assert lot is not None
    assert 0 <= target - buy.qty < lot
    assert sell.qty == buy.qty


def test_writing_the_scaffold_creates_the_directory_and_its_tests(tmp_path: Path) -> None:
    directory = tmp_path / "deep" / "user_strategies"

    scaffold = write_user_strategy(directory, "my_cross")

    assert scaffold.files == (directory / "my_cross.py", directory / "tests" / "test_my_cross.py")
    assert scaffold.load_problem is None
    expected = render_user_strategy("my_cross")
    assert [path.read_text(encoding="utf-8") for path in scaffold.files] == list(expected.values())


def test_existing_files_are_kept_unless_forced(tmp_path: Path) -> None:
    strategy_file = tmp_path / "my_cross.py"
    strategy_file.write_text("# my work\n", encoding="utf-8")

    with pytest.raises(ScaffoldConflict, match=r"my_cross\.py already exist; use --force"):
        write_user_strategy(tmp_path, "my_cross")
    assert strategy_file.read_text(encoding="utf-8") == "# my work\n"
    assert not (tmp_path / "tests").exists()

    write_user_strategy(tmp_path, "my_cross", force=True)
    assert (
        strategy_file.read_text(encoding="utf-8") == render_user_strategy("my_cross")["my_cross.py"]
    )


def test_forcing_over_the_scaffolds_own_strategy_rewrites_it(tmp_path: Path) -> None:
    write_user_strategy(tmp_path, "my_cross")

    scaffold = write_user_strategy(tmp_path, "my_cross", force=True)

    assert scaffold.load_problem is None
    assert list(strategy_classes(tmp_path)) == [*STRATEGIES, "my_cross"]


def test_a_name_another_file_defines_is_refused_even_when_forced(tmp_path: Path) -> None:
    other = render_user_strategy("my_cross")["my_cross.py"]
    (tmp_path / "older.py").write_text(other, encoding="utf-8")

    with pytest.raises(
        ScaffoldConflict, match=r"older\.py already defines strategy 'my_cross' \(class MyCross\)"
    ):
        write_user_strategy(tmp_path, "my_cross", force=True)
    assert not (tmp_path / "my_cross.py").exists()


def test_a_directory_that_does_not_load_is_reported_and_the_scaffold_written(
    tmp_path: Path,
) -> None:
    (tmp_path / "draft.py").write_text("undefined_name\n", encoding="utf-8")

    scaffold = write_user_strategy(tmp_path, "my_cross")

    assert scaffold.load_problem == (
        f"{tmp_path / 'draft.py'}:1: NameError: name 'undefined_name' is not defined"
    )
    assert all(path.is_file() for path in scaffold.files)


def test_the_suggested_settings_entry_is_a_valid_configuration(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "settings.yaml").write_text(settings_entry("my_cross"), encoding="utf-8")

    [entry] = load_config(config_dir, environ={}).settings.strategies

    assert entry.name == "my_cross"
    assert entry.enabled
    assert entry.timeframe == TEMPLATE_TIMEFRAME
    assert entry.params == TEMPLATE_PARAMS
