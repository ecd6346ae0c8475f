"""Reading a config file strictly: YAML errors with line and column, repeated keys refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from archstudy.errors import ConfigError


class _StrictLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types
    """YAML's safe loader, but a repeated key is an error (YAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
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


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML config strictly: syntax errors and repeated keys name the line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config file ({error.strerror})") from None
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
