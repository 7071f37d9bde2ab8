"""The emulator package's public names are pinned (STYLE.md: a test pins ``__all__``)."""

from __future__ import annotations

import quantbot.venues.emulator as emulator

PUBLIC = [
    "DEFAULT_SYMBOLS",
    "ApiError",
    "BackgroundEmulator",
    "EmulatorControl",
    "EmulatorError",
    "EmulatorServer",
    "EmulatorState",
    "FaultInjector",
    "FaultKind",
    "FaultRule",
    "InvalidFaultRule",
    "MarketCatalogue",
    "MarketSource",
    "MarketSpec",
    "RequestRecord",
    "StoreSource",
    "SyntheticSource",
    "TrafficRecorder",
    "create_app",
    "emulator_url_for",
    "market_spec",
    "point_ccxt_at",
    "serve_forever",
]


def test_all_is_pinned_and_importable() -> None:
    assert sorted(emulator.__all__) == sorted(PUBLIC)
    for name in emulator.__all__:
        assert hasattr(emulator, name), name
