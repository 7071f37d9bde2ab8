"""Errors of strategy code: they stop the strategy that raised them, never the others."""

from __future__ import annotations

from quantbot.core.errors import QuantbotError

__all__ = ["StrategyError", "UnknownStrategy"]


class StrategyError(QuantbotError):
    """A strategy hook raised; the engine stops that strategy alone and says why."""

    def __init__(self, strategy_id: str, hook: str, cause: BaseException) -> None:
        self.strategy_id = strategy_id
        self.hook = hook
        super().__init__(
            f"strategy {strategy_id} stopped: {hook} raised {type(cause).__name__}: {cause}"
        )


class UnknownStrategy(QuantbotError):
    """No strategy is registered under this name."""
