"""Building an emulator from command-line choices: which data, which period, which faults.

``quantbot emulator`` calls :func:`build_state` once and serves the result. The
synthetic market covers ``days`` whole UTC days before today plus today and tomorrow,
so under the wall clock the most recent candle closes every minute for the next day
and more (restart the emulator for a new period). The store replays what was
downloaded or imported for one exchange.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from quantbot.core.clock import Clock
from quantbot.data.store import CandleStore
from quantbot.venues.emulator.errors import EmulatorError, InvalidFaultRule
from quantbot.venues.emulator.faults import FaultRule, rules_from_json
from quantbot.venues.emulator.source import MarketSource
from quantbot.venues.emulator.state import EmulatorState
from quantbot.venues.emulator.store_source import StoreSource
from quantbot.venues.emulator.synthetic_source import DEFAULT_SYMBOLS, SyntheticSource

__all__ = ["EmulatorOptions", "SourceName", "build_state", "load_fault_file"]

SourceName = Literal["synthetic", "store"]
_DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class EmulatorOptions:
    """What to serve.

    Attributes:
        source: ``synthetic`` (the seeded market) or ``store`` (the candle store).
        symbols: synthetic markets to list (ccxt symbols, spot and USD-M perpetuals).
        days: whole days of synthetic history before today.
        seed: seed of the synthetic market and of the derived order books.
        store_root: the candle store's directory, for ``source="store"``.
        exchange: the store's exchange id whose series are served.
        faults: rules active from the start.
        fault_seed: seed of the fault rules' RNGs.
    """

    source: SourceName = "synthetic"
    symbols: Sequence[str] = DEFAULT_SYMBOLS
    days: int = 30
    seed: int = 7
    store_root: Path | None = None
    exchange: str = "binance"
    faults: Sequence[FaultRule] = ()
    fault_seed: int = 0


def build_state(options: EmulatorOptions, *, clock: Clock) -> EmulatorState:
    """The emulator's state for ``options`` under ``clock``.

    Raises:
        EmulatorError: for an empty or missing store, no symbols or a bad period.
    """
    source: MarketSource
    if options.source == "store":
        if options.store_root is None or not options.store_root.is_dir():
            raise EmulatorError(f"no candle store at {options.store_root}")
        try:
            source = StoreSource(CandleStore(options.store_root), exchange=options.exchange)
        except ValueError as exc:
            raise EmulatorError(str(exc)) from None
    else:
        today_ms = clock.now_ms() // _DAY_MS * _DAY_MS
        try:
            source = SyntheticSource.generate(
                options.symbols,
                start_ms=today_ms - options.days * _DAY_MS,
                minutes=(options.days + 2) * 1440,
                seed=options.seed,
            )
        except ValueError as exc:
            raise EmulatorError(f"cannot generate the synthetic market: {exc}") from None
    return EmulatorState.create(
        source, clock=clock, seed=options.seed, fault_seed=options.fault_seed, faults=options.faults
    )


def load_fault_file(path: Path) -> list[FaultRule]:
    """Fault rules from a JSON file holding one rule object or a list of them.

    Raises:
        EmulatorError: when the file cannot be read or parsed, naming the file.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise EmulatorError(f"{path}: cannot read fault rules: {exc}") from None
    try:
        return rules_from_json(data)
    except InvalidFaultRule as exc:
        raise EmulatorError(f"{path}: {exc}") from None
