"""Monitoring overview queries: SQL aggregates grouped by the owning organisation, so the
statement count never depends on the number of items, reports or payments."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    RowMapping,
    Select,
    and_,
    case,
    cast,
    false,
    func,
    select,
)
from sqlalchemy.orm import Session, aliased

from perfbudget.budget_items.models import BudgetItem, ItemKind
from perfbudget.budget_items.repository import sees_every_item, visible
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.monitoring.models import (
    Light,
    MonitoringReport,
    Rectification,
    RectificationStatus,
)
from perfbudget.orgs import repository as org_repository
from perfbudget.orgs.models import Organisation
from perfbudget.overview.models import ItemMonthFigure
from perfbudget.overview.schemas import QueueFilter
from perfbudget.pagination import declared_order, fetch_page, sort_order
from perfbudget.payments.models import HoldKind, PaymentHold
from perfbudget.principal import Actor

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


def _sum(condition: ColumnElement[bool], value: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


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


@dataclass(frozen=True)
class Tally:
    """Figures per owning organisation: ``names`` of the figures, then per organisation its
    row of integers in that order (tuples: a few hundred rows are summed per request)."""

    names: tuple[str, ...]
    rows: dict[int, tuple[int, ...]]


def _by_organisation(result: Any) -> Tally:
    names = tuple(result.keys())[1:]  # after the organisation's id
    return Tally(names, {row[0]: tuple(map(int, row[1:])) for row in result})


def organisations(session: Session) -> Sequence[Any]:
    """Every organisation's reference and place in the tree, as plain rows."""
    rows: Sequence[Any] = session.execute(
        select(
            Organisation.id,
            Organisation.code,
            Organisation.name_zh,
            Organisation.parent_id,
            Organisation.kind,
            Organisation.path,
        ).order_by(Organisation.code)
    ).all()
    return rows


def item_figures(session: Session, actor: Actor, scope: MonthScope) -> Tally:
    """Per owning organisation: items, reports owed / submitted / overdue / late, items
    funded after the month (owing none), lights, and the approved, planned and disbursed
    amounts in cents — from the read model, one row per item of the month."""
    figure = ItemMonthFigure
    owes = figure.owes.is_(True)
    submitted = and_(owes, figure.submitted.is_(True))
    money = figure.kind.in_(scope.money_kinds)
    planned = figure.planned_cents.is_not(None)
    overdue = and_(
        owes,
        figure.submitted.is_(False),
        figure.kind.in_(scope.overdue_kinds) if scope.overdue_kinds else false(),
    )
    query = (
        select(
            figure.organisation_id,
            func.count().label("items"),
            _count(owes).label("due"),
            _count(figure.owes.is_(False)).label("funded_after_month"),
            _count(submitted).label("submitted"),
            _count(overdue).label("overdue"),
            _count(and_(submitted, figure.late.is_(True))).label("late"),
            *(_count(and_(submitted, figure.light == light)).label(light.value) for light in Light),
            _sum(money, figure.approved_cents).label("approved"),
            _sum(and_(money, planned), figure.planned_cents).label("planned"),
            _sum(and_(money, ~planned), figure.approved_cents).label("unplanned"),
            _sum(money, figure.disbursed_cents).label("disbursed"),
        )
        .where(_of_month(scope, scope.kinds))
        .group_by(figure.organisation_id)
    )
    if not sees_every_item(actor):  # else the join would read every year's items for nothing
        query = _visible(query.join(BudgetItem, BudgetItem.id == figure.item_id), actor)
    return _by_organisation(session.execute(query))


def _of_month(scope: MonthScope, kinds: Sequence[ItemKind]) -> ColumnElement[bool]:
    return and_(
        ItemMonthFigure.fiscal_year_id == scope.fiscal_year_id,
        ItemMonthFigure.month == scope.month,
        ItemMonthFigure.kind.in_(kinds) if kinds else false(),
    )


def active_holds(session: Session, actor: Actor, scope: MonthScope) -> Tally:
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
    return _by_organisation(session.execute(_visible(query, actor)))


def open_rectifications(session: Session, actor: Actor, scope: MonthScope) -> Tally:
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
    return _by_organisation(session.execute(_visible(query, actor)))


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


def _figure_of_month(scope: MonthScope) -> ColumnElement[bool]:
    # the year on the items too: PostgreSQL then reads the year's items, not every year's
    return and_(
        ItemMonthFigure.item_id == BudgetItem.id,
        ItemMonthFigure.month == scope.month,
        BudgetItem.fiscal_year_id == scope.fiscal_year_id,
    )


def missing_reports(session: Session, actor: Actor, scope: MonthScope) -> Sequence[RowMapping]:
    """Owed, past due and not submitted: no report, or one still draft or returned."""
    figure = ItemMonthFigure
    query = (
        _listing(actor)
        .join(figure, _figure_of_month(scope))
        .outerjoin(MonitoringReport, _month_report(scope))
        .where(
            _of_month(scope, scope.overdue_kinds),
            figure.owes.is_(True),
            figure.submitted.is_(False),
        )
    )
    return session.execute(query).mappings().all()


def late_reports(session: Session, actor: Actor, scope: MonthScope) -> Sequence[RowMapping]:
    figure = ItemMonthFigure
    query = (
        _listing(actor, MonitoringReport.submitted_at)
        .join(figure, and_(figure.item_id == BudgetItem.id, figure.month == scope.month))
        .join(MonitoringReport, _month_report(scope))
        .where(_of_month(scope, scope.kinds), figure.owes.is_(True), figure.late.is_(True))
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


def _queue_ids(actor: Actor, filters: QueueFilter) -> Select[Any]:
    """The ids of the reports in the queue's status that pass its filters."""
    query = select(MonitoringReport.id).where(MonitoringReport.status == filters.status)
    # the items are joined only to filter or sort by them: finance's queue reads the reports
    # in the status from ix_monitoring_reports_status_submitted, not every year's reports
    if not sees_every_item(actor) or filters.sort.removeprefix("-") == "item":
        query = visible(query.join(BudgetItem, BudgetItem.id == MonitoringReport.item_id), actor)
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
    return query


def _queue_details(ids: Sequence[int]) -> Select[*tuple[Any, ...]]:
    """A page's reports with their years, items and owners."""
    return (
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
    )


def queue_page(
    session: Session, actor: Actor, filters: QueueFilter
) -> tuple[list[RowMapping], int]:
    """A page of reports (count, ids, then one statement for the rows' details)."""
    query = _queue_ids(actor, filters)
    order = sort_order(filters.sort, _queue_sorts(), MonitoringReport.id)
    ids, total = fetch_page(session, query, order, limit=filters.limit, offset=filters.offset)
    if not ids:
        return [], total
    by_id = {row["id"]: row for row in session.execute(_queue_details(ids)).mappings()}
    return [by_id[report_id] for report_id in ids], total
