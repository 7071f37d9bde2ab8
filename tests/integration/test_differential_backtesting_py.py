"""Differential test: quantbot's engine against backtesting.py on the same logic and data.

``ema_cross`` 9/21, a fixed 0.01 BTC per entry, market orders filled at the next bar's
open, 0.1 % commission per side, no slippage, on the real Binance BTC/USDT 1m candles:
both engines must make exactly the same trades (entry and exit times; prices to float
precision) and end with the same equity (relative difference < 1e-9).

Both sides use TA-Lib's EMA (seeded with the SMA of the first ``period`` closes) on the
unscaled closes, and backtesting.py's strict ``crossover`` definition. backtesting.py
trades whole units only, so its ``FractionalBacktest`` trades units of 0.01 BTC (it
scales prices by 0.01 and scales them back in its trade list).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import talib
from backtesting import Strategy as BtStrategy
from backtesting.lib import FractionalBacktest, crossover

from quantbot.data.files import read_ohlcv_csv
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.instruments import instrument_for
from quantbot.strategies import create_strategy
from quantbot.venues.simulated import FillModel

SYMBOL = "BTC/USDT"
UNIT = 0.01
FEE = 0.001
CASH = 1_000_000.0


def epoch_ms(times: pd.Series) -> np.ndarray:
    return ((times - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)).to_numpy(
        dtype=np.int64
    )


def talib_ema(close: np.ndarray, period: int) -> np.ndarray:
    """TA-Lib's EMA: seeded with the simple average of the first ``period`` closes."""
    return np.asarray(talib.EMA(close, period))


def pandas_ema(close: np.ndarray, period: int) -> np.ndarray:
    """The same recursion seeded with the first close instead (pandas, adjust=False)."""
    return pd.Series(close).ewm(span=period, adjust=False).mean().to_numpy()


def backtesting_py_trades(
    candles: pd.DataFrame, ema: Callable[[np.ndarray, int], np.ndarray] = talib_ema
) -> tuple[pd.DataFrame, float]:
    fast = ema(candles["close"].to_numpy(), 9)
    slow = ema(candles["close"].to_numpy(), 21)

    class EmaCrossBt(BtStrategy):  # type: ignore[misc]
        def init(self) -> None:
            self.fast = self.I(lambda: fast, name="fast")
            self.slow = self.I(lambda: slow, name="slow")

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                if not self.position:
                    self.buy(size=1)
            elif crossover(self.slow, self.fast) and self.position:
                self.position.close()

    data = pd.DataFrame(
        {
            "Open": candles["open"].to_numpy(),
            "High": candles["high"].to_numpy(),
            "Low": candles["low"].to_numpy(),
            "Close": candles["close"].to_numpy(),
            "Volume": candles["volume"].to_numpy(),
        },
        index=pd.to_datetime(candles["ts_ms"].to_numpy(), unit="ms", utc=True),
    )
    backtest = FractionalBacktest(data, EmaCrossBt, fractional_unit=UNIT, cash=CASH, commission=FEE)
    stats = backtest.run()
    return stats["_trades"], float(stats["Equity Final [$]"])


# backtesting.py 0.6 still calls pandas APIs that pandas 3 deprecates; its warnings are not ours.
@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
@pytest.mark.filterwarnings("ignore::UserWarning:backtesting")
def test_ema_cross_matches_backtesting_py_on_real_1m_data(shared_data) -> None:
    candles = read_ohlcv_csv(shared_data / "binance_BTC-USDT_1m.csv.gz")
    arrays = OhlcvArrays.from_frame(candles)
    data = BacktestData(
        "1m", {SYMBOL: arrays}, {SYMBOL: instrument_for(SYMBOL, float(arrays.close[0]))}
    )
    strategy = create_strategy(
        "ema_cross", {"fast": 9, "slow": 21, "order_size": UNIT}, symbols=[SYMBOL]
    )
    model = FillModel(
        maker_fee_pct=FEE * 100, taker_fee_pct=FEE * 100, slippage_pct=0.0, max_volume_share=None
    )
    ours = run_backtest(data, [strategy], BacktestConfig(initial_capital=CASH, fill_model=model))

    theirs, their_equity = backtesting_py_trades(candles)
    closed = ours.trades[~ours.trades["is_open"]].reset_index(drop=True)
    their_closed = theirs.dropna(subset=["ExitTime"]).reset_index(drop=True)
    assert len(closed) == len(their_closed) > 1000
    entry_ms = epoch_ms(their_closed["EntryTime"])
    exit_ms = epoch_ms(their_closed["ExitTime"])
    np.testing.assert_array_equal(closed["entry_ts_ms"].to_numpy(), entry_ms)
    np.testing.assert_array_equal(closed["exit_ts_ms"].to_numpy(), exit_ms)
    np.testing.assert_allclose(closed["entry_price"], their_closed["EntryPrice"], rtol=1e-12)
    np.testing.assert_allclose(closed["exit_price"], their_closed["ExitPrice"], rtol=1e-12)
    np.testing.assert_allclose(closed["size"], their_closed["Size"].abs(), rtol=1e-12)
    assert ours.final_equity == pytest.approx(their_equity, rel=1e-9)


@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
@pytest.mark.filterwarnings("ignore::UserWarning:backtesting")
def test_trades_after_warm_up_do_not_depend_on_the_ema_seeding(shared_data) -> None:
    """Seed the EMAs differently (first close instead of the SMA of the first closes):
    the seeds' difference decays by (1 - 2/(n+1)) per bar, so after 10 x 21 bars no
    crossing, hence no trade, differs."""
    candles = read_ohlcv_csv(shared_data / "binance_BTC-USDT_1m.csv.gz").iloc[:20_000]
    sma_seeded, _ = backtesting_py_trades(candles, talib_ema)
    first_seeded, _ = backtesting_py_trades(candles, pandas_ema)
    warm = candles["ts_ms"].iloc[10 * 21]
    after = [
        t[epoch_ms(t["EntryTime"]) >= warm].reset_index(drop=True)
        for t in (sma_seeded, first_seeded)
    ]
    assert len(after[0]) > 50
    pd.testing.assert_frame_equal(
        after[0][["EntryTime", "ExitTime", "EntryPrice", "ExitPrice"]],
        after[1][["EntryTime", "ExitTime", "EntryPrice", "ExitPrice"]],
    )
