"""Markdown reference of every config key, generated from the JSON schema so it cannot drift."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from archstudy.config.schema import load_schema

INTRODUCTION = """\
# Configuration reference

Generated from `src/archstudy/config/config.schema.yaml` by `archstudy schema-docs`; do not
edit by hand (a test fails when this file and the schema disagree).

A config has hyperparameter `defaults`, the `studies` to run, and optional `data`, `limits`
and `report` sections. A variant's settings are layered: built-in defaults (below), then the
config's `defaults`, then the study's `defaults`, then the variant's own keys. Unknown keys
are errors.
"""


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a local `$ref` such as `#/$defs/hyperparameters`."""
    reference = node.get("$ref")
    if not reference:
        return node
    target: Any = schema
    for part in reference.removeprefix("#/").split("/"):
        target = target[part]
    return {**target, **{key: value for key, value in node.items() if key != "$ref"}}


def _type(node: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    if "enum" in node:
        return "one of " + ", ".join(f"`{value}`" for value in node["enum"])
    if "oneOf" in node:
        return " or ".join(_type(_resolve(schema, option), schema) for option in node["oneOf"])
    kind = node.get("type", "any")
    if kind == "array":
        return f"list of {_type(_resolve(schema, node.get('items', {})), schema)}"
    if isinstance(kind, list):
        return " or ".join(kind)
    bounds = [
        f"{symbol} {node[key]}"
        for key, symbol in (
            ("minimum", "≥"),
            ("exclusiveMinimum", ">"),
            ("maximum", "≤"),
            ("exclusiveMaximum", "<"),
        )
        if key in node
    ]
    return str(kind) + (f" ({', '.join(bounds)})" if bounds else "")


def _rows(schema: Mapping[str, Any], node: Mapping[str, Any], prefix: str) -> Iterator[str]:
    for key, raw in node.get("properties", {}).items():
        child = _resolve(schema, raw)
        description = " ".join(str(child.get("description", "")).split()).replace("|", "\\|")
        default = f"`{json.dumps(child['default'])}`" if "default" in child else ""
        yield f"| `{prefix}{key}` | {_type(child, schema)} | {default} | {description} |"
        # Nested settings (an object, or an object allowed beside null) get rows of their own.
        options = [child, *(_resolve(schema, option) for option in child.get("oneOf", []))]
        for option in options:
            if option.get("type") == "object" and "properties" in option and key != "defaults":
                yield from _rows(schema, option, f"{prefix}{key}.")


def _table(schema: Mapping[str, Any], node: Mapping[str, Any], prefix: str = "") -> str:
    header = "| Key | Type | Default | Meaning |\n|:--|:--|:--|:--|"
    return "\n".join([header, *_rows(schema, node, prefix)])


def render() -> str:
    """The whole reference page."""
    schema = load_schema()
    definitions = schema["$defs"]
    sections = [
        INTRODUCTION,
        "## Top level\n\n" + _table(schema, schema),
        "## Hyperparameters\n\nValid in `defaults`, in a study's `defaults` and in each "
        "variant.\n\n" + _table(schema, definitions["hyperparameters"]),
        "## A study\n\nEach entry of `studies` (its name: "
        + " ".join(definitions["name"]["description"].split())
        + ").\n\n"
        + _table(schema, definitions["study"]),
    ]
    return "\n\n".join(sections) + "\n"
