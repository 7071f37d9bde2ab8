"""quantbot: a self-hosted, multi-strategy crypto trading system.

One event engine serves backtest, paper and live trading; strategies are pure
decision code; every order passes one risk manager. See docs/ for the guides.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
