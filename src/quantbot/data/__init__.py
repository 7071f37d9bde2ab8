"""Market data: the synthetic market (the embedded default data source).

The candle store, downloader and data-quality checks join it as they land.
"""

from quantbot.data.synthetic import DEFAULT_ASSETS, AssetProfile, SyntheticMarket, generate_market

__all__ = ["DEFAULT_ASSETS", "AssetProfile", "SyntheticMarket", "generate_market"]
