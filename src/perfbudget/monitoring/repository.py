"""Monitoring report and rectification queries. Both are seen exactly by those who may see
their budget item (``budget_items.repository.visible``)."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, lazyload

from perfbudget.budget_items import repository as item_repository
from perfbudget.budget_items.models import BudgetItem
from perfbudget.db import insert_many, replace_children, update_many
from perfbudget.monitoring.models import (
    MonitoringReport,
    Rectification,
    RectificationStatus,
    ReportLine,
)
from perfbudget.monitoring.schemas import RectificationFilter
from perfbudget.pagination import declared_order, fetch_page, sort_order
from perfbudget.payments.models import PaymentHold
from perfbudget.principal import Actor
from perfbudget.targets.models import TargetLine


def add(session: Session, row: MonitoringReport | Rectification) -> None:
    session.add(row)


# --- reports -------------------------------------------------------------------------------


def get_report(session: Session, item_id: int, month: int) -> MonitoringReport | None:
    return session.scalars(
        select(MonitoringReport).where(
            MonitoringReport.item_id == item_id, MonitoringReport.month == month
        )
    ).first()


def reports_of_months(
    session: Session, keys: Sequence[tuple[int, int]], *, lock: bool = False
) -> dict[tuple[int, int], MonitoringReport]:
    """The stored reports of (item, month) keys, without their lines, in one statement;
    with ``lock`` their rows stay locked until the commit (PostgreSQL)."""
    if not keys:
        return {}
    wanted = set(keys)
    query = (
        select(MonitoringReport)
        .where(
            MonitoringReport.item_id.in_({item for item, _ in wanted}),
            MonitoringReport.month.in_({month for _, month in wanted}),
        )
        .order_by(MonitoringReport.id)
        .options(lazyload(MonitoringReport.lines))
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = {(report.item_id, report.month): report for report in session.scalars(query)}
    return {key: report for key, report in found.items() if key in wanted}


def insert_reports(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """New reports by one bulk statement; their ids in the order of ``rows``."""
    return insert_many(session, MonitoringReport, rows)


def update_reports(session: Session, rows: list[dict[str, Any]]) -> None:
    """Stored reports changed (each row names its ``id`` and the ``version`` read), in bulk."""
    update_many(session, MonitoringReport, rows)


def replace_lines(session: Session, report_ids: Sequence[int], rows: list[dict[str, Any]]) -> None:
    """The reports' lines are ``rows`` (each naming its ``report_id``) and no others."""
    replace_children(session, ReportLine, ReportLine.report_id, report_ids, rows)


def reports_of_item(session: Session, item_id: int) -> Sequence[MonitoringReport]:
    return session.scalars(
        select(MonitoringReport)
        .where(MonitoringReport.item_id == item_id)
        .order_by(MonitoringReport.month)
    ).all()


def target_lines_by_id(session: Session, line_ids: Sequence[int]) -> dict[int, TargetLine]:
    """Lines a report answers, wherever they come from (an adjusted set keeps old answers)."""
    if not line_ids:
        return {}
    rows = session.scalars(select(TargetLine).where(TargetLine.id.in_(line_ids)))
    return {row.id: row for row in rows}


def hold_of_report(session: Session, report_id: int) -> PaymentHold | None:
    return session.scalars(
        select(PaymentHold).where(PaymentHold.report_id == report_id).order_by(PaymentHold.id)
    ).first()


def rectification_of_report(session: Session, report_id: int) -> Rectification | None:
    return session.scalars(
        select(Rectification).where(Rectification.report_id == report_id).order_by(Rectification.id)
    ).first()


# --- rectifications ------------------------------------------------------------------------


def _visible_rectifications(actor: Actor) -> Select[Any]:
    return item_repository.visible(
        select(Rectification).join(BudgetItem, BudgetItem.id == Rectification.item_id), actor
    )


def get_rectification(
    session: Session, actor: Actor, rectification_id: int
) -> Rectification | None:
    return session.scalars(
        _visible_rectifications(actor).where(Rectification.id == rectification_id)
    ).first()


_RECTIFICATION_SORTS = {
    "id": Rectification.id,
    "deadline": Rectification.deadline,
    "status": declared_order(Rectification.status, RectificationStatus),
    "organisation_id": Rectification.organisation_id,
    "item_id": Rectification.item_id,
    "responded_at": Rectification.responded_at,
    "verified_at": Rectification.verified_at,
    "created_at": Rectification.created_at,
    "updated_at": Rectification.updated_at,
}


def list_rectifications(
    session: Session, actor: Actor, filters: RectificationFilter, today: date
) -> tuple[list[Rectification], int]:
    query = _visible_rectifications(actor)
    for column, value in (
        (Rectification.status, filters.status),
        (Rectification.organisation_id, filters.organisation_id),
        (Rectification.item_id, filters.item_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.overdue is not None:
        overdue = (Rectification.deadline < today) & (
            Rectification.status != RectificationStatus.accepted
        )
        query = query.where(overdue if filters.overdue else ~overdue)
    order = sort_order(filters.sort, _RECTIFICATION_SORTS, Rectification.id)
    return fetch_page(session, query, order, limit=filters.limit, offset=filters.offset)


def items_and_months(
    session: Session, rectifications: Sequence[Rectification]
) -> dict[int, tuple[BudgetItem, int]]:
    """Each rectification's item and report month, in one statement."""
    report_ids = {row.report_id for row in rectifications}
    if not report_ids:
        return {}
    rows = session.execute(
        select(MonitoringReport.id, MonitoringReport.month, BudgetItem)
        .join(BudgetItem, BudgetItem.id == MonitoringReport.item_id)
        .where(MonitoringReport.id.in_(report_ids))
    )
    by_report = {report_id: (item, month) for report_id, month, item in rows}
    return {row.id: by_report[row.report_id] for row in rectifications}
