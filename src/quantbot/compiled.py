"""The engine's compiled core: which modules mypyc compiles, and when the build is used.

Installing quantbot compiles the modules of :data:`MODULES` (the backtest's hot loop:
orders, accounting, the simulated venue, the pre-trade checks and the risk manager)
to C extensions with mypyc when a C compiler is present (``setup.py``); they run the
same code up to three times faster (docs/backtesting.md, Performance). Without a compiler the install falls back to pure Python, which gives
the same results.

Python imports an extension (``.so``) in preference to the ``.py`` beside it, so a
build made from other sources than those now in the tree would silently run old code.
The build therefore records each source's SHA-256 in :data:`MANIFEST`, and
:func:`activate` (called when the package is imported) uses the compiled modules only
when every source still matches. Otherwise, or when ``QUANTBOT_PURE_PYTHON=1`` is set,
every one of them loads from its source: all or none, because compiled modules call
each other's compiled classes directly. :func:`status` says which it is and why.

This module is read by ``setup.py`` before anything is installed: standard library only.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

__all__ = [
    "MANIFEST",
    "MODULES",
    "PURE_ENV",
    "CoreStatus",
    "activate",
    "decide",
    "source_digests",
    "source_path",
    "status",
]

MODULES = (
    "quantbot.core.fills",
    "quantbot.core.ids",
    "quantbot.core.instruments",
    "quantbot.core.order_events",
    "quantbot.core.orders",
    "quantbot.core.portfolio",
    "quantbot.core.positions",
    "quantbot.core.quantize",
    "quantbot.engine.attribution",
    "quantbot.engine.backtest",
    "quantbot.engine.backtest_context",
    "quantbot.engine.equity",
    "quantbot.engine.funding",
    "quantbot.engine.history",
    "quantbot.engine.ledger",
    "quantbot.engine.mark_prices",
    "quantbot.engine.risk_manager",
    "quantbot.engine.trades",
    "quantbot.engine.watches",
    "quantbot.risk.chain",
    "quantbot.risk.circuit_breaker",
    "quantbot.risk.correlation",
    "quantbot.risk.drawdown_brakes",
    "quantbot.risk.exposure",
    "quantbot.risk.margin",
    "quantbot.risk.operational_breakers",
    "quantbot.risk.periods",
    "quantbot.risk.portfolio_rules",
    "quantbot.risk.venue_rules",
    "quantbot.strategies.bar",
    "quantbot.strategies.grid_book",
    "quantbot.strategies.grid_levels",
    "quantbot.strategies.grid_ranking",
    "quantbot.strategies.grid_state",
    "quantbot.venues.simulated.venue",
)
"""The modules compiled, by import name."""

MANIFEST = "compiled.json"
"""File beside this module: the SHA-256 of each compiled module's source at build time."""

PURE_ENV = "QUANTBOT_PURE_PYTHON"
"""Set to ``1`` to run every module from its source even when a current build exists."""

_PACKAGE_ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class CoreStatus:
    """Whether the compiled modules are in use, and why (or why not)."""

    compiled: bool
    reason: str

    def __str__(self) -> str:
        return f"{'compiled' if self.compiled else 'pure Python'} ({self.reason})"


def source_path(module: str, root: Path = _PACKAGE_ROOT) -> Path:
    """The ``.py`` file of ``module`` under the package directory ``root``."""
    return root.joinpath(*module.split(".")[1:]).with_suffix(".py")


def source_digests(root: Path = _PACKAGE_ROOT) -> dict[str, str]:
    """SHA-256 of each compiled module's source under ``root``, by module name."""
    return {
        module: hashlib.sha256(source_path(module, root).read_bytes()).hexdigest()
        for module in MODULES
    }


def _extension(module: str, root: Path) -> Path | None:
    """The compiled extension of ``module`` beside its source, if one was built."""
    source = source_path(module, root)
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = source.with_name(source.stem + suffix)
        if candidate.exists():
            return candidate
    return None


def decide(root: Path = _PACKAGE_ROOT, *, pure: bool = False) -> CoreStatus:
    """Whether the package in ``root`` can run its compiled modules.

    Args:
        root: the package directory (``.../quantbot``).
        pure: pure Python was asked for.
    """
    if pure:
        return CoreStatus(False, f"{PURE_ENV}=1")
    built = [m for m in MODULES if _extension(m, root) is not None]
    if not built:
        return CoreStatus(False, "not compiled: installed without a C compiler or mypyc")
    manifest = root / MANIFEST
    if len(built) != len(MODULES) or not manifest.exists():
        return CoreStatus(False, "the compiled build is incomplete; reinstall quantbot")
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
        if not isinstance(recorded, dict):
            raise ValueError("not an object of digests")
    except (OSError, ValueError) as exc:
        return CoreStatus(False, f"{MANIFEST} unreadable ({exc}); reinstall quantbot")
    changed = [m for m, digest in source_digests(root).items() if recorded.get(m) != digest]
    if changed:
        return CoreStatus(
            False,
            f"{source_path(changed[0], root).relative_to(root.parent)} changed since it "
            "was compiled; reinstall quantbot to rebuild",
        )
    return CoreStatus(True, "mypyc")


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Finds the compiled modules' sources ahead of their extensions."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MODULES:
            return None
        return importlib.util.spec_from_file_location(fullname, source_path(fullname))


_status: CoreStatus | None = None


def activate() -> CoreStatus:
    """Decide once per process whether the compiled modules run; return the decision.

    Must run before any of :data:`MODULES` is imported (the package's ``__init__``
    calls it); when they are not to run, a finder loads them from source.
    """
    global _status  # noqa: PLW0603 - one decision per process, by design
    if _status is None:
        _status = decide(pure=os.environ.get(PURE_ENV) == "1")
        if not _status.compiled:
            sys.meta_path.insert(0, _SourceFinder())
    return _status


def status() -> CoreStatus:
    """Whether this process runs the compiled modules, and why."""
    return activate()
