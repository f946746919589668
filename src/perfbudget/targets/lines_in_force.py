"""Which approved target lines an item's monthly report and its self-evaluation answer: the
approved version's lines, or a department's overall aspects (S2.2.3). Targets own the rule;
monitoring and evaluations call it."""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from perfbudget.budget_items.models import BudgetItem, ItemKind
from perfbudget.errors import RuleViolation
from perfbudget.targets import repository as target_repository
from perfbudget.targets.models import TargetLine


def in_force(item: BudgetItem, lines: Sequence[TargetLine]) -> list[TargetLine] | None:
    """The lines a report answers, of the approved version's ``lines``: all of them (a
    department's overall report, its overall aspects, S2.2.3); None while none approved."""
    # an approved version has lines (filing refuses a set without them): none, none approved
    if not lines:
        return None
    if item.kind is ItemKind.department_overall:
        return [line for line in lines if line.category.is_overall_aspect]
    return list(lines)


def target_lines(session: Session, item: BudgetItem) -> list[TargetLine] | None:
    return in_force(item, target_repository.approved_lines(session, item.id))


def require_approved(lines: Sequence[TargetLine] | None) -> Sequence[TargetLine]:
    if lines is None:
        raise RuleViolation(
            "TARGETS_NOT_APPROVED",
            "Monitoring follows the approved performance targets; there are none yet (S2.2.2).",
            "绩效监控以批复的绩效目标为依据，该项目尚无批复的绩效目标（S2.2.2）。",
        )
    return lines
