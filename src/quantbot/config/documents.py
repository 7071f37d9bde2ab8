"""Reading one configuration file (YAML or JSON) into plain data plus a line index.

The line index maps a key path such as ``("grid_strategy", "pairs", 1, "num_grids")``
to the 1-based line where the parser saw it, so every later error can point at the
exact line. JSON is parsed by the same YAML 1.2 parser (after a strict JSON syntax
check), which is what gives JSON files line numbers too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from quantbot.config.errors import ConfigIssue

__all__ = ["Document", "KeyPath", "format_path", "parse_path", "read_document"]

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """A parsed configuration file.

    Attributes:
        display_name: how error messages name the file.
        data: the content as plain dicts, lists, str, int, float, bool and None.
        lines: 1-based line of each key path the parser located.
    """

    display_name: str
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int | None:
        """Line of ``path`` or of its closest located ancestor (for missing keys)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def format_path(path: KeyPath) -> str:
    """Render a key path the way users write it: ``grid_strategy.pairs[1].num_grids``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def parse_path(text: str) -> KeyPath:
    """Inverse of :func:`format_path` (for paths named in cross-field rules)."""
    parts: list[str | int] = []
    for chunk in text.split("."):
        name, _, rest = chunk.partition("[")
        if name:
            parts.append(name)
        for index in filter(None, rest.replace("]", "").split("[")):
            parts.append(int(index))
    return tuple(parts)


def read_document(path: Path, display_name: str) -> Document | ConfigIssue:
    """Parse ``path`` as YAML (``.yaml``/``.yml``) or JSON (``.json``).

    Returns:
        The document, or a :class:`ConfigIssue` describing why it cannot be parsed
        (syntax error, duplicate key, unreadable file).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return ConfigIssue(display_name, "", f"cannot be read: {exc}")
    if path.suffix == ".json":
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            return ConfigIssue(display_name, "", f"is not valid JSON: {exc.msg}", exc.lineno)
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "syntax error"
        return ConfigIssue(display_name, "", f"is not valid YAML: {problem}", line)
    except YAMLError as exc:
        return ConfigIssue(display_name, "", f"is not valid YAML: {exc}")
    lines: dict[KeyPath, int] = {}
    data = _plain(node, (), lines)
    if data is None:
        data = {}
    return Document(display_name, data, lines)


def _plain(node: Any, path: KeyPath, lines: dict[KeyPath, int]) -> Any:
    """Convert ruamel's round-trip nodes to plain Python values, recording key lines."""
    if isinstance(node, dict):
        result: dict[Any, Any] = {}
        for key, value in node.items():
            child = (*path, str(key))
            position = _position(node, "key", key)
            if position is not None:
                lines[child] = position
            result[key] = _plain(value, child, lines)
        return result
    if isinstance(node, list):
        items = []
        for index, value in enumerate(node):
            child = (*path, index)
            position = _position(node, "item", index)
            if position is not None:
                lines[child] = position
            items.append(_plain(value, child, lines))
        return items
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def _position(node: Any, kind: str, key: Any) -> int | None:
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        line, _column = getattr(lc, kind)(key)
    except (KeyError, IndexError, TypeError):
        return None
    return int(line) + 1
