"""Explicit state transition tables and the S3 review chain, each rule checked in one function."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from perfbudget.errors import Forbidden, RuleViolation
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


def check_reviewer(
    entity_en: str, entity_zh: str, reviewer_id: int | None, author_ids: Iterable[int | None]
) -> None:
    """S3: each review is someone else's check, so whoever wrote the object does not decide
    on it at any step. An unrecorded author or reviewer (the CLI, older rows) matches no one."""
    if reviewer_id is not None and reviewer_id in set(author_ids):
        raise Forbidden(
            "SAME_PERSON_REVIEW",
            f"Whoever prepared a {entity_en} does not review it; another reviewer decides (S3).",
            f"{entity_zh}的编报人不得审核本人编报的材料，须由他人审核（S3）。",
        )


def _label(state: StrEnum) -> str:
    return getattr(state, "label_zh", state.value)


@dataclass(frozen=True)
class ReviewChain(Generic[S]):
    """The S3 review chain of one kind of object: its transitions, who may not review it, and
    where the owner's submission goes: to the parent department when a unit files, else to
    finance."""

    entity_en: str
    entity_zh: str
    transitions: Mapping[S, frozenset[S]]
    department_review: S
    finance_review: S

    def check(self, current: S, target: S) -> None:
        check_transition(self.transitions, self.entity_en, self.entity_zh, current, target)

    def check_reviewer(self, reviewer_id: int | None, *author_ids: int | None) -> None:
        check_reviewer(self.entity_en, self.entity_zh, reviewer_id, author_ids)

    def route(self, by_unit: bool) -> S:
        return self.department_review if by_unit else self.finance_review

    def check_submission(
        self, current: S, version: int, *, by_unit: bool, expected_version: int | None
    ) -> S:
        """The state a submission moves to, once the move and the version read are checked."""
        route = self.route(by_unit)
        self.check(current, route)
        check_version(version, expected_version)
        return route
