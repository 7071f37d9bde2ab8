import numpy as np
import pytest

from quantbot.analytics import BASKET_KEY, compute_benchmarks
from quantbot.analytics.benchmarks import buy_and_hold_growth

from .builders import make_result


def test_buy_and_hold_invests_the_capital_at_the_first_close() -> None:
    result = make_result(
        [1_000.0] * 4, closes={"BTC/USDT": [100.0, 110.0, 90.0, 150.0]}, initial_capital=1_000.0
    )

    (benchmark,) = compute_benchmarks(result)

    assert benchmark.key == "buy_hold_BTC-USDT"
    assert benchmark.label == "Buy & hold BTC/USDT"
    np.testing.assert_allclose(benchmark.equity, [1_000.0, 1_100.0, 900.0, 1_500.0])
    assert benchmark.metrics.total_return_pct == pytest.approx(50.0)
    assert benchmark.metrics.max_drawdown_pct == pytest.approx(-100 * (1 - 90 / 110))


def test_the_basket_splits_the_capital_equally_and_never_rebalances() -> None:
    result = make_result(
        [1_000.0] * 3,
        closes={"BTC/USDT": [100.0, 150.0, 200.0], "ETH/USDT": [10.0, 5.0, 10.0]},
        initial_capital=1_000.0,
    )

    benchmarks = {benchmark.key: benchmark for benchmark in compute_benchmarks(result)}

    assert set(benchmarks) == {"buy_hold_BTC-USDT", "buy_hold_ETH-USDT", BASKET_KEY}
    np.testing.assert_allclose(benchmarks[BASKET_KEY].equity, [1_000.0, 1_000.0, 1_500.0])
    assert benchmarks[BASKET_KEY].symbols == ("BTC/USDT", "ETH/USDT")


def test_one_symbol_has_no_basket_and_no_closes_no_benchmark() -> None:
    one = make_result([1.0, 1.0], closes={"BTC/USDT:USDT": [1.0, 2.0]})

    assert [benchmark.key for benchmark in compute_benchmarks(one)] == ["buy_hold_BTC-USDT-PERP"]
    assert compute_benchmarks(make_result([1.0, 1.0])) == ()


def test_a_symbol_listed_later_holds_cash_until_its_first_close_and_gaps_repeat() -> None:
    growth = buy_and_hold_growth(np.array([np.nan, 50.0, np.nan, 75.0]))

    assert growth is not None
    np.testing.assert_allclose(growth, [1.0, 1.0, 1.0, 1.5])
    assert buy_and_hold_growth(np.array([np.nan, np.nan])) is None


def test_to_dict_carries_label_symbols_and_json_ready_metrics() -> None:
    result = make_result([1.0, 1.0], closes={"ETH/USDT": [2.0, 3.0]}, initial_capital=1.0)

    document = compute_benchmarks(result)[0].to_dict()

    assert document["label"] == "Buy & hold ETH/USDT"
    assert document["symbols"] == ["ETH/USDT"]
    assert document["final_equity"] == pytest.approx(1.5)
    assert document["calmar"] is None  # never below its peak: no drawdown to divide by
    assert document["max_drawdown_peak_time"] is None
