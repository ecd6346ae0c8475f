"""The config's JSON schema: loading it, checking a config against it, its defaults."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import yaml

from archstudy.errors import ConfigError

SCHEMA_FILE = "config.schema.yaml"
MAX_ERRORS = 50


@cache
def load_schema() -> dict[str, Any]:
    """The JSON schema shipped with the package."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = yaml.safe_load(text)
    return schema


def schema_path() -> str:
    """The schema's file path (for `snakemake.utils.validate`)."""
    return str(resources.files(__package__).joinpath(SCHEMA_FILE))


def key_path(parts: Sequence[str | int]) -> str:
    """Render a path inside the config as `studies.depth.variants.d3.hidden[1]`."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def describe(value: Any) -> str:
    """A value as a message shows it: short, never a whole list or a 4,000-digit integer."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63:
        digits = len(str(abs(value))) if value.bit_length() < 14_000 else "thousands of"
        return f"an integer of {digits} digits"
    text = repr(value)
    if len(text) <= 60:
        return text
    if isinstance(value, list | dict):
        kind = "a list of" if isinstance(value, list) else "a mapping of"
        return f"{kind} {len(value):,} {'items' if isinstance(value, list) else 'keys'}"
    return f"{text[:40]}... ({len(text):,} characters)"


def _describe(error: jsonschema.ValidationError) -> str:
    """One line: where, what was found, what is accepted."""
    where = key_path(list(error.absolute_path))
    value = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        unknown = sorted(set(value) - set(allowed), key=str) if isinstance(value, dict) else []
        accepted = ", ".join(allowed) if allowed else "names as described in the schema"
        return (
            f"{where}: unknown key {unknown[0]!r} (accepted: {accepted})"
            if unknown
            else (f"{where}: {error.message}")
        )
    if error.validator == "pattern" and "https" in str(error.validator_value):
        return f"{where}: {value!r} is not an accepted URL (accepted: https:// or file:// URLs)"
    if error.validator == "propertyNames" or error.validator == "pattern":
        bad = value if error.validator == "pattern" else error.message.split("'")[1]
        return (
            f"{where}: {bad!r} is not an accepted name (letters, digits, '_', '-', '.', "
            f"starting with a letter or digit, at most 64 characters)"
        )
    if error.validator == "enum":
        accepted = ", ".join(map(str, error.validator_value))
        return f"{where}: {value!r} is not accepted (accepted: {accepted})"
    if error.validator == "anyOf" and "variants" in str(error.validator_value):
        return f"{where}: the study has no variants (accepted: a `variants` mapping or a `grid`)"
    if error.validator == "oneOf" and error.context:
        # Report the branch that went deepest: it is the one the user most likely meant.
        deepest = max(error.context, key=lambda sub: len(list(sub.absolute_path)))
        return _describe(deepest)
    description = schema.get("description", "")
    hint = f" ({description.split('.')[0].strip()})" if description else ""
    message = error.message
    if error.validator == "maxItems":
        message = f"{describe(value)} is more than the {error.validator_value} accepted"
    elif len(message) > 200:  # jsonschema repeats the whole value: say what it is instead
        rule = f"{error.validator}: {error.validator_value}"
        message = f"{describe(value)} is not accepted by `{rule}`"
    return f"{where}: {message}{hint}"


def validate(config: Mapping[str, Any]) -> None:
    """Check `config` against the schema; raise ConfigError with one precise line."""
    validator = jsonschema.Draft202012Validator(load_schema())
    # The best of the first errors: a list of thousands of bad items must not take minutes.
    errors = itertools.islice(validator.iter_errors(config), MAX_ERRORS)
    error = jsonschema.exceptions.best_match(errors)
    if error is not None:
        raise ConfigError(f"invalid config: {_describe(error)}")


def schema_defaults(node: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The `default` of each property of a schema object node (top level by default)."""
    node = load_schema() if node is None else node
    return {
        key: prop["default"]
        for key, prop in node.get("properties", {}).items()
        if "default" in prop
    }
