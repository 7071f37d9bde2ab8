"""The emulator's shared state: data source, clock, listed markets, faults, traffic.

One :class:`EmulatorState` per server. Every handler reads it through the aiohttp
application (``app[STATE]``); tests and the CLI hold it too, to move a simulated clock
or inspect traffic without going through HTTP. The trading part of the emulator
(orders, balances, user streams) will keep its books here as well.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiohttp import web

from quantbot.core.clock import Clock, WallClock
from quantbot.venues.emulator.faults import FaultInjector, FaultRule
from quantbot.venues.emulator.market_view import MarketView
from quantbot.venues.emulator.markets import MarketCatalogue, MarketSpec, market_spec
from quantbot.venues.emulator.source import MarketSource
from quantbot.venues.emulator.traffic import TrafficRecorder

__all__ = ["STATE", "EmulatorState"]

_log = logging.getLogger(__name__)


@dataclass
class EmulatorState:
    """Everything the handlers share.

    Attributes:
        source: where candles and funding come from.
        clock: the emulator's "now" (a ``SimulatedClock`` lets a test decide which
            candles exist yet).
        catalogue: the markets listed, with their filters.
        faults: the active fault rules.
        traffic: request counts and log.
        seed: seed of the derived views (order books).
        onboard_ms: listing time per futures market id (its first candle).
    """

    source: MarketSource
    clock: Clock
    catalogue: MarketCatalogue
    faults: FaultInjector
    traffic: TrafficRecorder = field(default_factory=TrafficRecorder)
    seed: int = 0
    onboard_ms: dict[str, int] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        source: MarketSource,
        *,
        clock: Clock | None = None,
        seed: int = 0,
        fault_seed: int = 0,
        faults: Iterable[FaultRule] = (),
    ) -> EmulatorState:
        """State for ``source``: lists every spot or USD-M market it has candles for.

        Symbols the emulated APIs cannot list (e.g. coin-margined perpetuals) are left
        out with a warning.

        Args:
            source: the market data.
            clock: the emulator's clock; the wall clock by default.
            seed: seed of the derived order books.
            fault_seed: seed of the fault rules' RNGs.
            faults: rules active from the start.
        """
        specs: list[MarketSpec] = []
        onboard: dict[str, int] = {}
        for symbol in source.symbols():
            span = source.span_ms(symbol)
            if span is None:
                continue
            first = source.candles(
                symbol, source.base_timeframe(symbol), start_ms=span[0], end_ms=span[0] + 1
            )
            reference = float(first["close"].iloc[0]) if not first.empty else 1.0
            try:
                spec = market_spec(symbol, reference)
            except ValueError as exc:
                _log.warning("emulator does not list %s: %s", symbol, exc)
                continue
            specs.append(spec)
            if spec.perpetual:
                onboard[spec.market_id] = span[0]
        injector = FaultInjector(seed=fault_seed)
        for rule in faults:
            injector.add(rule)
        return cls(
            source=source,
            clock=clock or WallClock(),
            catalogue=MarketCatalogue(specs),
            faults=injector,
            seed=seed,
            onboard_ms=onboard,
        )

    def view(self, spec: MarketSpec) -> MarketView:
        """The market of ``spec`` as it stands now."""
        return MarketView(self.source, spec.symbol, self.clock.now_ms())


STATE = web.AppKey("quantbot_emulator_state", EmulatorState)
"""Where the application keeps its :class:`EmulatorState`."""
