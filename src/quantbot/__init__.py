"""quantbot: a self-hosted, multi-strategy crypto trading system.

One event engine serves backtest, paper and live trading; strategies are pure
decision code; every order passes one risk manager. See docs/ for the guides.
"""

from quantbot.compiled import activate

__all__ = ["__version__"]

activate()

__version__ = "0.1.0"
