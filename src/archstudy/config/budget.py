"""A plan's budget: its variants' costs against `limits`, its totals, its time left."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archstudy.config.cost import Cost, calibration, estimate, format_duration, wall_seconds
from archstudy.errors import ConfigError

if TYPE_CHECKING:  # build_plan calls check_limits: only the type comes from plan.py
    from archstudy.config.plan import Plan


def variant_costs(plan: Plan) -> dict[str, Cost]:
    """Each training job's cost, by variant id, with every seed the plan asks of it."""
    return {
        variant_id: estimate(hp, len(plan.seeds[variant_id]))
        for variant_id, hp in plan.hyperparameters.items()
    }


def _where(plan: Plan) -> dict[str, str]:
    """The key path of the first study variant naming each variant id."""
    where: dict[str, str] = {}
    for study in plan.studies.values():
        for member in study.variants:
            where.setdefault(member.variant_id, f"studies.{study.name}.variants.{member.name}")
    return where


def check_limits(plan: Plan, limits: Mapping[str, Any]) -> None:
    """Refuse a plan any of whose variants, or whose total, is over `limits`."""
    costs = variant_costs(plan)
    where = _where(plan)
    for variant_id, cost in costs.items():
        network = "-".join(map(str, [784, *plan.hyperparameters[variant_id].hidden, 10]))
        if cost.parameters > limits["max_parameters"]:
            raise ConfigError(
                f"invalid config: {where[variant_id]}: the network {network} has "
                f"{cost.parameters:,} parameters, more than limits.max_parameters = "
                f"{limits['max_parameters']:,} (accepted: a smaller network, or a higher limit)"
            )
        if cost.memory_gb > limits["max_memory_gb"]:
            raise ConfigError(
                f"invalid config: {where[variant_id]}: training {network} needs about "
                f"{cost.memory_gb:,.1f} GB of memory, more than limits.max_memory_gb = "
                f"{limits['max_memory_gb']:g} (accepted: a smaller network or batch, or a "
                f"higher limit)"
            )
    total_hours = sum(cost.hours for cost in costs.values())
    if total_hours > limits["max_hours"]:
        longest = max(costs, key=lambda variant_id: costs[variant_id].seconds)
        raise ConfigError(
            f"invalid config: studies: training would take about {total_hours:,.1f} hours on "
            f"one core, more than limits.max_hours = {limits['max_hours']:g} (the longest "
            f"job, {where[longest]}, about {costs[longest].hours:,.1f} h; accepted: fewer "
            f"epochs, seeds or variants, or a higher limit)"
        )


@dataclass(frozen=True)
class Totals:
    """What a plan's training adds up to."""

    jobs: int
    runs: int
    epochs: int  # over all runs, at most
    examples: float  # training examples seen, over all runs and epochs
    flops: float
    seconds: float  # one core, the calibration machine
    wall_seconds: float  # `cores` jobs side by side, longest first
    cores: int


def totals(costs: Mapping[str, Cost], cores: int | None = None) -> Totals:
    """Add up the jobs' costs; the wall time assumes `cores` (default: this machine's)."""
    cores = cores or os.cpu_count() or 1
    values = list(costs.values())
    return Totals(
        jobs=len(values),
        runs=sum(cost.runs for cost in values),
        epochs=sum(cost.runs * cost.epochs for cost in values),
        examples=sum(cost.runs * cost.epochs * cost.examples for cost in values),
        flops=sum(cost.flops for cost in values),
        seconds=sum(cost.seconds for cost in values),
        wall_seconds=wall_seconds(values, cores),
        cores=cores,
    )


def describe_totals(total: Totals, label: str = "training") -> str:
    """One line: the plan's training work and its rough time."""
    return (
        f"{label}: {total.runs:,} runs, {total.epochs:,} epochs at most, "
        f"{total.examples:,.0f} examples, {_flops(total.flops)}; roughly "
        f"{format_duration(total.seconds)} on one core, {format_duration(total.wall_seconds)} "
        f"on {_cores(total.cores)} (a rough estimate: machines differ by a factor of 2 or more)"
    )


def time_left(plan: Plan, finished: Mapping[str, Mapping[int, float]], cores: int) -> str:
    """One line: the training time the plan has left, scaled by the seeds already trained.

    `finished` maps a variant id to its trained seeds and the seconds each took here; the
    remaining work is the model's estimate times how far off the model was on them.
    """
    done: list[tuple[Cost, float]] = []
    remaining: dict[str, Cost] = {}
    for variant_id in plan.hyperparameters:
        trained = finished.get(variant_id, {})
        one_seed = estimate(plan.hyperparameters[variant_id], 1)
        done += [(one_seed, seconds) for seed, seconds in trained.items()]
        left = [seed for seed in plan.seeds[variant_id] if seed not in trained]
        if left:
            remaining[variant_id] = estimate(plan.hyperparameters[variant_id], len(left))
    factor = calibration(done)
    scaled = {
        variant_id: dataclasses.replace(cost, seconds=cost.seconds * factor)
        for variant_id, cost in remaining.items()
    }
    total = totals(scaled, cores)
    measured = f", scaled by {factor:.2f} from {len(done)} trained seeds" if done else ""
    return (
        f"training left: {total.runs:,} of {sum(map(len, plan.seeds.values())):,} runs, "
        f"roughly {format_duration(total.wall_seconds)} on {_cores(cores)}{measured}"
    )


def _flops(flops: float) -> str:
    return f"{flops / 1e12:,.1f} TFLOP" if flops >= 1e12 else f"{flops / 1e9:,.1f} GFLOP"


def _cores(cores: int) -> str:
    return "1 core" if cores == 1 else f"{cores} cores"
