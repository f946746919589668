"""Disbursements (拨款) and payment holds: "a serious problem stops the money" (S2.3.2)."""

import itertools
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.audit import service as audit
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import rules
from perfbudget.budget_items.models import BudgetItem, ItemStatus
from perfbudget.errors import Conflict, RuleViolation, Unprocessable, not_found
from perfbudget.events import service as events
from perfbudget.events.models import EventType
from perfbudget.pagination import ListQuery, Page
from perfbudget.payments import repository
from perfbudget.payments.models import Disbursement, HoldKind, PaymentHold
from perfbudget.payments.schemas import (
    DisbursementCreate,
    DisbursementLedger,
    DisbursementRead,
    HoldRead,
    PlanMonthRead,
    SpendingPlanRead,
    SpendingPlanWrite,
)
from perfbudget.principal import Actor

ZERO = Decimal("0.00")


def _require_funded(item: BudgetItem) -> Decimal:
    if item.status is not ItemStatus.funded or item.approved_amount is None:
        raise RuleViolation(
            "ITEM_NOT_FUNDED",
            "Only a funded item has a spending plan and disbursements.",
            "仅已安排预算的项目可编制用款计划、办理拨款。",
        )
    return item.approved_amount


# --- spending plan -----------------------------------------------------------------------


def plans_for(session: Session, item_ids: list[int]) -> dict[int, dict[int, Decimal]]:
    """Item → {month: cumulative planned amount}; items without a plan are absent."""
    return dict(repository.plans(session, item_ids))


def get_plan(session: Session, actor: Actor, item_id: int) -> SpendingPlanRead:
    item = item_access.get_item(session, actor, item_id)
    months = repository.plans(session, [item.id]).get(item.id, {})
    return SpendingPlanRead(
        item_id=item.id,
        approved_amount=item.approved_amount,
        months=[PlanMonthRead(month=m, cumulative_amount=a) for m, a in sorted(months.items())],
    )


def set_plan(
    session: Session, actor: Actor, item_id: int, data: SpendingPlanWrite
) -> SpendingPlanRead:
    item = item_access.get_item(session, actor, item_id)
    rules.require_owner_side(actor, item)
    approved = _require_funded(item)
    months = {entry.month: entry.cumulative_amount for entry in data.months}
    if sorted(months) != list(range(1, 13)):
        raise Unprocessable(
            "PLAN_MONTHS_INVALID",
            "Give each month from 1 to 12 exactly once.",
            "须逐月（1—12 月）各填报一次。",
        )
    amounts = [months[m] for m in range(1, 13)]
    if any(later < earlier for earlier, later in itertools.pairwise(amounts)):
        raise Unprocessable(
            "PLAN_NOT_CUMULATIVE",
            "Planned amounts are cumulative: no month may plan less than the one before.",
            "用款计划按累计数填报，后一月不得小于前一月。",
        )
    if amounts[-1] > approved:
        raise RuleViolation(
            "PLAN_EXCEEDS_APPROVED",
            f"The plan reaches {amounts[-1]}, more than the approved {approved}.",
            f"用款计划累计 {amounts[-1]} 元，超过批复金额 {approved} 元。",
        )
    before = {
        str(m): str(a) for m, a in repository.plans(session, [item.id]).get(item.id, {}).items()
    }
    repository.replace_plan(session, item.id, months)
    session.flush()
    audit.record_change(
        session,
        actor,
        "spending_plan.saved",
        entity_type="budget_item",
        entity_id=item.id,
        before=before or None,
        after={str(m): str(a) for m, a in months.items()},
    )
    return get_plan(session, actor, item_id)


# --- disbursements -----------------------------------------------------------------------


def disbursed_totals(
    session: Session, item_ids: list[int], up_to: date | None = None
) -> dict[int, Decimal]:
    """Disbursed per item (paid before ``up_to`` when given); items with none are absent."""
    return repository.disbursed_totals(session, item_ids, up_to)


def paid_by_month(session: Session, item_ids: list[int]) -> dict[int, dict[date, Decimal]]:
    """Item → {first day of a month: paid in it}: what ``paid_before`` reads, for many items
    in one statement."""
    return repository.paid_by_month(session, item_ids)


def paid_before(paid_by_month: dict[date, Decimal], day: date) -> Decimal:
    """What an item's months of ``paid_by_month`` paid before ``day`` (a month's first)."""
    return sum((paid for month, paid in paid_by_month.items() if month < day), ZERO)


def record_disbursement(
    session: Session, actor: Actor, item_id: int, data: DisbursementCreate
) -> Disbursement:
    # the row lock serialises concurrent disbursements on one item (PostgreSQL), so two
    # payments can never together pass the approved amount
    item = item_access.get_locked_item(session, actor, item_id)
    reference = data.external_reference
    check_disbursement(
        item,
        data,
        holds=repository.active_holds(session, [item.id]).get(item.id, []),
        disbursed=repository.disbursed_totals(session, [item.id]).get(item.id, ZERO),
        reference_taken=reference in repository.references_taken(session, [reference or ""]),
    )
    disbursement = Disbursement(
        item_id=item.id,
        recorded_by_id=actor.user_id,
        recorded_at=clock.utcnow(),
        **data.model_dump(),
    )
    session.add(disbursement)
    session.flush()
    audit.record(
        session,
        actor,
        "disbursement.recorded",
        entity_type="budget_item",
        entity_id=item.id,
        changes={
            "after": {
                "disbursement_id": disbursement.id,
                "amount": str(data.amount),
                "paid_on": data.paid_on.isoformat(),
                "purpose": data.purpose,
            }
        },
    )
    return disbursement


def check_disbursement(
    item: BudgetItem,
    data: DisbursementCreate,
    *,
    holds: Sequence[PaymentHold],
    disbursed: Decimal,
    reference_taken: bool,
) -> None:
    """Every rule of recording a payment (S2.3.2), over loaded facts: the item funded and
    not held, the date in its year, the treasury reference new, the approval not passed."""
    approved = _require_funded(item)
    _check_holds(holds)
    if data.paid_on.year != item.fiscal_year.year:
        raise Unprocessable(
            "DISBURSEMENT_DATE_OUTSIDE_YEAR",
            f"The payment date must fall in fiscal year {item.fiscal_year.year}.",
            f"拨款日期须在 {item.fiscal_year.year} 预算年度内。",
        )
    if reference_taken:
        raise Conflict(
            "DUPLICATE_REFERENCE",
            f"Treasury payment {data.external_reference} is already recorded.",
            f"国库支付凭证 {data.external_reference} 已登记。",
        )
    if disbursed + data.amount > approved:
        raise RuleViolation(
            "BUDGET_EXCEEDED",
            f"{disbursed} is already disbursed; {data.amount} more would pass the approved "
            f"{approved}.",
            f"已拨付 {disbursed} 元，再拨 {data.amount} 元将超过批复金额 {approved} 元。",
            extra={"approved": str(approved), "disbursed": str(disbursed)},
        )


def _check_holds(holds: Sequence[PaymentHold]) -> None:
    for hold in holds:
        if hold.kind is HoldKind.stop:
            raise RuleViolation(
                "ITEM_STOPPED",
                "Payments on this item were stopped for the rest of the year (S2.3.2).",
                "该项目已停止拨款，本年度不再拨付（S2.3.2）。",
                extra={"hold_id": hold.id},
            )
        raise RuleViolation(
            "PAYMENT_HOLD",
            f"Payments are suspended until the rectification is verified (S2.3.2): {hold.reason}",
            f"该项目暂缓拨款，待整改核实后恢复（S2.3.2）：{hold.reason}",
            extra={"hold_id": hold.id},
        )


def ledger(session: Session, actor: Actor, item_id: int) -> DisbursementLedger:
    item = item_access.get_item(session, actor, item_id)
    rows = repository.disbursements(session, item.id)
    disbursed = sum((row.amount for row in rows), ZERO)
    return DisbursementLedger(
        item_id=item.id,
        approved_amount=item.approved_amount,
        disbursed=disbursed,
        remaining=(item.approved_amount or ZERO) - disbursed,
        items=[DisbursementRead.model_validate(row) for row in rows],
    )


# --- holds ---------------------------------------------------------------------------------


def place_hold(
    session: Session,
    actor: Actor,
    item: BudgetItem,
    kind: HoldKind,
    reason: str,
    report_id: int | None,
) -> PaymentHold:
    """The only way money stops: finance's decision on a monitoring report (S2.3.2)."""
    approved = _require_funded(item)
    if any(h.kind is HoldKind.stop for h in repository.active_holds(session, [item.id])[item.id]):
        raise RuleViolation(
            "ITEM_STOPPED",
            "Payments on this item are already stopped for the rest of the year (S2.3.2).",
            "该项目已停止拨款（S2.3.2）。",
        )
    unspent = None
    if kind is HoldKind.stop:
        unspent = approved - repository.disbursed_totals(session, [item.id]).get(item.id, ZERO)
    hold = PaymentHold(
        item_id=item.id,
        kind=kind,
        reason=reason,
        report_id=report_id,
        unspent_balance=unspent,
        placed_by_id=actor.user_id,
        placed_at=clock.utcnow(),
    )
    session.add(hold)
    session.flush()
    _record_hold(session, actor, item, hold, unspent)
    return hold


def _record_hold(
    session: Session, actor: Actor, item: BudgetItem, hold: PaymentHold, unspent: Decimal | None
) -> None:
    """The audit entry and the event of a hold just placed."""
    kind, reason = hold.kind, hold.reason
    audit.record(
        session,
        actor,
        f"payment_hold.{kind.value}",
        entity_type="budget_item",
        entity_id=item.id,
        changes={
            "after": {
                "hold_id": hold.id,
                "reason": reason,
                "report_id": hold.report_id,
                "unspent_balance": None if unspent is None else str(unspent),
            }
        },
    )
    events.emit(
        session,
        EventType.payments_stopped if kind is HoldKind.stop else EventType.payment_hold_placed,
        {
            "hold_id": hold.id,
            "item_id": item.id,
            "item_code": item.code,
            "organisation_code": item.organisation.code,
            "kind": kind.value,
            "reason": reason,
            "unspent_balance": None if unspent is None else str(unspent),
        },
    )


def lift_suspension(session: Session, actor: Actor, hold_id: int, reason: str) -> PaymentHold:
    hold = repository.get_hold(session, hold_id)
    if hold is None:
        raise not_found("Payment hold", "暂缓拨款记录")
    if hold.kind is HoldKind.stop:
        raise RuleViolation(
            "HOLD_NOT_LIFTABLE",
            "Stopped payments stay stopped for the rest of the year (S2.3.2).",
            "停止拨款的项目本年度不再恢复拨款（S2.3.2）。",
        )
    if hold.lifted_at is None:
        hold.lifted_at = clock.utcnow()
        hold.lifted_by_id = actor.user_id
        hold.lift_reason = reason
        session.flush()
        audit.record(
            session,
            actor,
            "payment_hold.lifted",
            entity_type="budget_item",
            entity_id=hold.item_id,
            changes={"after": {"hold_id": hold.id, "reason": reason}},
        )
        events.emit(
            session,
            EventType.payment_hold_lifted,
            {"hold_id": hold.id, "item_id": hold.item_id, "reason": reason},
        )
    return hold


def list_holds(session: Session, actor: Actor, item_id: int, page: ListQuery) -> Page[HoldRead]:
    item = item_access.get_item(session, actor, item_id)
    rows, total = repository.holds_page(session, item.id, limit=page.limit, offset=page.offset)
    items = [
        HoldRead.model_validate(
            {
                **{f: getattr(h, f) for f in HoldRead.model_fields if f != "active"},
                "active": h.lifted_at is None,
            }
        )
        for h in rows
    ]
    return Page[HoldRead](items=items, total=total, limit=page.limit, offset=page.offset)
