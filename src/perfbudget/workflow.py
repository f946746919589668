"""Explicit state transition tables, checked in one function."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from perfbudget.errors import RuleViolation
from perfbudget.versioning import check_version

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


@dataclass(frozen=True)
class ReviewChain(Generic[S]):
    """The S3 review chain of one kind of object: its transitions, and where the owner's
    submission goes: to the parent department when a unit files, else to finance."""

    entity_en: str
    entity_zh: str
    transitions: Mapping[S, frozenset[S]]
    department_review: S
    finance_review: S

    def check(self, current: S, target: S) -> None:
        check_transition(self.transitions, self.entity_en, self.entity_zh, current, target)

    def route(self, by_unit: bool) -> S:
        return self.department_review if by_unit else self.finance_review

    def check_submission(
        self, current: S, version: int, *, by_unit: bool, expected: int | None, if_match: str | None
    ) -> S:
        """The state a submission moves to, once the move and the version read are checked."""
        route = self.route(by_unit)
        self.check(current, route)
        check_version(version, expected, if_match)
        return route
