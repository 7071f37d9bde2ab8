"""Errors of the exchange emulator.

:class:`ApiError` is how a handler refuses a request the way Binance does: the server
turns it into Binance's JSON error body (``{"code": -1121, "msg": "Invalid symbol."}``)
with the HTTP status Binance uses, so ccxt raises the same exception it would raise
against the real exchange. The other errors are the emulator's own: a bad start-up
configuration or a malformed fault rule.
"""

from __future__ import annotations

from quantbot.core.errors import QuantbotError

__all__ = ["ApiError", "EmulatorError", "InvalidFaultRule"]


class EmulatorError(QuantbotError):
    """The emulator cannot do what it was asked (configuration, control API)."""


class InvalidFaultRule(EmulatorError, ValueError):
    """A fault rule names an unknown kind, an impossible status or a bad probability."""


class ApiError(EmulatorError):
    """A request Binance would refuse, with Binance's error code and message.

    Attributes:
        status: HTTP status of the response (400 for bad parameters, as Binance).
        code: Binance's negative error code (-1121 invalid symbol, -1120 interval...).
        msg: Binance's message text.
    """

    def __init__(self, code: int, msg: str, *, status: int = 400) -> None:
        super().__init__(f"{code}: {msg}")
        self.status = status
        self.code = code
        self.msg = msg

    @classmethod
    def invalid_symbol(cls) -> ApiError:
        """-1121: the symbol is not listed on this API."""
        return cls(-1121, "Invalid symbol.")

    @classmethod
    def invalid_interval(cls) -> ApiError:
        """-1120: a kline interval Binance (or the emulator) does not serve."""
        return cls(-1120, "Invalid interval.")

    @classmethod
    def mandatory(cls, name: str) -> ApiError:
        """-1102: a required parameter is missing or empty."""
        return cls(
            -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
        )

    @classmethod
    def illegal(cls, name: str) -> ApiError:
        """-1100: a parameter that should be a number is not."""
        return cls(
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.",
        )

    @classmethod
    def invalid_value(cls, name: str) -> ApiError:
        """-1130: a parameter's value is out of its range."""
        return cls(-1130, f"Data sent for parameter '{name}' is not valid.")
