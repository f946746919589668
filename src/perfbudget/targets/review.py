"""Targets up the S3 review chain: filed with the request (S2.2.2) or on their own (an
overall budget's, an adjustment), reviewed by the parent department and by finance; the
original set moves with its item."""

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import rules
from perfbudget.budget_items.models import BudgetItem, ItemKind, ItemStatus
from perfbudget.errors import RuleViolation
from perfbudget.principal import Actor
from perfbudget.targets import repository
from perfbudget.targets.checking import require_passed
from perfbudget.targets.filing import CHAIN, EDITABLE
from perfbudget.targets.models import TargetSet, TargetSetStatus
from perfbudget.targets.schemas import TargetReview
from perfbudget.targets.versions import current_set
from perfbudget.versioning import check_version


def _file(session: Session, actor: Actor, item: BudgetItem, target_set: TargetSet) -> None:
    """Run the filing checks and send the set up the chain (parent department, then finance)."""
    require_passed(session, item, target_set)
    route = CHAIN.route(rules.needs_department_review(item))
    target_set.submitted_at = clock.utcnow()
    target_set.return_reason = None
    CHAIN.move_to(session, actor, target_set, route, "submitted", changes={"status": route.value})


def submit_with_item(session: Session, actor: Actor, item: BudgetItem) -> None:
    """S2.2.2: every project and policy request carries its targets."""
    if item.kind is ItemKind.department_overall:
        return
    target_set = repository.current(session, item.id)
    if target_set is None:
        raise RuleViolation(
            "TARGETS_REQUIRED",
            "A budget request is filed with its performance targets (S2.2.2).",
            "预算申请须同时报送绩效目标（S2.2.2）。",
        )
    if target_set.status in EDITABLE:
        _file(session, actor, item, target_set)


def submit_targets(
    session: Session, actor: Actor, item_id: int, expected_version: int | None
) -> TargetSet:
    item = item_access.get_item(session, actor, item_id)
    rules.require_owner_side(actor, item)
    target_set = current_set(session, actor, item_id)
    check_version(target_set.version, expected_version)
    if _follows(item, target_set) and item.status in (ItemStatus.draft, ItemStatus.returned):
        raise RuleViolation(
            "SUBMIT_WITH_ITEM",
            "These targets go with the budget request: submit the item (S2.2.2).",
            "该绩效目标随预算申请一并报送，请提交预算项目（S2.2.2）。",
        )
    if target_set.status not in EDITABLE:
        CHAIN.check(target_set.status, TargetSetStatus.finance_review)
    _file(session, actor, item, target_set)
    return target_set


def department_review(
    session: Session, actor: Actor, item_id: int, data: TargetReview, expected_version: int | None
) -> TargetSet:
    item = item_access.get_item(session, actor, item_id)
    rules.require_parent_reviewer(actor, item)
    target_set = current_set(session, actor, item_id)
    CHAIN.check_reviewer(actor.user_id, *request_authors(item, target_set))
    check_version(target_set.version, expected_version)
    _review(session, actor, target_set, data, TargetSetStatus.department_review)
    return target_set


def finance_review(
    session: Session, actor: Actor, item_id: int, data: TargetReview, expected_version: int | None
) -> TargetSet:
    item = item_access.get_item(session, actor, item_id)
    target_set = current_set(session, actor, item_id)
    CHAIN.check_reviewer(actor.user_id, *request_authors(item, target_set))
    check_version(target_set.version, expected_version)
    previous = repository.approved(session, item_id)
    _review(session, actor, target_set, data, TargetSetStatus.finance_review)
    if data.decision == "approve":
        if previous is not None and previous.id != target_set.id:
            CHAIN.step_to(previous, TargetSetStatus.superseded)
        target_set.approved_at = clock.utcnow()
        target_set.approved_by_id = actor.user_id
        session.flush()
    return target_set


# what a review's approval moves the set to, by the review it is in
_APPROVED_TO = {
    TargetSetStatus.department_review: TargetSetStatus.finance_review,
    TargetSetStatus.finance_review: TargetSetStatus.approved,
}


def _review(
    session: Session,
    actor: Actor,
    target_set: TargetSet,
    data: TargetReview,
    stage: TargetSetStatus,
) -> None:
    approve = data.decision == "approve"
    target = _APPROVED_TO[stage] if approve else TargetSetStatus.returned
    if target_set.status is not stage:
        CHAIN.check(target_set.status, target)
    action = f"{stage.value}_{data.decision}"
    changes = {"status": target.value, "reason": data.reason}
    if approve:
        CHAIN.move_to(session, actor, target_set, target, action, changes=changes)
    else:
        CHAIN.send_back(session, actor, target_set, target, action, data.reason, changes=changes)


def _follows(item: BudgetItem, target_set: TargetSet) -> bool:
    """The first set of a project or policy is filed with the request (S2.2.2) and moves with
    it; an overall budget's targets and any adjustment go their own way."""
    return item.kind is not ItemKind.department_overall and target_set.number == 1


def following_set(session: Session, item: BudgetItem) -> TargetSet | None:
    target_set = repository.current(session, item.id)
    return target_set if target_set is not None and _follows(item, target_set) else None


def request_authors(item: BudgetItem, target_set: TargetSet | None) -> tuple[int | None, ...]:
    """Who prepared what a review decides: a set that moves with its item is one request
    with it, so reviewing either decides on both authors' work (S3)."""
    if target_set is None:
        return (item.created_by_id,)
    if _follows(item, target_set):
        return (item.created_by_id, target_set.created_by_id)
    return (target_set.created_by_id,)


def follow_item(
    session: Session, item: BudgetItem, item_status: ItemStatus, reason: str | None
) -> None:
    """Keep the original target set in step when the item itself moves up or back."""
    target_set = following_set(session, item)
    if target_set is None:
        return
    if (
        item_status is ItemStatus.finance_review
        and target_set.status is TargetSetStatus.department_review
    ):
        CHAIN.step_to(target_set, TargetSetStatus.finance_review)
    elif item_status is ItemStatus.returned and target_set.status in (
        TargetSetStatus.department_review,
        TargetSetStatus.finance_review,
    ):
        CHAIN.step_to(target_set, TargetSetStatus.returned)
        target_set.return_reason = reason
    session.flush()
