"""The OHLCV candle, one bar of market data.

The backtest hot loop reads candles as numpy columns, never as objects; this class is
for the places that handle one bar at a time (live feeds, strategy callbacks, tests),
so it stays a plain value with a cheap sanity check.
"""

from __future__ import annotations

from dataclasses import dataclass

from quantbot.core.errors import InvalidValue

__all__ = ["Candle"]


@dataclass(frozen=True, slots=True)
class Candle:
    """One bar: prices in quote units, volume in base units.

    Attributes:
        ts_ms: Open time of the bar in epoch milliseconds (ccxt's convention); the bar
            covers ``[ts_ms, ts_ms + interval)``.
        open: First traded price of the bar.
        high: Highest traded price.
        low: Lowest traded price.
        close: Last traded price.
        volume: Traded base quantity.

    Raises:
        InvalidValue: if ``low``/``high`` do not bound ``open`` and ``close``, the low is
            not positive, the volume is negative, or a value is NaN. Such a bar means
            swapped columns or corrupt data; trading on it would be worse than stopping.
    """

    ts_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float

    def __post_init__(self) -> None:
        # Written as negated comparisons so that NaN, which compares false, is caught.
        if not (
            0 < self.low <= min(self.open, self.close) <= max(self.open, self.close) <= self.high
        ):
            raise InvalidValue(
                f"candle {self.ts_ms}: open {self.open} high {self.high} low {self.low} "
                f"close {self.close} break 0 < low <= open, close <= high"
            )
        if not self.volume >= 0:
            raise InvalidValue(f"candle {self.ts_ms}: volume {self.volume}, must be >= 0")
