"""Venues: where orders go. The exchange emulator lives here; the simulated venue and
the ccxt live venue join it."""

__all__: list[str] = []
