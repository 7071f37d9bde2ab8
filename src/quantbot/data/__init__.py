"""Market data: store, resampling, import, downloads, quality, synthetic market, universe.

The synthetic market is the embedded default data source.

Everything here speaks the OHLCV frame of :mod:`quantbot.data.ohlcv` (open time in
epoch ms, UTC) and names markets in ccxt notation.
"""

from typing import TYPE_CHECKING

# Named like its module: imported at once, so the function, not the module, is the name.
from quantbot.data.resample import resample
from quantbot.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from quantbot.data.coingecko import CoinGeckoClient
    from quantbot.data.downloader import Downloader, DownloadError, DownloadResult
    from quantbot.data.errors import (
        DataError,
        DataFormatError,
        DataQualityError,
        MarketCapProviderError,
    )
    from quantbot.data.files import (
        DataFile,
        parse_data_file,
        read_funding_csv,
        read_ohlcv_csv,
        read_order_book_jsonl,
    )
    from quantbot.data.importer import ImportResult, import_path
    from quantbot.data.market_caps import AssetInfo, MarketCapProvider
    from quantbot.data.market_stats import DailyStats, MarketStats
    from quantbot.data.market_survey import survey_markets, survey_universe
    from quantbot.data.ohlcv import OHLCV_COLUMNS, OhlcvArrays, empty_ohlcv_frame
    from quantbot.data.quality import Finding, QualityCheck, QualityReport, Severity
    from quantbot.data.quality_checks import check_funding, check_ohlcv
    from quantbot.data.quality_policy import apply_quality_policy
    from quantbot.data.quality_scan import SeriesCheck, check_path, check_store
    from quantbot.data.resample import resample, timeframe_ms
    from quantbot.data.retry import RetryPolicy
    from quantbot.data.store import CandleStore, SeriesInfo
    from quantbot.data.symbols import (
        binance_market_id,
        is_perpetual,
        slug_to_symbol,
        symbol_to_slug,
    )
    from quantbot.data.synthetic import (
        DEFAULT_ASSETS,
        AssetProfile,
        SyntheticMarket,
        generate_market,
        generate_order_books,
    )
    from quantbot.data.universe import MarketVerdict, Rejection, UniverseResult, select_universe

__all__ = [
    "DEFAULT_ASSETS",
    "OHLCV_COLUMNS",
    "AssetInfo",
    "AssetProfile",
    "CandleStore",
    "CoinGeckoClient",
    "DailyStats",
    "DataError",
    "DataFile",
    "DataFormatError",
    "DataQualityError",
    "DownloadError",
    "DownloadResult",
    "Downloader",
    "Finding",
    "ImportResult",
    "MarketCapProvider",
    "MarketCapProviderError",
    "MarketStats",
    "MarketVerdict",
    "OhlcvArrays",
    "QualityCheck",
    "QualityReport",
    "Rejection",
    "RetryPolicy",
    "SeriesCheck",
    "SeriesInfo",
    "Severity",
    "SyntheticMarket",
    "UniverseResult",
    "apply_quality_policy",
    "binance_market_id",
    "check_funding",
    "check_ohlcv",
    "check_path",
    "check_store",
    "empty_ohlcv_frame",
    "generate_market",
    "generate_order_books",
    "import_path",
    "is_perpetual",
    "parse_data_file",
    "read_funding_csv",
    "read_ohlcv_csv",
    "read_order_book_jsonl",
    "resample",
    "select_universe",
    "slug_to_symbol",
    "survey_markets",
    "survey_universe",
    "symbol_to_slug",
    "timeframe_ms",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "DEFAULT_ASSETS": "quantbot.data.synthetic",
        "OHLCV_COLUMNS": "quantbot.data.ohlcv",
        "AssetInfo": "quantbot.data.market_caps",
        "AssetProfile": "quantbot.data.synthetic",
        "CandleStore": "quantbot.data.store",
        "CoinGeckoClient": "quantbot.data.coingecko",
        "DailyStats": "quantbot.data.market_stats",
        "DataError": "quantbot.data.errors",
        "DataFile": "quantbot.data.files",
        "DataFormatError": "quantbot.data.errors",
        "DataQualityError": "quantbot.data.errors",
        "DownloadError": "quantbot.data.downloader",
        "DownloadResult": "quantbot.data.downloader",
        "Downloader": "quantbot.data.downloader",
        "Finding": "quantbot.data.quality",
        "ImportResult": "quantbot.data.importer",
        "MarketCapProvider": "quantbot.data.market_caps",
        "MarketCapProviderError": "quantbot.data.errors",
        "MarketStats": "quantbot.data.market_stats",
        "MarketVerdict": "quantbot.data.universe",
        "OhlcvArrays": "quantbot.data.ohlcv",
        "QualityCheck": "quantbot.data.quality",
        "QualityReport": "quantbot.data.quality",
        "Rejection": "quantbot.data.universe",
        "RetryPolicy": "quantbot.data.retry",
        "SeriesCheck": "quantbot.data.quality_scan",
        "SeriesInfo": "quantbot.data.store",
        "Severity": "quantbot.data.quality",
        "SyntheticMarket": "quantbot.data.synthetic",
        "UniverseResult": "quantbot.data.universe",
        "apply_quality_policy": "quantbot.data.quality_policy",
        "binance_market_id": "quantbot.data.symbols",
        "check_funding": "quantbot.data.quality_checks",
        "check_ohlcv": "quantbot.data.quality_checks",
        "check_path": "quantbot.data.quality_scan",
        "check_store": "quantbot.data.quality_scan",
        "empty_ohlcv_frame": "quantbot.data.ohlcv",
        "generate_market": "quantbot.data.synthetic",
        "generate_order_books": "quantbot.data.synthetic",
        "import_path": "quantbot.data.importer",
        "is_perpetual": "quantbot.data.symbols",
        "parse_data_file": "quantbot.data.files",
        "read_funding_csv": "quantbot.data.files",
        "read_ohlcv_csv": "quantbot.data.files",
        "read_order_book_jsonl": "quantbot.data.files",
        "select_universe": "quantbot.data.universe",
        "slug_to_symbol": "quantbot.data.symbols",
        "survey_markets": "quantbot.data.market_survey",
        "survey_universe": "quantbot.data.market_survey",
        "symbol_to_slug": "quantbot.data.symbols",
        "timeframe_ms": "quantbot.data.resample",
    },
)
