from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from perfbudget.payments.models import Disbursement, PaymentHold, SpendingPlanMonth


def disbursed_totals(
    session: Session, item_ids: Sequence[int], up_to: date | None = None
) -> dict[int, Decimal]:
    if not item_ids:
        return {}
    query = (
        select(Disbursement.item_id, func.sum(Disbursement.amount))
        .where(Disbursement.item_id.in_(item_ids))
        .group_by(Disbursement.item_id)
    )
    if up_to is not None:
        query = query.where(Disbursement.paid_on < up_to)
    return {item_id: Decimal(total) for item_id, total in session.execute(query)}


def disbursements(session: Session, item_id: int) -> Sequence[Disbursement]:
    return session.scalars(
        select(Disbursement)
        .where(Disbursement.item_id == item_id)
        .order_by(Disbursement.paid_on, Disbursement.id)
    ).all()


def reference_taken(session: Session, reference: str) -> bool:
    return (
        session.scalar(select(func.count()).where(Disbursement.external_reference == reference))
        != 0
    )


def plans(session: Session, item_ids: Sequence[int]) -> dict[int, dict[int, Decimal]]:
    result: dict[int, dict[int, Decimal]] = defaultdict(dict)
    if not item_ids:
        return result
    rows = session.scalars(select(SpendingPlanMonth).where(SpendingPlanMonth.item_id.in_(item_ids)))
    for row in rows:
        result[row.item_id][row.month] = row.cumulative_amount
    return result


def replace_plan(session: Session, item_id: int, months: dict[int, Decimal]) -> None:
    session.execute(delete(SpendingPlanMonth).where(SpendingPlanMonth.item_id == item_id))
    session.add_all(
        SpendingPlanMonth(item_id=item_id, month=month, cumulative_amount=amount)
        for month, amount in sorted(months.items())
    )


def active_holds(session: Session, item_ids: Sequence[int]) -> dict[int, list[PaymentHold]]:
    result: dict[int, list[PaymentHold]] = defaultdict(list)
    if not item_ids:
        return result
    rows = session.scalars(
        select(PaymentHold)
        .where(PaymentHold.item_id.in_(item_ids), PaymentHold.lifted_at.is_(None))
        .order_by(PaymentHold.id)
    )
    for hold in rows:
        result[hold.item_id].append(hold)
    return result


def holds(session: Session, item_id: int) -> Sequence[PaymentHold]:
    return session.scalars(
        select(PaymentHold).where(PaymentHold.item_id == item_id).order_by(PaymentHold.id)
    ).all()


def get_hold(session: Session, hold_id: int) -> PaymentHold | None:
    return session.get(PaymentHold, hold_id)
