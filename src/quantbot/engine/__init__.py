"""Mode assembly and start-up: what runs the bot's jobs on top of the lower layers.

The event loop, scheduler and crash recovery join the preflight checks and the demo
job here as they land.
"""

from typing import TYPE_CHECKING

from quantbot.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from quantbot.engine.demo import DemoSummary, SymbolSummary, run_demo
    from quantbot.engine.preflight import PreflightCheck, run_preflight

__all__ = [
    "DemoSummary",
    "PreflightCheck",
    "SymbolSummary",
    "run_demo",
    "run_preflight",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "DemoSummary": "quantbot.engine.demo",
        "PreflightCheck": "quantbot.engine.preflight",
        "SymbolSummary": "quantbot.engine.demo",
        "run_demo": "quantbot.engine.demo",
        "run_preflight": "quantbot.engine.preflight",
    },
)
