"""The closed candle a strategy's ``on_candle`` receives.

Its own module so that it is compiled with the engine (:mod:`quantbot.compiled`): the
engine builds one for every strategy call.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Bar"]


@dataclass(frozen=True, slots=True, init=False)
class Bar:
    """A closed candle of a strategy's timeframe, as ``on_candle`` receives it.

    Attributes:
        symbol: ccxt symbol.
        timeframe: the candle's timeframe.
        index: position of the candle in the arrays ``precompute`` saw for this symbol
            and timeframe (the key to read precomputed indicators at this candle).
        ts_ms: open time of the candle; it closed at ``ts_ms`` + one period.
        open, high, low, close, volume: the candle.
    """

    symbol: str
    timeframe: str
    index: int
    ts_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float

    def __init__(  # noqa: PLR0917 - the fields, positional as a dataclass's are
        self,
        symbol: str,
        timeframe: str,
        index: int,
        ts_ms: int,
        open: float,
        high: float,
        low: float,
        close: float,
        volume: float,
    ) -> None:
        # Written out: mypyc compiles it; a generated one would stay interpreted.
        object.__setattr__(self, "symbol", symbol)
        object.__setattr__(self, "timeframe", timeframe)
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "ts_ms", ts_ms)
        object.__setattr__(self, "open", open)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "close", close)
        object.__setattr__(self, "volume", volume)
