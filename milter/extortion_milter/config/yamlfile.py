"""YAML loading that remembers the line of every mapping key and list item.

Validation errors must name file:line, so the loader wraps mappings in `Node` dicts
that carry the line of each key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError


class LineDict(dict[str, Any]):
    """A mapping from YAML that knows where it and each of its keys were written."""

    path: str = "<string>"
    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    path: str = "<string>"
    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


# libyaml parses the large rule packs several times faster than the pure-Python scanner;
# its nodes carry the same marks, so line numbers are unchanged.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _make_loader(path: str) -> type[yaml.SafeLoader]:
    class Loader(_BaseLoader):  # type: ignore[valid-type,misc]
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
        result = LineDict()
        result.path = path
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        loader.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise ConfigError(
                    path, key_node.start_mark.line + 1, str(key), "keys must be strings"
                )
            if key in result:
                raise ConfigError(path, key_node.start_mark.line + 1, key, "duplicate key")
            result[key] = loader.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LineList:
        result = LineList(loader.construct_object(child, deep=True) for child in node.value)
        result.path = path
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_sequence)
    return Loader


def load_yaml_text(text: str, path: str) -> Any:
    try:
        return yaml.load(text, Loader=_make_loader(path))  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(path, line, None, f"YAML syntax: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(path, None, None, f"YAML syntax: {exc}") from exc


def load_yaml_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), None, None, f"cannot read: {exc}") from exc
    return load_yaml_text(text, str(path))
