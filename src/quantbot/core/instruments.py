"""Instruments: what a symbol trades and in which units.

Symbols use ccxt's unified notation, so the same string names a market in the
configuration, the database and the venue adapter:

- ``BTC/USDT`` is spot: BTC (base) bought and sold for USDT (quote);
- ``BTC/USDT:USDT`` is a linear perpetual: quoted in USDT and settled (margined, paid
  PnL and funding) in USDT.

Dated futures (``BTC/USDT:USDT-240628``), options and inverse perpetuals
(``BTC/USD:BTC``, settled in the base asset) are rejected rather than half supported:
their PnL arithmetic differs from the linear one the accounting implements.

The tick, lot and minimum-notional fields carry the market's precision rules; rounding
prices and quantities to them belongs in one named quantisation function that the
backtest engine adds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from quantbot.core.enums import InstrumentKind
from quantbot.core.errors import InvalidValue

__all__ = ["Instrument"]

_CODE = r"[A-Z0-9]+"
_SYMBOL = re.compile(rf"(?P<base>{_CODE})/(?P<quote>{_CODE})(?::(?P<settle>{_CODE}))?")
_SYMBOL_HELP = (
    "expected BASE/QUOTE (spot, e.g. BTC/USDT) or BASE/QUOTE:QUOTE (linear perpetual, "
    "e.g. BTC/USDT:USDT) with upper-case letters and digits"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Instrument:
    """One tradable market.

    Prefer :meth:`from_symbol`, which derives ``base``, ``quote``, ``settle`` and
    ``kind`` from the symbol; the constructor checks that they agree with it.

    Attributes:
        symbol: ccxt unified symbol, e.g. ``BTC/USDT`` or ``BTC/USDT:USDT``.
        base: The asset priced, e.g. ``BTC``.
        quote: The asset prices are expressed in, e.g. ``USDT``.
        settle: The asset PnL and funding are paid in (perpetuals); ``None`` for spot.
        kind: Spot or perpetual.
        contract_size: Base units per unit of order quantity: quantities of perpetuals
            are in contracts (ccxt's convention), spot quantities are in base units, so
            spot requires ``1.0``.
        tick_size: Smallest price increment, in quote units; ``None`` when unknown.
        lot_size: Smallest quantity increment; ``None`` when unknown.
        min_notional: Smallest order value the venue accepts, in quote units.
    """

    symbol: str
    base: str
    quote: str
    settle: str | None
    kind: InstrumentKind
    contract_size: float = 1.0
    tick_size: float | None = None
    lot_size: float | None = None
    min_notional: float = 0.0

    def __post_init__(self) -> None:
        base, quote, settle, kind = _parse_symbol(self.symbol)
        if (self.base, self.quote, self.settle, self.kind) != (base, quote, settle, kind):
            raise InvalidValue(
                f"instrument {self.symbol}: base/quote/settle/kind "
                f"{self.base}/{self.quote}/{self.settle}/{self.kind} do not match the "
                f"symbol, which means {base}/{quote}/{settle}/{kind}"
            )
        if not (math.isfinite(self.contract_size) and self.contract_size > 0):
            raise InvalidValue(f"instrument {self.symbol}: contract_size {self.contract_size}")
        if kind is InstrumentKind.SPOT and self.contract_size != 1.0:
            raise InvalidValue(
                f"instrument {self.symbol}: contract_size {self.contract_size}, must be 1.0 "
                "for spot (spot quantities are in base units)"
            )
        for name, step in (("tick_size", self.tick_size), ("lot_size", self.lot_size)):
            if step is not None and not (math.isfinite(step) and step > 0):
                raise InvalidValue(f"instrument {self.symbol}: {name} {step}, must be > 0")
        if not (math.isfinite(self.min_notional) and self.min_notional >= 0):
            raise InvalidValue(
                f"instrument {self.symbol}: min_notional {self.min_notional}, must be >= 0"
            )

    @classmethod
    def from_symbol(
        cls,
        symbol: str,
        *,
        contract_size: float = 1.0,
        tick_size: float | None = None,
        lot_size: float | None = None,
        min_notional: float = 0.0,
    ) -> Instrument:
        """Build the instrument a ccxt unified symbol names.

        Raises:
            InvalidValue: if the symbol is malformed or names an unsupported market
                (dated future, option, inverse perpetual), or a size is not positive.
        """
        base, quote, settle, kind = _parse_symbol(symbol)
        return cls(
            symbol=symbol,
            base=base,
            quote=quote,
            settle=settle,
            kind=kind,
            contract_size=contract_size,
            tick_size=tick_size,
            lot_size=lot_size,
            min_notional=min_notional,
        )

    @property
    def is_perpetual(self) -> bool:
        """Whether this is a perpetual swap (margined; PnL and funding in ``settle``)."""
        return self.kind is InstrumentKind.PERPETUAL


def _parse_symbol(symbol: str) -> tuple[str, str, str | None, InstrumentKind]:
    """Split a ccxt unified symbol into base, quote, settle and kind."""
    match = _SYMBOL.fullmatch(symbol)
    if match is None:
        if re.fullmatch(rf"{_CODE}/{_CODE}:{_CODE}-.+", symbol):
            raise InvalidValue(
                f"symbol {symbol!r} names a dated future or an option, which quantbot does "
                "not trade; use the perpetual BASE/QUOTE:QUOTE"
            )
        raise InvalidValue(f"symbol {symbol!r} malformed: {_SYMBOL_HELP}")
    base, quote, settle = match["base"], match["quote"], match["settle"]
    if base == quote:
        raise InvalidValue(f"symbol {symbol!r} malformed: base and quote are both {base}")
    if settle is None:
        return base, quote, None, InstrumentKind.SPOT
    if settle != quote:
        raise InvalidValue(
            f"symbol {symbol!r} is an inverse perpetual (settled in {settle}, not {quote}), "
            "which quantbot does not trade; use the linear BASE/QUOTE:QUOTE"
        )
    return base, quote, settle, InstrumentKind.PERPETUAL
