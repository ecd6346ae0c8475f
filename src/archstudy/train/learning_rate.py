"""The rate a variant trains at, decided once: its LR range test's choice, else the configured one.

Also the owner of the LR range test's folder: the names of its files and the format of
choice.json, which the test writes, training reads and the report shows.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from archstudy.atomic import write_text
from archstudy.config.hyperparameters import Hyperparameters
from archstudy.errors import ConfigError

CURVE_FILE = "curve.csv"
CHOICE_FILE = "choice.json"
FIGURE_FILE = "lr_range.png"
LR_RANGE_FILES = (CURVE_FILE, CHOICE_FILE, FIGURE_FILE)

CHOSEN_BY_TEST = "LR range test"
CHOSEN_BY_CONFIG = "config"


@dataclass(frozen=True)
class Choice:
    """What an LR range test decided (choice.json)."""

    variant_id: str
    rate_at_minimum_loss: float
    chosen_learning_rate: float
    pick: str
    batches: int


def write_choice(choice: Choice, path: Path) -> None:
    write_text(path, json.dumps(asdict(choice), indent=2) + "\n")


def read_choice(path: Path) -> Choice:
    return Choice(**json.loads(Path(path).read_text()))


def training_rate(hyperparameters: Hyperparameters, choice_file: Path | None) -> float:
    """The rate to train at: the LR range test's choice when the variant has one, else the
    configured rate. The one place this is decided; training receives the value."""
    if choice_file is not None:
        return read_choice(choice_file).chosen_learning_rate
    if hyperparameters.learning_rate is None:
        raise ConfigError(
            f"variant {hyperparameters.variant_id} has no learning_rate and no LR range test "
            "choice; set learning_rate or lr_range_test"
        )
    return hyperparameters.learning_rate


def chosen_by(hyperparameters: dict[str, Any]) -> str:
    """Who chose a run's rate, from its recorded hyperparameters: the range test or the config."""
    return CHOSEN_BY_TEST if hyperparameters.get("lr_range_test") else CHOSEN_BY_CONFIG
