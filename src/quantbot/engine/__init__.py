"""Mode assembly and start-up: what runs the bot's jobs on top of the lower layers.

The event loop, scheduler and crash recovery join the preflight checks and the demo
job here as they land.
"""

from quantbot.engine.demo import DemoSummary, SymbolSummary, run_demo
from quantbot.engine.preflight import PreflightCheck, run_preflight

__all__ = ["DemoSummary", "PreflightCheck", "SymbolSummary", "run_demo", "run_preflight"]
