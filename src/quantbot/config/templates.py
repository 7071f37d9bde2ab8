"""Rendering of the default configuration files from the models.

The models are the single source of the defaults: ``quantbot config init`` writes these
files, the repository's ``config/`` directory holds exactly them (a test keeps it so),
and the embedded default configuration is the models with no file at all.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from quantbot.config.loader import CONFIG_FILES

__all__ = ["render_default_files", "render_yaml", "yaml_scalar"]

_HEADER = (
    "# quantbot {stem} — every key is documented in docs/configuration.md.\n"
    "# Secrets never go here: name environment variables (*_env keys) or use ${{VAR}}.\n"
)


def render_default_files() -> dict[str, str]:
    """File name → YAML text of every configuration file with its default content."""
    return {f"{stem}.yaml": render_yaml(model(), stem) for stem, model in CONFIG_FILES.items()}


def render_yaml(model: BaseModel, stem: str) -> str:
    """Render ``model`` as commented YAML; the comment above a key is its description."""
    return _HEADER.format(stem=stem) + "".join(_mapping(model, 0))


def _mapping(model: BaseModel, indent: int, commented: bool = True) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if commented and info.description:
            lines.append(f"{pad}# {info.description}\n")
        lines += _entry(name, value, indent, commented)
    return lines


def _entry(name: str, value: Any, indent: int, commented: bool) -> list[str]:
    pad = " " * indent
    if isinstance(value, BaseModel):
        return [f"{pad}{name}:\n", *_mapping(value, indent + 2, commented)]
    if isinstance(value, dict) and value:
        lines = [f"{pad}{name}:\n"]
        for key, item in value.items():
            lines += _entry(key, item, indent + 2, commented=False)
        return lines
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        lines = [f"{pad}{name}:\n"]
        for item in value:
            body = _mapping(item, indent + 4, commented=False)
            lines.append(f"{pad}  - {body[0].lstrip()}")
            lines += body[1:]
        return lines
    return [f"{pad}{name}: {yaml_scalar(value)}\n"]


def yaml_scalar(value: Any) -> str:
    """A YAML scalar (or flow list of scalars) that reads back as exactly ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(yaml_scalar(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)
