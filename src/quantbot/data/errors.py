"""Errors of the market-data layer: report them, never fill silently."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quantbot.core.errors import QuantbotError

if TYPE_CHECKING:
    from quantbot.data.quality import QualityReport

__all__ = ["DataError", "DataFormatError", "DataQualityError", "MarketCapProviderError"]


class DataError(QuantbotError):
    """Market data that cannot be used as it is (missing, malformed, failed a check)."""


class DataFormatError(DataError):
    """A file or response is not in the format it claims: wrong name, columns or values."""


class DataQualityError(DataError):
    """A series failed a data-quality check that the load policy does not repair.

    Attributes:
        series: what was loaded, e.g. ``binance BTC/USDT 1m``.
        report: everything the checks found; its error findings are the reason.
    """

    def __init__(self, series: str, report: QualityReport, reason: str) -> None:
        self.series = series
        self.report = report
        causes = "; ".join(finding.describe() for finding in report.errors)
        super().__init__(f"{series}: {reason}: {causes}")


class MarketCapProviderError(DataError):
    """The market-cap provider (CoinGecko by default) could not answer.

    Raised after retries are exhausted (rate limits, 5xx, timeouts), at once for a
    refused request (401/403: a bad or missing API key; 404), and for a response that
    is not in the documented shape. The message names the endpoint, never the key.
    """
