"""Build hook: compile the engine's hot modules with mypyc (see src/quantbot/compiled.py).

Every extension is optional: without a C compiler, or with ``QUANTBOT_PURE_PYTHON=1``,
quantbot installs as pure Python and gives the same results, only slower. After a
build, the SHA-256 of each compiled source is written beside the package
(``compiled.json``) so that quantbot ignores a build its sources have moved away from.
"""

from __future__ import annotations

import functools
import json
import os
import runpy
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
PACKAGE = ROOT / "src" / "quantbot"
COMPILED = runpy.run_path(str(PACKAGE / "compiled.py"))


@functools.cache
def mypyc_extensions() -> list[Extension]:
    """The mypyc extensions, or none when pure Python is asked for or mypyc is missing."""
    if os.environ.get(COMPILED["PURE_ENV"]) == "1":
        return []
    try:
        from mypyc.build import mypycify  # noqa: PLC0415 - optional: absent means pure Python
    except ImportError:
        return []
    sources = [
        str(COMPILED["source_path"](m, PACKAGE).relative_to(ROOT)) for m in COMPILED["MODULES"]
    ]
    # The build environment holds mypy only: the project's mypy settings (with their
    # pydantic plugin) stay for the linters, and libraries absent here count as untyped.
    options = ["--config-file=", "--ignore-missing-imports", "--follow-imports=silent"]
    built: list[Extension] = mypycify(
        [*options, *sources], opt_level="3", debug_level="0", group_name="quantbot_core"
    )
    for extension in built:
        extension.optional = True
    return built


BUILDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "install", "develop"}
"""Commands that build extensions; reading the metadata runs none of them."""


class BuildExt(build_ext):
    """Runs mypyc only when a build was asked for, then records the sources.

    Listing a project's files finalizes this command too (pip asks for the metadata
    before it builds), so the real extensions replace the stand-in only in a build.
    """

    def finalize_options(self) -> None:
        """Swap the stand-in for the mypyc extensions when building."""
        if BUILDS & set(self.distribution.commands):
            self.distribution.ext_modules = mypyc_extensions()
        super().finalize_options()

    def run(self) -> None:
        """Build, then write the manifest if every extension was built."""
        outputs = [Path(self.get_ext_fullpath(e.name)) for e in self.extensions]
        # A failed compile must not leave an older build looking current, nor may a module
        # dropped from the list keep an extension that Python would load instead of it.
        stale = outputs
        if self.inplace:
            stale = [p for s in EXTENSION_SUFFIXES for p in PACKAGE.parent.rglob(f"*{s}")]
        for output in stale:
            output.unlink(missing_ok=True)
        super().run()
        if not outputs or not all(p.exists() for p in outputs):
            return
        target = PACKAGE if self.inplace else Path(self.build_lib) / "quantbot"
        digests = COMPILED["source_digests"](PACKAGE)
        (target / COMPILED["MANIFEST"]).write_text(json.dumps(digests, indent=1), encoding="utf-8")


# A stand-in until build_ext runs: it marks the wheel as platform-specific.
setup(
    ext_modules=[Extension("quantbot_core__mypyc", sources=[])],
    cmdclass={"build_ext": BuildExt},
)
