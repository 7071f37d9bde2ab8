"""Errors of the market-data layer: report them, never fill silently."""

from __future__ import annotations

from quantbot.core.errors import QuantbotError

__all__ = ["DataError", "DataFormatError"]


class DataError(QuantbotError):
    """Market data that cannot be used as it is (missing, malformed, failed a check)."""


class DataFormatError(DataError):
    """A file or response is not in the format it claims: wrong name, columns or values."""
