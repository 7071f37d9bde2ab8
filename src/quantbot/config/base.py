"""Shared building blocks of the configuration models.

All models are strict (no silent ``"20"`` → ``20`` coercion), frozen, and forbid
unknown keys so that a typo is an error rather than a silently ignored setting.
Cross-field rules are written in model validators through :func:`check_rules`, which
reports every broken rule at once and pins each one to the key it concerns.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

__all__ = [
    "CROSS_FIELD_ERROR",
    "ConfigModel",
    "EnvVarName",
    "HttpUrlText",
    "Percent",
    "PositiveInt",
    "Symbol",
    "Timeframe",
    "check_rules",
    "describe",
    "timeframe_seconds",
]

CROSS_FIELD_ERROR = "cross_field"
"""pydantic error type of a broken cross-field rule; its context holds ``problems``."""


class ConfigModel(BaseModel):
    """Base of every configuration model: strict, frozen, unknown keys rejected."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        validate_default=True,
    )


def check_rules(problems: list[tuple[str, str]]) -> None:
    """Raise one pydantic error carrying every broken cross-field rule.

    Args:
        problems: ``(relative key path, explanation)`` pairs, e.g.
            ``("weekly_loss_limit_pct", "3.0 must be >= daily_loss_limit_pct 5.0")``.
            The path is relative to the model whose validator calls this.

    Raises:
        PydanticCustomError: of type :data:`CROSS_FIELD_ERROR` when ``problems`` is not
            empty; the config loader expands it into one issue per problem.
    """
    if problems:
        summary = "; ".join(f"{path}: {message}" for path, message in problems)
        raise PydanticCustomError(
            CROSS_FIELD_ERROR, "{summary}", {"summary": summary, "problems": problems}
        )


_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,63}$")
_SYMBOL = re.compile(r"^[A-Z0-9]+/[A-Z0-9]+(?::[A-Z0-9]+)?$")
_TIMEFRAME = re.compile(r"^(?P<n>[1-9][0-9]*)(?P<unit>[mhdwM])$")
_HTTP_URL = re.compile(r"^https?://[^\s/:]+(?::[0-9]{1,5})?(?:/\S*)?$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86_400, "w": 604_800, "M": 2_592_000}


def _env_var_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        # The value is not echoed: this is where people paste the secret itself.
        raise PydanticCustomError(
            "literal_secret",
            "must be the NAME of an environment variable in upper case (e.g. BINANCE_API_KEY), "
            "not the secret itself; put the value in the environment or in .env",
        )
    return value


def _symbol(value: str) -> str:
    if not _SYMBOL.match(value):
        raise PydanticCustomError(
            "symbol",
            "{value} is not a ccxt symbol; write BASE/QUOTE (e.g. BTC/USDT) or "
            "BASE/QUOTE:SETTLE for a perpetual (e.g. BTC/USDT:USDT)",
            {"value": repr(value)},
        )
    return value


def _timeframe(value: str) -> str:
    if not _TIMEFRAME.match(value):
        raise PydanticCustomError(
            "timeframe",
            "{value} is not a timeframe; write a count and a unit m, h, d, w or M (e.g. 1h)",
            {"value": repr(value)},
        )
    return value


def _http_url(value: str) -> str:
    if not _HTTP_URL.match(value):
        raise PydanticCustomError(
            "http_url",
            "{value} is not an http(s) URL; write e.g. http://127.0.0.1:8765",
            {"value": repr(value)},
        )
    return value.rstrip("/")


def timeframe_seconds(timeframe: str) -> int:
    """Length of a ccxt-style timeframe (``"15m"``, ``"4h"``) in seconds.

    A month counts as 30 days, which is only used to order timeframes.
    """
    match = _TIMEFRAME.match(timeframe)
    if match is None:
        raise ValueError(f"not a timeframe: {timeframe!r}")
    return int(match["n"]) * _UNIT_SECONDS[match["unit"]]


EnvVarName = Annotated[str, AfterValidator(_env_var_name)]
"""Name of an environment variable holding a secret; never the secret itself."""

Symbol = Annotated[str, AfterValidator(_symbol)]
"""A market in ccxt notation: ``BTC/USDT`` (spot) or ``BTC/USDT:USDT`` (perpetual)."""

Timeframe = Annotated[str, AfterValidator(_timeframe)]
"""A candle timeframe in ccxt notation: ``1m``, ``15m``, ``1h``, ``4h``, ``1d``."""

HttpUrlText = Annotated[str, AfterValidator(_http_url)]
"""An http(s) base URL, kept as text without a trailing slash."""

Percent = Annotated[float, Field(ge=0, le=100)]
"""A percentage where 2.0 means 2 %."""

PositiveInt = Annotated[int, Field(gt=0)]


def describe(value: Any) -> str:
    """Render a config value for an error message the way the user wrote it."""
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
