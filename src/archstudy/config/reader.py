"""Reading a config file strictly: YAML errors with line and column, repeated keys refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from archstudy.errors import ConfigError

# Bounds no honest config reaches (the notebook studies are a few kilobytes, about 10 levels
# deep, a few hundred values), so a hostile file is refused at once instead of hanging.
MAX_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_VALUES = 20_000  # values in the document with every alias expanded


class _StrictLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types
    """YAML's safe loader, but a repeated key is an error (YAML keeps the last one silently).

    It also counts, while composing, how deep the document nests and how many values it
    holds with every alias expanded: an alias "bomb" is a few lines that expand to billions
    of values, which anything walking the config later would visit one by one.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._expanded = 0  # values so far, each alias counted as everything it stands for
        self._sizes: dict[int, int] = {}  # node id -> values it holds, aliases expanded

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        alias = isinstance(event, yaml.AliasEvent) and event.anchor in self.anchors
        size = self._sizes.get(id(self.anchors[event.anchor]), 1) if alias else 1
        if self._expanded + size > MAX_VALUES:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"{'aliases expand the document to' if alias else 'the document holds'} more "
                f"than {MAX_VALUES:,} values (accepted: at most {MAX_VALUES:,}; a study needs "
                "a few hundred)",
                event.start_mark,
            )
        self._expanded += size
        if alias:
            node: yaml.Node = super().compose_node(parent, index)
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"nested more than {MAX_DEPTH} levels deep (accepted: at most {MAX_DEPTH})",
                event.start_mark,
            )
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._sizes[id(node)] = 1 + sum(self._sizes.get(id(child), 1) for child in _children(node))
        return node

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        try:
            value: int = super().construct_yaml_int(node)
        except ValueError:  # Python refuses to parse integers of over 4,300 digits
            raise yaml.constructor.ConstructorError(
                None, None, "an integer too long to read (accepted: a few digits)", node.start_mark
            ) from None
        return value

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` merges keys that the mapping's own keys may override
            key = self.construct_object(key_node, deep=deep)
            if key in first_line:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first defined on line {first_line[key]})",
                    key_node.start_mark,
                )
            first_line[key] = key_node.start_mark.line + 1
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)


def _children(node: yaml.Node) -> list[yaml.Node]:
    """The nodes directly inside a sequence or mapping (keys and values)."""
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _read_bounded(path: Path) -> str:
    """The file's text, refused past MAX_BYTES (without reading an endless file to its end)."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config file ({error.strerror})") from None
    if len(data) > MAX_BYTES:
        head = data[:MAX_BYTES]
        line = head.count(b"\n") + 1
        column = len(head) - (head.rfind(b"\n") + 1) + 1
        raise ConfigError(
            f"{path}: line {line}, column {column}: the file is larger than {MAX_BYTES:,} "
            f"bytes (accepted: at most {MAX_BYTES:,}; a study needs a few thousand)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        head = data[: error.start]
        line = head.count(b"\n") + 1
        column = len(head) - (head.rfind(b"\n") + 1) + 1
        raise ConfigError(
            f"{path}: line {line}, column {column}: not UTF-8 text (accepted: a UTF-8 file)"
        ) from None


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML config strictly: syntax errors and repeated keys name the line and column."""
    path = Path(path)
    text = _read_bounded(path)
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = error.problem or error.context or "not valid YAML"
        raise ConfigError(f"{path}: {where}: {problem}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({error})") from None
    if isinstance(data, dict) and "__use_yte__" in data:
        # Snakemake would evaluate such a file as a template: config is data, never code.
        raise ConfigError(f"{path}: __use_yte__ is not accepted (a config holds data, not code)")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected keys such as `studies:` at the top level")
    return data
