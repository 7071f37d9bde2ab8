"""The names of the events quantbot writes to its logs.

Every log line carries an ``event`` field so that a machine (jq, a log shipper, an
alert rule) can select lines without parsing prose. Domain events keep their class
name in UPPER_SNAKE (``OrderFilled`` logs as ``ORDER_FILLED``, STYLE.md section 4).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["LogEvent"]


class LogEvent(StrEnum):
    """What a log line is about; the value is what appears in the ``event`` field."""

    LOG = "LOG"
    """A plain record that named no event, e.g. from a third-party library."""

    STARTUP = "STARTUP"
    SHUTDOWN = "SHUTDOWN"
    STATUS = "STATUS"
    """Periodic heartbeat: equity, open orders, positions."""

    CONFIG_CHANGED = "CONFIG_CHANGED"

    ORDER_PLACED = "ORDER_PLACED"
    ORDER_FILLED = "ORDER_FILLED"
    ORDER_CANCELED = "ORDER_CANCELED"
    ORDER_REJECTED = "ORDER_REJECTED"
    TRADE_CLOSED = "TRADE_CLOSED"
    """A round trip completed; the line carries its realised PnL."""

    RISK_REJECTED = "RISK_REJECTED"
    CIRCUIT_BREAKER = "CIRCUIT_BREAKER"
    GRID_REBALANCE = "GRID_REBALANCE"
    RECONCILIATION = "RECONCILIATION"

    DATA_QUALITY = "DATA_QUALITY"
    """A market-data series failed a check: refused, repaired or used with a warning."""

    ERROR = "ERROR"
    """A handled failure worth a human's attention."""

    UNCAUGHT_EXCEPTION = "UNCAUGHT_EXCEPTION"
    """An exception nothing caught, logged by the hooks ``configure_logging`` installs."""
