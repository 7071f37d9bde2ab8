"""When the compiled engine core may run (:func:`quantbot.compiled.decide`), on a fake tree."""

from __future__ import annotations

import importlib.machinery
import json
from pathlib import Path

import pytest

from quantbot.compiled import MANIFEST, MODULES, PURE_ENV, decide, source_digests, source_path

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def _tree(root: Path, *, built: tuple[str, ...] = MODULES, manifest: bool = True) -> Path:
    """A package directory holding every compiled module's source, the extensions of
    ``built`` and, with ``manifest``, the digests of the sources as they are now."""
    package = root / "quantbot"
    for module in MODULES:
        source = source_path(module, package)
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(f"NAME = {module!r}\n")
        if module in built:
            source.with_name(source.stem + SUFFIX).write_bytes(b"")
    if manifest:
        (package / MANIFEST).write_text(json.dumps(source_digests(package)))
    return package


def test_a_build_of_the_current_sources_runs_compiled(tmp_path: Path) -> None:
    assert decide(_tree(tmp_path)).compiled


def test_pure_python_when_asked_even_with_a_current_build(tmp_path: Path) -> None:
    status = decide(_tree(tmp_path), pure=True)
    assert not status.compiled
    assert status.reason == f"{PURE_ENV}=1"


def test_pure_python_without_a_build(tmp_path: Path) -> None:
    status = decide(_tree(tmp_path, built=(), manifest=False))
    assert not status.compiled
    assert "not compiled" in status.reason


@pytest.mark.parametrize(
    ("built", "manifest"),
    [(MODULES[1:], True), (MODULES, False)],
    ids=["one-missing", "no-manifest"],
)
def test_pure_python_when_the_build_is_incomplete(
    tmp_path: Path, built: tuple[str, ...], manifest: bool
) -> None:
    status = decide(_tree(tmp_path, built=built, manifest=manifest))
    assert not status.compiled
    assert "incomplete" in status.reason


@pytest.mark.parametrize("module", [MODULES[0], MODULES[-1]])
def test_pure_python_once_a_source_moved_away_from_its_build(tmp_path: Path, module: str) -> None:
    package = _tree(tmp_path)
    source = source_path(module, package)
    source.write_text(source.read_text() + "CHANGED = True\n")
    status = decide(package)
    assert not status.compiled
    assert status.reason.startswith(f"{source.relative_to(tmp_path)} changed")


@pytest.mark.parametrize("text", ["{not json", "[]"])
def test_pure_python_when_the_manifest_is_unreadable(tmp_path: Path, text: str) -> None:
    package = _tree(tmp_path)
    (package / MANIFEST).write_text(text)
    status = decide(package)
    assert not status.compiled
    assert status.reason.startswith(f"{MANIFEST} unreadable")
