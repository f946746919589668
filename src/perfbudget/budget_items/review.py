"""The S3 review chain of a budget request: submission with its targets, the parent
department's review of a unit's request and finance's return; each move on the item's own
history and on the audit trail."""

from collections.abc import Callable

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.audit import service as audit
from perfbudget.budget_items import repository, rules
from perfbudget.budget_items.access import get_locked_item
from perfbudget.budget_items.models import BudgetItem, ItemEvent, ItemStatus
from perfbudget.budget_items.schemas import ReturnRequest, ReviewDecision
from perfbudget.principal import Actor
from perfbudget.targets import service as target_service
from perfbudget.versioning import check_version
from perfbudget.workflow import ReviewChain

CHAIN = ReviewChain(
    "budget item",
    "预算项目",
    states=ItemStatus,
    outcomes=(ItemStatus.funded, ItemStatus.rejected),
    audited=BudgetItem,
    recorder=audit.record,
)


def _history(
    session: Session, actor: Actor, item: BudgetItem, action: str, reason: str | None
) -> Callable[[ItemStatus], None]:
    """The item's own record of a move, written with it."""

    def write(previous: ItemStatus) -> None:
        repository.add_event(
            session,
            ItemEvent(
                item_id=item.id,
                from_status=previous.value,
                to_status=item.status.value,
                action=action,
                reason=reason,
                user_id=actor.user_id,
                occurred_at=clock.utcnow(),
            ),
        )

    return write


def move(
    session: Session,
    actor: Actor,
    item: BudgetItem,
    target: ItemStatus,
    action: str,
    reason: str | None = None,
) -> None:
    CHAIN.move_to(
        session,
        actor,
        item,
        target,
        action,
        reason=reason,
        journal=_history(session, actor, item, action, reason),
    )


def _send_back(
    session: Session, actor: Actor, item: BudgetItem, reason: str | None, action: str
) -> None:
    CHAIN.send_back(
        session,
        actor,
        item,
        ItemStatus.returned,
        action,
        reason,
        journal=_history(session, actor, item, action, reason),
    )


def submit_item(
    session: Session, actor: Actor, item_id: int, expected_version: int | None
) -> BudgetItem:
    item = get_locked_item(session, actor, item_id)
    rules.require_owner_side(actor, item)
    check_version(item.version, expected_version)
    CHAIN.check(item.status, ItemStatus.submitted)
    target_service.submit_with_item(session, actor, item)
    item.submitted_at = clock.utcnow()
    item.return_reason = None
    move(session, actor, item, ItemStatus.submitted, "submitted")
    move(session, actor, item, CHAIN.route(rules.needs_department_review(item)), "routed")
    return item


def department_review(
    session: Session, actor: Actor, item_id: int, data: ReviewDecision, expected_version: int | None
) -> BudgetItem:
    item = get_locked_item(session, actor, item_id)
    rules.require_parent_reviewer(actor, item)
    _check_reviewer(session, actor, item)
    check_version(item.version, expected_version)
    if data.decision == "approve":
        move(session, actor, item, ItemStatus.finance_review, "department_approved", data.reason)
    else:
        _send_back(session, actor, item, data.reason, "department_returned")
    target_service.follow_item(session, item, item.status, data.reason)
    return item


def return_item(
    session: Session, actor: Actor, item_id: int, data: ReturnRequest, expected_version: int | None
) -> BudgetItem:
    """Finance sends the request back for changes."""
    item = get_locked_item(session, actor, item_id)
    _check_reviewer(session, actor, item)
    check_version(item.version, expected_version)
    if item.status is not ItemStatus.finance_review:
        CHAIN.check(item.status, ItemStatus.returned)
    _send_back(session, actor, item, data.reason, "finance_returned")
    target_service.follow_item(session, item, item.status, data.reason)
    return item


def _check_reviewer(session: Session, actor: Actor, item: BudgetItem) -> None:
    """S3 over all that the review decides: the item and the targets that move with it."""
    following = target_service.following_set(session, item)
    CHAIN.check_reviewer(actor.user_id, *target_service.request_authors(item, following))
