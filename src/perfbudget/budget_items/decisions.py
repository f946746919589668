"""Finance's funding decision on a budget request (S1.3) and the gates before it: the
decision is refused while a blocking gate is unsatisfied, and the same gates explain why."""

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.budget_items import gates
from perfbudget.budget_items.access import get_item, get_locked_item
from perfbudget.budget_items.models import BudgetItem, ItemStatus
from perfbudget.budget_items.reading import gate_context
from perfbudget.budget_items.review import CHAIN, move
from perfbudget.budget_items.schemas import BudgetDecisionRequest, GateRead, GatesRead
from perfbudget.errors import RuleViolation, Unprocessable
from perfbudget.events import service as events
from perfbudget.events.models import EventType
from perfbudget.principal import Actor
from perfbudget.versioning import check_version


def item_gates(session: Session, actor: Actor, item_id: int) -> GatesRead:
    item = get_item(session, actor, item_id)
    results = gates.evaluate(gate_context(session, item))
    return GatesRead(
        item_id=item.id,
        passed=not gates.blocking_failures(results),
        gates=[_gate_read(gate) for gate in results],
    )


def _gate_read(gate: gates.Gate) -> GateRead:
    return GateRead(
        code=gate.code,
        clause=gate.clause,
        satisfied=gate.satisfied,
        blocking=gate.blocking,
        message=gate.message,
    )


def decide(
    session: Session,
    actor: Actor,
    item_id: int,
    data: BudgetDecisionRequest,
    expected_version: int | None,
) -> BudgetItem:
    item = get_locked_item(session, actor, item_id)
    CHAIN.check_reviewer(actor.user_id, item.created_by_id)
    check_version(item.version, expected_version)
    if data.decision == "reject":
        _check_rejection(item, data)
        item.approved_amount = None
    else:
        _check_funding(session, item, data)
        item.approved_amount = data.approved_amount
    item.decision_reason = data.reason
    item.decided_by_id = actor.user_id
    item.decided_at = clock.utcnow()
    funded = data.decision == "fund"
    outcome, action = (ItemStatus.funded, "funded") if funded else (ItemStatus.rejected, "rejected")
    move(session, actor, item, outcome, action, data.reason)
    _announce(session, item, data)
    return item


def _check_rejection(item: BudgetItem, data: BudgetDecisionRequest) -> None:
    if not (data.reason or "").strip():
        raise Unprocessable(
            "REASON_REQUIRED", "Give the reasons for the rejection.", "不予安排须说明理由。"
        )
    CHAIN.check(item.status, ItemStatus.rejected)


def _check_funding(session: Session, item: BudgetItem, data: BudgetDecisionRequest) -> None:
    CHAIN.check(item.status, ItemStatus.funded)
    _check_amount(item, data)
    context = gate_context(session, item)
    failures = gates.blocking_failures(gates.evaluate(context, data.approved_amount))
    if failures:
        first = failures[0]
        raise RuleViolation(
            first.code,
            first.en,
            first.zh,
            extra={
                "clause": first.clause,
                "gates": [_gate_read(gate).model_dump() for gate in failures],
            },
        )


def _check_amount(item: BudgetItem, data: BudgetDecisionRequest) -> None:
    if data.approved_amount is None:
        raise Unprocessable(
            "APPROVED_AMOUNT_REQUIRED", "State the approved amount.", "须填写批复金额。"
        )
    if data.approved_amount > item.requested_amount and not (data.reason or "").strip():
        raise Unprocessable(
            "REASON_REQUIRED",
            "Approving more than was requested needs a reason.",
            "批复金额超过申请金额须说明理由。",
        )


def _announce(session: Session, item: BudgetItem, data: BudgetDecisionRequest) -> None:
    events.emit(
        session,
        EventType.budget_decided,
        {
            "item_id": item.id,
            "code": item.code,
            "name": item.name,
            "organisation_code": item.organisation.code,
            "fiscal_year": item.fiscal_year.year,
            "decision": data.decision,
            "approved_amount": None if item.approved_amount is None else str(item.approved_amount),
        },
    )
