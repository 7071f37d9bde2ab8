"""A perpetual backtest on Binance's recorded BTCUSDT perpetual: 1m trades, 1h marks, funding.

The candle file is given alone; its funding and mark files are found beside it in
``../shared/data``. Skipped when that folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from backtest_runs import assert_same_run

from quantbot.config.settings import DataQualitySettings
from quantbot.data.files import read_funding_csv, read_ohlcv_csv
from quantbot.engine.backtest import BacktestConfig, run_backtest
from quantbot.engine.loading import LoadedMarket, from_files
from quantbot.strategies import create_strategy
from quantbot.venues.simulated import FillModel, MarginModel

PERP = "BTC/USDT:USDT"
HOUR_MS = 3_600_000
MINUTE_MS = 60_000


@pytest.fixture(scope="module")
def loaded(shared_data: Path) -> LoadedMarket:
    return from_files(
        [shared_data / "binance-usdm_BTC-USDT-PERP_1m.csv.gz"], quality=DataQualitySettings()
    )


def test_funding_beside_the_candles_is_every_recorded_settlement_of_the_period(
    loaded: LoadedMarket, shared_data: Path
) -> None:
    data = loaded.data
    recorded = read_funding_csv(shared_data / "binance-usdm_BTC-USDT-PERP_funding.csv.gz")
    end = data.ts_ms[-1] + MINUTE_MS
    inside = recorded[(recorded["ts_ms"] > data.ts_ms[0]) & (recorded["ts_ms"] <= end)]

    assert len(inside) > 100  # seven weeks of 8-hourly settlements
    assert data.funding[PERP]["ts_ms"].tolist() == inside["ts_ms"].tolist()
    assert data.funding[PERP]["funding_rate"].tolist() == inside["funding_rate"].tolist()


def test_hourly_marks_are_exact_at_each_hour_close_and_close_to_the_trades_between(
    loaded: LoadedMarket, shared_data: Path
) -> None:
    data = loaded.data
    marks = data.marks[PERP]
    hourly = read_ohlcv_csv(shared_data / "binance-usdm_BTC-USDT-PERP_mark_1h.csv.gz")
    closes = dict(zip(hourly["ts_ms"] + HOUR_MS, hourly["close"], strict=True))
    bar_close = data.ts_ms + MINUTE_MS
    on_hour = np.array([t in closes for t in bar_close])

    assert on_hour.sum() > 1_000
    np.testing.assert_array_equal(marks.close[on_hour], [closes[t] for t in bar_close[on_hour]])
    basis = marks.close / data.arrays[PERP].close - 1
    assert np.abs(basis).max() < 0.01  # the perpetual's mark hugs its trades


def test_a_leveraged_long_pays_the_recorded_funding_and_the_fast_path_matches(
    loaded: LoadedMarket,
) -> None:
    data = loaded.data
    config = BacktestConfig(
        initial_capital=10_000.0,
        fill_model=FillModel(slippage_pct=0.0, max_volume_share=None),
        margin=MarginModel(leverage=5),
    )

    def strategy() -> object:
        return create_strategy(
            "ema_cross", {"fast": 60, "slow": 240, "order_size": 0.05}, symbols=[PERP]
        )

    fast = run_backtest(data, [strategy()], config)  # type: ignore[list-item]
    slow = run_backtest(
        data,
        [strategy()],  # type: ignore[list-item]
        BacktestConfig(
            initial_capital=config.initial_capital,
            fill_model=config.fill_model,
            margin=config.margin,
            skip_idle_bars=False,
        ),
    )

    paid = fast.funding
    rates = data.funding[PERP].set_index("ts_ms")["funding_rate"]
    assert len(paid) > 10
    assert (paid["position_qty"] > 0).all()  # ema_cross is long only
    assert paid["rate"].tolist() == rates.loc[paid["ts_ms"]].tolist()
    assert (np.sign(paid["amount"]) == -np.sign(paid["rate"])).all()  # longs pay positive rates
    assert fast.trades["funding"].sum() == pytest.approx(paid["amount"].sum(), rel=1e-9)
    assert_same_run(fast, slow)
