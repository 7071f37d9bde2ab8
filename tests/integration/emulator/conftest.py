"""Makes the emulator and shared-data fixtures available here until tests/conftest.py
lists ``fixtures.emulator`` and ``fixtures.shared_data`` in ``pytest_plugins``; then this
file can go (a conftest fixture of the same name simply overrides the plugin's)."""

from fixtures.emulator import binance, emulator, emulator_market, start_emulator
from fixtures.shared_data import shared_data

__all__ = ["binance", "emulator", "emulator_market", "shared_data", "start_emulator"]
