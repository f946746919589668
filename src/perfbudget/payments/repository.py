from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, extract, func, select
from sqlalchemy.orm import Session

from perfbudget.db import insert_many, touch_items
from perfbudget.pagination import fetch_page
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


def paid_by_month(session: Session, item_ids: Sequence[int]) -> dict[int, dict[date, Decimal]]:
    """Item → {first day of a month: paid in that month}, in one statement."""
    result: dict[int, dict[date, Decimal]] = defaultdict(dict)
    if not item_ids:
        return result
    year, month = extract("year", Disbursement.paid_on), extract("month", Disbursement.paid_on)
    rows = session.execute(
        select(Disbursement.item_id, year, month, func.sum(Disbursement.amount))
        .where(Disbursement.item_id.in_(item_ids))
        .group_by(Disbursement.item_id, year, month)
    )
    for item_id, paid_year, paid_month, total in rows:
        result[item_id][date(int(paid_year), int(paid_month), 1)] = Decimal(total)
    return result


def disbursements(session: Session, item_id: int) -> Sequence[Disbursement]:
    return session.scalars(
        select(Disbursement)
        .where(Disbursement.item_id == item_id)
        .order_by(Disbursement.paid_on, Disbursement.id)
    ).all()


def references_taken(session: Session, references: Sequence[str]) -> set[str]:
    """Which of these treasury references are already recorded, in one statement."""
    if not references:
        return set()
    return set(
        session.scalars(
            select(Disbursement.external_reference).where(
                Disbursement.external_reference.in_(references)
            )
        )
    )


def insert_disbursements(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """New payments by one bulk statement; their ids in the order of ``rows``."""
    return insert_many(session, Disbursement, rows)


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
    touch_items(session, [item_id])
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


def holds_page(
    session: Session, item_id: int, *, limit: int, offset: int
) -> tuple[list[PaymentHold], int]:
    """The item's holds, active or lifted, oldest first."""
    query = select(PaymentHold).where(PaymentHold.item_id == item_id)
    return fetch_page(session, query, [PaymentHold.id], limit=limit, offset=offset)


def get_hold(session: Session, hold_id: int) -> PaymentHold | None:
    return session.get(PaymentHold, hold_id)
