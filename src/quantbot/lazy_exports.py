"""Lazy package exports: a package lists its public names without importing them all.

``quantbot.data`` names the downloader (ccxt), the CoinGecko client (aiohttp) and the
candle store side by side; importing one small module such as ``quantbot.data.ohlcv``
must not load every library behind the others (a strategy process would carry ccxt,
a backtest would start seconds later and hundreds of megabytes larger). A package
therefore maps each public name to the module defining it and imports that module on
first access (PEP 562 module ``__getattr__``); type checkers read the names from an
``if TYPE_CHECKING:`` import block beside the map.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` resolving ``exports`` (name → defining module) on demand.

    Args:
        package: the package's ``__name__`` (for error messages and caching).
        exports: each public name and the module that defines it.
    """
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook's required name
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
