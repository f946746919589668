"""Explicit state transition tables, checked in one function."""

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from perfbudget.errors import RuleViolation

S = TypeVar("S", bound=StrEnum)


def check_transition(
    table: Mapping[S, frozenset[S]], entity_en: str, entity_zh: str, current: S, target: S
) -> None:
    if target not in table.get(current, frozenset()):
        raise RuleViolation(
            "INVALID_TRANSITION",
            f"A {entity_en} cannot go from {current.value} to {target.value}.",
            f"{entity_zh}不能从“{_label(current)}”变为“{_label(target)}”。",
            extra={"from": current.value, "to": target.value},
        )


def _label(state: StrEnum) -> str:
    return getattr(state, "label_zh", state.value)
