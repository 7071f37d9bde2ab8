"""Epoch milliseconds as ISO 8601 UTC text, the one time format of every output file.

Reports, CSV files and ``summary.json`` all write times as
``2024-01-01T00:00:00.000Z``: unambiguous (always UTC, marked ``Z``), lossless for
millisecond timestamps, and read back by ``datetime.fromisoformat`` and pandas.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DAY_MS", "HOUR_MS", "iso_utc", "iso_utc_array"]

DAY_MS = 86_400_000
"""One UTC day in milliseconds."""

HOUR_MS = 3_600_000
"""One hour in milliseconds."""


def iso_utc_array(ts_ms: np.ndarray) -> np.ndarray:
    """Format epoch milliseconds as ISO 8601 UTC strings, vectorised.

    Args:
        ts_ms: epoch milliseconds (any integer dtype).

    Returns:
        An array of ``str`` such as ``2024-01-01T00:00:00.000Z``.
    """
    moments = np.asarray(ts_ms, dtype=np.int64).astype("datetime64[ms]")
    return np.datetime_as_string(moments, unit="ms", timezone="UTC")


def iso_utc(ts_ms: int | None) -> str | None:
    """Format one epoch-millisecond time as ISO 8601 UTC; ``None`` stays ``None``."""
    if ts_ms is None:
        return None
    return str(iso_utc_array(np.array([ts_ms]))[0])
