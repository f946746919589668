"""Monitoring overview queries: SQL aggregates grouped by the owning organisation, so the
statement count never depends on the number of items, reports or payments."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    RowMapping,
    Select,
    and_,
    case,
    cast,
    false,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from perfbudget.auth.principal import Actor
from perfbudget.budget_items.models import BudgetItem, ItemKind, ItemStatus
from perfbudget.budget_items.repository import visible
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.monitoring.models import (
    UNSUBMITTED,
    Light,
    MonitoringReport,
    Rectification,
    RectificationStatus,
)
from perfbudget.orgs import repository as org_repository
from perfbudget.orgs.models import Organisation
from perfbudget.overview.schemas import QueueFilter
from perfbudget.pagination import declared_order, fetch_page, sort_order
from perfbudget.payments.models import Disbursement, HoldKind, PaymentHold, SpendingPlanMonth

# A report still with its author: not submitted (S2.3.1).


@dataclass(frozen=True)
class MonthScope:
    """What the service decided about one month: which items owe a report, which of them
    are overdue by now, and which carry money figures."""

    fiscal_year_id: int
    month: int
    kinds: tuple[ItemKind, ...]  # monitored this month
    money_kinds: tuple[ItemKind, ...]
    overdue_kinds: tuple[ItemKind, ...]  # their due date has passed
    funded_before: datetime  # funded by the month's end: a report is owed
    paid_before: date  # disbursements up to the month's end
    today: date


def _cents(column: Any) -> ColumnElement[int]:
    # integer cents: exact sums on SQLite too, where NUMERIC is stored as REAL
    return cast(func.round(column * 100), BigInteger)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def _sum(condition: ColumnElement[bool], value: ColumnElement[int]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _funded(scope: MonthScope, kinds: Sequence[ItemKind]) -> ColumnElement[bool]:
    return and_(
        BudgetItem.fiscal_year_id == scope.fiscal_year_id,
        BudgetItem.status == ItemStatus.funded,
        BudgetItem.kind.in_(kinds) if kinds else false(),
    )


def _owes_report(scope: MonthScope) -> ColumnElement[bool]:
    return or_(BudgetItem.decided_at.is_(None), BudgetItem.decided_at < scope.funded_before)


def _submitted() -> ColumnElement[bool]:
    return and_(MonitoringReport.id.is_not(None), MonitoringReport.status.not_in(UNSUBMITTED))


def _overdue(scope: MonthScope) -> ColumnElement[bool]:
    return and_(
        BudgetItem.kind.in_(scope.overdue_kinds) if scope.overdue_kinds else false(),
        or_(MonitoringReport.id.is_(None), MonitoringReport.status.in_(UNSUBMITTED)),
    )


def _month_report(scope: MonthScope) -> ColumnElement[bool]:
    # the year, implied by the item, lets PostgreSQL use ix_monitoring_reports_year_month
    return and_(
        MonitoringReport.item_id == BudgetItem.id,
        MonitoringReport.fiscal_year_id == scope.fiscal_year_id,
        MonitoringReport.month == scope.month,
    )


def _visible(query: Any, actor: Actor) -> Select[Any]:
    """budget_items.repository.visible, for selects of several columns."""
    result: Select[Any] = visible(query, actor)
    return result


def _by_organisation(rows: Sequence[Row[Any]]) -> dict[int, dict[str, int]]:
    return {
        row.organisation_id: {
            key: int(value) for key, value in row._mapping.items() if key != "organisation_id"
        }
        for row in rows
    }


def organisations(session: Session) -> Sequence[Organisation]:
    return session.scalars(select(Organisation).order_by(Organisation.code)).all()


def item_figures(session: Session, actor: Actor, scope: MonthScope) -> dict[int, dict[str, int]]:
    """Per owning organisation: items, reports owed / submitted / overdue / late, items
    funded after the month (owing none), lights, and the approved and planned amounts in
    cents."""
    owes = _owes_report(scope)
    submitted = and_(owes, _submitted())
    money = BudgetItem.kind.in_(scope.money_kinds)
    planned = SpendingPlanMonth.id.is_not(None)
    lights = {
        light.value: _count(and_(submitted, MonitoringReport.item_light == light))
        for light in Light
    }
    query = (
        select(
            BudgetItem.organisation_id,
            func.count(BudgetItem.id).label("items"),
            _count(owes).label("due"),
            _count(not_(owes)).label("funded_after_month"),
            _count(submitted).label("submitted"),
            _count(and_(owes, _overdue(scope))).label("overdue"),
            _count(and_(submitted, MonitoringReport.late.is_(True))).label("late"),
            *(column.label(name) for name, column in lights.items()),
            _sum(money, _cents(BudgetItem.approved_amount)).label("approved"),
            _sum(and_(money, planned), _cents(SpendingPlanMonth.cumulative_amount)).label(
                "planned"
            ),
            _sum(and_(money, ~planned), _cents(BudgetItem.approved_amount)).label("unplanned"),
        )
        .outerjoin(MonitoringReport, _month_report(scope))
        .outerjoin(
            SpendingPlanMonth,
            and_(
                SpendingPlanMonth.item_id == BudgetItem.id,
                SpendingPlanMonth.month == scope.month,
            ),
        )
        .where(_funded(scope, scope.kinds))
        .group_by(BudgetItem.organisation_id)
    )
    return _by_organisation(session.execute(_visible(query, actor)).all())


def disbursed(session: Session, actor: Actor, scope: MonthScope) -> dict[int, dict[str, int]]:
    query = (
        select(
            BudgetItem.organisation_id,
            func.coalesce(func.sum(_cents(Disbursement.amount)), 0).label("disbursed"),
        )
        .join(Disbursement, Disbursement.item_id == BudgetItem.id)
        .where(_funded(scope, scope.money_kinds), Disbursement.paid_on < scope.paid_before)
        .group_by(BudgetItem.organisation_id)
    )
    return _by_organisation(session.execute(_visible(query, actor)).all())


def active_holds(session: Session, actor: Actor, scope: MonthScope) -> dict[int, dict[str, int]]:
    """Items with a hold not lifted, by kind."""
    names = {HoldKind.suspend: "suspended", HoldKind.stop: "stopped"}
    query = (
        select(
            BudgetItem.organisation_id,
            *(
                func.count(
                    func.distinct(case((PaymentHold.kind == kind, PaymentHold.item_id)))
                ).label(name)
                for kind, name in names.items()
            ),
        )
        .join(PaymentHold, PaymentHold.item_id == BudgetItem.id)
        .where(BudgetItem.fiscal_year_id == scope.fiscal_year_id, PaymentHold.lifted_at.is_(None))
        .group_by(BudgetItem.organisation_id)
    )
    return _by_organisation(session.execute(_visible(query, actor)).all())


def open_rectifications(
    session: Session, actor: Actor, scope: MonthScope
) -> dict[int, dict[str, int]]:
    """Orders not verified; overdue: still with the department (open or rejected) past the
    deadline — an answered order waits on finance, not on the department."""
    waiting = Rectification.status.in_((RectificationStatus.open, RectificationStatus.rejected))
    query = (
        select(
            BudgetItem.organisation_id,
            func.count(Rectification.id).label("rectifications_open"),
            _count(and_(waiting, Rectification.deadline < scope.today)).label(
                "rectifications_overdue"
            ),
        )
        .join(Rectification, Rectification.item_id == BudgetItem.id)
        .where(
            BudgetItem.fiscal_year_id == scope.fiscal_year_id,
            Rectification.status != RectificationStatus.accepted,
        )
        .group_by(BudgetItem.organisation_id)
    )
    return _by_organisation(session.execute(_visible(query, actor)).all())


# --- compliance (S2.3.1: missing and late reports listed per organisation) -------------

_ITEM_AND_OWNER = (
    BudgetItem.id.label("item_id"),
    BudgetItem.code.label("item_code"),
    BudgetItem.name.label("item_name"),
    BudgetItem.kind,
    Organisation.id.label("organisation_id"),
    Organisation.code.label("organisation_code"),
    Organisation.name_zh.label("organisation_name_zh"),
)


def _listing(actor: Actor, *columns: Any) -> Select[Any]:
    """Items the actor sees, with their owners and month's reports, by organisation code."""
    query = (
        select(
            *_ITEM_AND_OWNER,
            MonitoringReport.id.label("report_id"),
            MonitoringReport.status.label("report_status"),
            MonitoringReport.due_on,
            *columns,
        )
        .join(Organisation, Organisation.id == BudgetItem.organisation_id)
        .order_by(Organisation.code, BudgetItem.id)
    )
    return _visible(query, actor)


def missing_reports(session: Session, actor: Actor, scope: MonthScope) -> Sequence[RowMapping]:
    """Owed, past due and not submitted: no report, or one still draft or returned."""
    query = (
        _listing(actor)
        .outerjoin(MonitoringReport, _month_report(scope))
        .where(_funded(scope, scope.kinds), _owes_report(scope), _overdue(scope))
    )
    return session.execute(query).mappings().all()


def late_reports(session: Session, actor: Actor, scope: MonthScope) -> Sequence[RowMapping]:
    query = (
        _listing(actor, MonitoringReport.submitted_at)
        .join(MonitoringReport, _month_report(scope))
        .where(
            _funded(scope, scope.kinds),
            _owes_report(scope),
            _submitted(),
            MonitoringReport.late.is_(True),
        )
    )
    return session.execute(query).mappings().all()


# --- the finance queue ----------------------------------------------------------------


def _queue_sorts() -> dict[str, Any]:
    """By default the oldest submission first: the order in which finance takes them up."""
    year = aliased(FiscalYear)
    return {
        "id": MonitoringReport.id,
        "submitted_at": MonitoringReport.submitted_at,
        "due_on": MonitoringReport.due_on,
        "fiscal_year": select(year.year)
        .where(year.id == MonitoringReport.fiscal_year_id)
        .scalar_subquery(),
        "month": MonitoringReport.month,
        "organisation": org_repository.code_of(MonitoringReport.organisation_id),
        "item": BudgetItem.code,
        # green, blue, yellow, red: -item_light puts the worst first
        "item_light": declared_order(MonitoringReport.item_light, Light),
        "late": MonitoringReport.late,
    }


def queue_page(
    session: Session, actor: Actor, filters: QueueFilter
) -> tuple[list[RowMapping], int]:
    """A page of reports (count, ids, then one statement for the rows' details)."""
    query = visible(
        select(MonitoringReport.id).join(BudgetItem, BudgetItem.id == MonitoringReport.item_id),
        actor,
    ).where(MonitoringReport.status == filters.status)
    if filters.fiscal_year is not None:
        query = query.where(
            MonitoringReport.fiscal_year_id.in_(
                select(FiscalYear.id).where(FiscalYear.year == filters.fiscal_year)
            )
        )
    if filters.organisation_id is not None:
        top = aliased(Organisation)
        top_path = select(top.path).where(top.id == filters.organisation_id).scalar_subquery()
        query = query.where(
            MonitoringReport.organisation_id.in_(
                select(Organisation.id).where(Organisation.path.startswith(top_path))
            )
        )
    for column, value in (
        (MonitoringReport.month, filters.month),
        (MonitoringReport.item_light, filters.light),
        (MonitoringReport.late, filters.late),
    ):
        if value is not None:
            query = query.where(column == value)
    order = sort_order(filters.sort, _queue_sorts(), MonitoringReport.id)
    ids, total = fetch_page(session, query, order, limit=filters.limit, offset=filters.offset)
    if not ids:
        return [], total
    details = session.execute(
        select(
            MonitoringReport.id,
            FiscalYear.year.label("fiscal_year"),
            MonitoringReport.month,
            MonitoringReport.status,
            MonitoringReport.item_light,
            MonitoringReport.execution_light,
            MonitoringReport.submitted_at,
            MonitoringReport.late,
            MonitoringReport.due_on,
            MonitoringReport.version,
            *_ITEM_AND_OWNER,
        )
        .join(BudgetItem, BudgetItem.id == MonitoringReport.item_id)
        .join(Organisation, Organisation.id == MonitoringReport.organisation_id)
        .join(FiscalYear, FiscalYear.id == MonitoringReport.fiscal_year_id)
        .where(MonitoringReport.id.in_(ids))
    ).mappings()
    by_id = {row["id"]: row for row in details}
    return [by_id[report_id] for report_id in ids], total
