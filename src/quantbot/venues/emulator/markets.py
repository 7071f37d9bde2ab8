"""Market metadata the emulator lists: tick size, lot size, minimum notional.

Values for the markets quantbot trades by default are Binance's real filters (spot:
BTCUSDT tick 0.01 / lot 0.00001, ETHUSDT 0.01 / 0.0001, SOLUSDT 0.01 / 0.001; USD-M:
BTCUSDT tick 0.10 / lot 0.001 / min notional 100, ...). Any other market the data
source holds gets filters derived from its price level so that, as on Binance, one
tick is a few hundredths of a basis point to a basis point and the minimum order is
worth a few USDT.

:class:`MarketSpec` also formats prices and quantities the way each API does: the
spot API pads every number to 8 decimals (``"61837.63000000"``), the futures API
writes the market's own precision (``"61800.20"``, ``"0.004"``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from quantbot.data.symbols import binance_market_id, is_perpetual
from quantbot.venues.emulator.errors import ApiError

__all__ = ["MarketCatalogue", "MarketSpec", "market_spec"]

_SPOT_DECIMALS = 8


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """One listed market and its trading filters.

    Attributes:
        symbol: ccxt symbol (``BTC/USDT`` or ``BTC/USDT:USDT``).
        market_id: Binance id (``BTCUSDT``).
        base, quote: asset codes.
        perpetual: a USD-M perpetual (fapi) rather than a spot market.
        tick_size: price increment (PRICE_FILTER tickSize).
        step_size: quantity increment (LOT_SIZE stepSize).
        min_qty, max_qty: LOT_SIZE bounds for limit orders.
        market_max_qty: MARKET_LOT_SIZE maxQty for market orders.
        min_notional: minimum order value in quote currency (NOTIONAL/MIN_NOTIONAL).
        min_price, max_price: PRICE_FILTER bounds.
        price_precision, quantity_precision: the futures API's decimal counts.
    """

    symbol: str
    market_id: str
    base: str
    quote: str
    perpetual: bool
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal
    min_price: Decimal
    max_price: Decimal
    price_precision: int
    quantity_precision: int

    @property
    def price_decimals(self) -> int:
        """Decimals of price strings in this market's API responses."""
        return _SPOT_DECIMALS if not self.perpetual else self.price_precision

    @property
    def qty_decimals(self) -> int:
        """Decimals of quantity strings in this market's API responses."""
        return _SPOT_DECIMALS if not self.perpetual else self.quantity_precision

    def round_prices(self, values: np.ndarray) -> np.ndarray:
        """Prices rounded to the nearest tick."""
        tick = float(self.tick_size)
        return np.round(np.asarray(values, dtype=np.float64) / tick) * tick

    def round_qtys(self, values: np.ndarray) -> np.ndarray:
        """Quantities rounded to the nearest lot step."""
        step = float(self.step_size)
        return np.round(np.asarray(values, dtype=np.float64) / step) * step

    def price_texts(self, values: Iterable[float]) -> list[str]:
        """Prices as the API writes them: on the tick grid, fixed decimals."""
        rounded = self.round_prices(np.fromiter(values, dtype=np.float64))
        return [f"{value:.{self.price_decimals}f}" for value in rounded]

    def qty_texts(self, values: Iterable[float]) -> list[str]:
        """Quantities as the API writes them: on the lot grid, fixed decimals."""
        rounded = self.round_qtys(np.fromiter(values, dtype=np.float64))
        return [f"{value:.{self.qty_decimals}f}" for value in rounded]

    def price_text(self, value: float) -> str:
        """One price as the API writes it."""
        return self.price_texts([value])[0]

    def qty_text(self, value: float) -> str:
        """One quantity as the API writes it."""
        return self.qty_texts([value])[0]

    def filter_text(self, value: Decimal) -> str:
        """A filter value as the API writes it (spot pads to 8 decimals, futures not)."""
        if self.perpetual:
            return str(value)
        return f"{value:.{_SPOT_DECIMALS}f}"


# Binance's filters: tick, step, min qty, max qty, market max qty, min notional,
# min price, max price, then the futures pricePrecision and quantityPrecision.
_FilterRow = tuple[str, str, str, str, str, str, str, str, int, int]

_SPOT: dict[str, _FilterRow] = {
    "BTCUSDT": ("0.01", "0.00001", "0.00001", "9000", "100", "5", "0.01", "1000000", 2, 5),
    "ETHUSDT": ("0.01", "0.0001", "0.0001", "9000", "3000", "5", "0.01", "1000000", 2, 4),
    "SOLUSDT": ("0.01", "0.001", "0.001", "9000000", "20000", "5", "0.01", "10000", 2, 3),
    "XRPUSDT": ("0.0001", "0.1", "0.1", "9222449", "1500000", "5", "0.0001", "1000", 4, 1),
    "AVAXUSDT": ("0.01", "0.01", "0.01", "9000000", "30000", "5", "0.01", "10000", 2, 2),
    "LINKUSDT": ("0.01", "0.01", "0.01", "9000000", "60000", "5", "0.01", "10000", 2, 2),
}
_USDM: dict[str, _FilterRow] = {
    "BTCUSDT": ("0.10", "0.001", "0.001", "1000", "120", "100", "556.80", "4529764", 2, 3),
    "ETHUSDT": ("0.01", "0.001", "0.001", "10000", "2000", "20", "39.86", "306177", 2, 3),
    "SOLUSDT": ("0.0100", "1", "1", "1000000", "5000", "5", "0.4200", "6857", 4, 0),
    "XRPUSDT": ("0.0001", "0.1", "0.1", "10000000", "2000000", "5", "0.0143", "100000", 4, 1),
    "AVAXUSDT": ("0.0010", "1", "1", "1000000", "20000", "5", "0.0500", "100000", 4, 0),
    "LINKUSDT": ("0.001", "0.01", "0.01", "1000000", "50000", "5", "0.460", "100000", 3, 2),
}


def _decimals(value: Decimal) -> int:
    return max(0, -int(value.normalize().as_tuple().exponent))


def _power_of_ten(exponent: int) -> Decimal:
    return Decimal(1).scaleb(exponent)


def _derived_row(reference_price: float) -> _FilterRow:
    """Filters for a market Binance's table above does not cover, from its price level.

    Tick: four significant digits below the price's leading digit (SOLUSDT at 150 gets
    0.01 like the real market). Step: the largest power of ten at or below what one
    quote unit buys, capped at 1 (BTC at 60 000 gets 0.00001, like BTCUSDT).
    """
    price = max(reference_price, 1e-8)
    magnitude = math.floor(math.log10(price))
    tick = _power_of_ten(magnitude - 4)
    step = _power_of_ten(min(0, math.floor(math.log10(1.0 / price))))
    max_price = _power_of_ten(magnitude + 3)
    return (
        str(tick),
        str(step),
        str(step),
        "9000000",
        "1000000",
        "5",
        str(tick),
        str(max_price),
        _decimals(tick),
        _decimals(step),
    )


def market_spec(symbol: str, reference_price: float) -> MarketSpec:
    """The spec of one market: Binance's real filters when known, else derived ones.

    Args:
        symbol: ccxt symbol, spot (``BTC/USDT``) or USD-M perpetual (``BTC/USDT:USDT``).
        reference_price: a recent price, used only for markets not in the table.

    Raises:
        ValueError: for a malformed symbol or a perpetual not settled in its quote.
    """
    perpetual = is_perpetual(symbol)
    base, rest = symbol.split("/", 1)
    quote, _, settle = rest.partition(":")
    if perpetual and settle != quote:
        raise ValueError(f"{symbol}: the emulator lists USD-M perpetuals (settled in {quote}) only")
    market_id = binance_market_id(symbol)
    table = _USDM if perpetual else _SPOT
    row = table.get(market_id) or _derived_row(reference_price)
    tick, step, min_qty, max_qty, market_max, notional, min_price, max_price, pp, qp = row
    return MarketSpec(
        symbol=symbol,
        market_id=market_id,
        base=base,
        quote=quote,
        perpetual=perpetual,
        tick_size=Decimal(tick),
        step_size=Decimal(step),
        min_qty=Decimal(min_qty),
        max_qty=Decimal(max_qty),
        market_max_qty=Decimal(market_max),
        min_notional=Decimal(notional),
        min_price=Decimal(min_price),
        max_price=Decimal(max_price),
        price_precision=pp,
        quantity_precision=qp,
    )


class MarketCatalogue:
    """The markets the emulator lists, by API family and Binance id."""

    def __init__(self, specs: Sequence[MarketSpec]) -> None:
        self._spot = {s.market_id: s for s in specs if not s.perpetual}
        self._usdm = {s.market_id: s for s in specs if s.perpetual}

    @property
    def spot(self) -> list[MarketSpec]:
        """Spot markets, sorted by id."""
        return [self._spot[key] for key in sorted(self._spot)]

    @property
    def usdm(self) -> list[MarketSpec]:
        """USD-M perpetuals, sorted by id."""
        return [self._usdm[key] for key in sorted(self._usdm)]

    def lookup(self, market_id: str | None, *, perpetual: bool) -> MarketSpec:
        """The market with this Binance id on the spot or futures API.

        Raises:
            ApiError: -1102 without an id, -1121 for an id the API does not list.
        """
        if not market_id:
            raise ApiError.mandatory("symbol")
        spec = (self._usdm if perpetual else self._spot).get(market_id)
        if spec is None:
            raise ApiError.invalid_symbol()
        return spec
