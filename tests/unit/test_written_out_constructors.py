"""Frozen dataclasses whose ``__init__`` is written out (mypyc compiles it, where the
generated one would stay interpreted; see :mod:`quantbot.compiled`) take exactly their fields: same
names, order, defaults and keyword-only-ness as the generated one would.

Compiled functions hide their signatures, so each module is loaded afresh from its
source under a private name, and its classes are inspected there."""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import sys
from types import ModuleType

import pytest

from quantbot.compiled import MODULES, source_path


def _from_source(module: str) -> ModuleType:
    name = f"_source_of_{module.replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(name, source_path(module))
    assert spec is not None
    assert spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded  # dataclasses resolve the module by name
    spec.loader.exec_module(loaded)
    return loaded


WRITTEN_OUT = sorted(
    (
        obj
        for module in map(_from_source, MODULES)
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and obj.__module__ == module.__name__
        and dataclasses.is_dataclass(obj)
        and obj.__dataclass_params__.frozen  # type: ignore[attr-defined]
        and not obj.__dataclass_params__.init  # type: ignore[attr-defined]
    ),
    key=lambda cls: f"{cls.__module__}.{cls.__qualname__}",
)


def test_the_hot_value_classes_are_among_them() -> None:
    names = {cls.__name__ for cls in WRITTEN_OUT}
    assert names >= {"Fill", "OrderIntent", "CheckDecision", "Transition", "OrderFilled", "Bar"}


@pytest.mark.parametrize("cls", WRITTEN_OUT, ids=lambda cls: cls.__qualname__)
def test_the_constructor_takes_the_fields_as_the_generated_one_would(cls: type) -> None:
    fields = [f for f in dataclasses.fields(cls) if f.init]
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert [p.name for p in parameters] == [f.name for f in fields]
    for parameter, field in zip(parameters, fields, strict=True):
        default = inspect.Parameter.empty if field.default is dataclasses.MISSING else field.default
        assert parameter.default == default, field.name
        keyword_only = parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert keyword_only == field.kw_only, field.name
