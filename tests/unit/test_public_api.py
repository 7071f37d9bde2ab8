"""Public names of the packages that have no pin of their own (STYLE.md: a test pins
``__all__``), so that an API change is always a deliberate, reviewed edit."""

from __future__ import annotations

import importlib
import importlib.util
import types

import pytest

PUBLIC = {
    "quantbot.config": [
        "CONFIG_FILES",
        "FEE_TABLE",
        "ConfigError",
        "ConfigIssue",
        "FundingStrategyConfig",
        "GridPair",
        "GridStrategyConfig",
        "MomentumStrategyConfig",
        "QuantbotConfig",
        "Settings",
        "load_config",
        "readiness_problems",
        "render_default_files",
        "render_reference",
    ],
    "quantbot.data": [
        "AssetInfo",
        "AssetProfile",
        "CandleStore",
        "CoinGeckoClient",
        "DEFAULT_ASSETS",
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
        "OHLCV_COLUMNS",
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
    ],
    "quantbot.engine": [
        "DemoSummary",
        "PreflightCheck",
        "SymbolSummary",
        "run_demo",
        "run_preflight",
    ],
    "quantbot.cli": [],
    "quantbot.venues": [
        "UnknownExchange",
        "VenueError",
        "VenueRejected",
        "VenueUnavailable",
        "create_exchange",
    ],
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_all_is_pinned_and_importable(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(PUBLIC[package])
    for name in module.__all__:
        assert hasattr(module, name), name


@pytest.mark.parametrize(
    "package",
    [*sorted(PUBLIC), "quantbot.storage", "quantbot.analytics", "quantbot.venues.emulator"],
)
def test_no_public_name_resolves_to_a_module(package: str) -> None:
    """A lazily exported name shadowed by a same-named submodule would hand out the module."""
    module = importlib.import_module(package)
    for name in module.__all__:
        importlib.import_module(f"{package}.{name}") if importlib.util.find_spec(
            f"{package}.{name}"
        ) else None
        assert not isinstance(getattr(module, name), types.ModuleType), name
