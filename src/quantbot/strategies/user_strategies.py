"""The user's strategy files: strategy classes found by name in a directory outside the package.

A user keeps strategies in ``paths.user_strategies_dir`` (``user_strategies/`` next to
the config directory) and selects them by their ``name`` exactly like the built-in
ones. :func:`load_user_strategies` imports every ``*.py`` file directly in that
directory, in name order, except ``_*.py`` and ``.*.py`` (private and editor files)
and ``test_*.py`` (tests; ``quantbot strategy new`` puts its own in ``tests/``).

**Imports.** Each file runs as the module ``quantbot_user_strategies.d<hash>.<stem>``,
the hash naming its directory: no installed package uses that name, so a file called
``signal.py`` or ``numpy.py`` neither shadows nor is shadowed by a real module, and two
directories with a file of the same name do not replace each other's module. The
directory is not put on ``sys.path``: a strategy file imports quantbot, numpy and
installed packages, not its sibling files (``import helpers`` fails at load).

**Which classes.** A file contributes every class it defines itself (imported ones do
not count) that derives from :class:`~quantbot.strategies.base.Strategy` and sets its
own ``name``. A class without its own ``name`` is a helper when it is abstract or its
class name starts with ``_``, and is skipped; a concrete public one is an error, as is
a named strategy left abstract (``on_candle`` missing).

**Errors.** Every problem stops the load with a :class:`UserStrategyError` whose
message starts with the file and line, e.g.
``user_strategies/my_strat.py:12: NameError: name 'foo' is not defined``: a syntax
error, an exception while the file runs (the line of the deepest frame in that file),
a missing or malformed ``name``, a ``Params`` that is not a
:class:`~quantbot.strategies.base.StrategyParams`, a name two classes use (both places
named) or one a built-in strategy has. A failed load leaves none of the modules it
imported in ``sys.modules``, so loading again after a fix starts clean.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import keyword
import re
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, ModuleType

from quantbot.strategies.base import Strategy, StrategyParams
from quantbot.strategies.errors import UserStrategyError

__all__ = [
    "MODULE_PREFIX",
    "STRATEGY_NAME_PATTERN",
    "load_user_strategies",
    "strategy_name_problem",
]

MODULE_PREFIX = "quantbot_user_strategies"
"""First part of the module name every user file is imported under."""

STRATEGY_NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
"""What a strategy name looks like (whole-string match): it is also a file and config key."""

_NONE: Mapping[str, type[Strategy]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class _Found:
    """A strategy class and where it is defined, to name both places of a duplicate."""

    cls: type[Strategy]
    path: Path
    line: int | None

    @property
    def where(self) -> str:
        return str(self.path) if self.line is None else f"{self.path}:{self.line}"


def strategy_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a strategy's name, or None when it can.

    A name is lowercase letters, digits and underscores starting with a letter (it
    becomes a file name and a configuration key, which settings.yaml checks with the
    same pattern) and not a Python keyword (the scaffold derives a module from it).
    Whether a built-in strategy has it already is the caller's question.
    """
    if not STRATEGY_NAME_PATTERN.fullmatch(name):
        return (
            f"name {name!r} must be lowercase letters, digits and underscores, "
            "starting with a letter"
        )
    if keyword.iskeyword(name):
        return f"name {name!r} is a Python keyword; pick another"
    return None


def load_user_strategies(
    directory: Path, *, built_ins: Mapping[str, type[Strategy]] = _NONE
) -> dict[str, type[Strategy]]:
    """Import the strategy files in ``directory`` and return their classes by name.

    Args:
        directory: the user's strategy directory; error messages show its files as
            ``directory / name``, so a relative directory gives relative paths.
        built_ins: the package's strategies by name, which no user class may take (a
            run selects a strategy by its name alone).

    Returns:
        Every strategy class of the files (module docstring), by its ``name``, in file
        order then definition order; empty when the directory does not exist.

    Raises:
        UserStrategyError: for the first broken file or class, with its path and line.
    """
    if not directory.exists():
        return {}
    if not directory.is_dir():
        raise UserStrategyError(directory, None, "not a directory of strategy files")
    package = f"{MODULE_PREFIX}.d{_digest(directory)}"
    found: dict[str, _Found] = {}
    imported: list[str] = []
    try:
        for path in sorted(p for p in directory.glob("*.py") if _is_strategy_file(p)):
            module = _import(path, f"{package}.{path.stem}")
            imported.append(module.__name__)
            for entry in _strategy_classes(module, path):
                _refuse_a_taken_name(entry, found, built_ins)
                found[entry.cls.name] = entry
    except UserStrategyError:
        for module_name in imported:
            sys.modules.pop(module_name, None)
        raise
    return {name: entry.cls for name, entry in found.items()}


def _digest(directory: Path) -> str:
    """Short stable digest of the directory's absolute path, to keep directories apart."""
    return hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:12]


def _is_strategy_file(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(("_", ".", "test_"))


def _import(path: Path, module_name: str) -> ModuleType:
    """Run one file as module ``module_name``; on failure, leave no module behind.

    Raises:
        UserStrategyError: when the file does not compile or raises while it runs.
    """
    location = path.resolve()
    spec = importlib.util.spec_from_file_location(module_name, location)
    if spec is None or spec.loader is None:
        raise UserStrategyError(path, None, "cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, as an import does: pydantic and dataclasses look the
    # module up by name while its classes are created.
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        # SystemExit too: a stray exit() in a strategy file must not end the run silently.
        sys.modules.pop(module_name, None)
        raise UserStrategyError(path, _failing_line(exc, location), _describe(exc)) from exc
    return module


def _failing_line(exc: BaseException, location: Path) -> int | None:
    """The line of ``location`` to blame: a syntax error's, else the deepest frame there."""
    if isinstance(exc, SyntaxError) and exc.filename == str(location):
        return exc.lineno
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == str(location):
            line = lineno
    return line


def _describe(exc: BaseException) -> str:
    """``Type: message`` on one line (a message may span several, e.g. pydantic's)."""
    detail = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    detail = " ".join(detail.split())
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _strategy_classes(module: ModuleType, path: Path) -> list[_Found]:
    """The strategy classes ``module`` defines, checked (module docstring).

    Raises:
        UserStrategyError: for a class that is meant as a strategy and cannot be one.
    """
    classes: list[_Found] = []
    seen: set[type] = set()
    for value in vars(module).values():
        if (
            not isinstance(value, type)
            or not issubclass(value, Strategy)
            or value.__module__ != module.__name__
            or value in seen
        ):
            continue
        seen.add(value)
        entry = _Found(value, path, _class_line(value))
        if _is_strategy(entry):
            classes.append(entry)
    return classes


def _is_strategy(entry: _Found) -> bool:
    """True for a usable strategy class, False for a helper.

    Raises:
        UserStrategyError: for a class that is meant as a strategy and cannot be one.
    """
    cls = entry.cls
    label = f"class {cls.__name__}"
    name = cls.__dict__.get("name")
    if name is None:
        if inspect.isabstract(cls) or cls.__name__.startswith("_"):
            return False
        raise UserStrategyError(
            entry.path,
            entry.line,
            f'{label} has no name of its own: set name = "..." (what a run selects it by), '
            "or start the class name with _ if it is a helper",
        )
    if not isinstance(name, str):
        raise UserStrategyError(entry.path, entry.line, f"{label}: name must be text, got {name!r}")
    problem = strategy_name_problem(name)
    if problem is not None:
        raise UserStrategyError(entry.path, entry.line, f"{label}: {problem}")
    params = getattr(cls, "Params", None)
    if not (isinstance(params, type) and issubclass(params, StrategyParams)):
        raise UserStrategyError(
            entry.path,
            entry.line,
            f"{label}: Params must be a StrategyParams subclass (its parameter model), "
            f"got {params!r}",
        )
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        raise UserStrategyError(entry.path, entry.line, f"{label} does not implement {missing}")
    return True


def _refuse_a_taken_name(
    entry: _Found, found: Mapping[str, _Found], built_ins: Mapping[str, type[Strategy]]
) -> None:
    """Stop at a class whose name a built-in strategy or an earlier user class has.

    Raises:
        UserStrategyError: naming both classes and where they are.
    """
    name = entry.cls.name
    label = f"class {entry.cls.__name__}"
    taken = built_ins.get(name)
    if taken is not None:
        raise UserStrategyError(
            entry.path,
            entry.line,
            f"{label}: name {name!r} is the built-in strategy {taken.__name__} "
            f"({taken.__module__}); pick another",
        )
    earlier = found.get(name)
    if earlier is not None:
        raise UserStrategyError(
            entry.path,
            entry.line,
            f"{label}: name {name!r} is already used by class {earlier.cls.__name__} "
            f"at {earlier.where}; pick another",
        )


def _class_line(cls: type) -> int | None:
    try:
        return inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return None
