"""The overview's read model (``ItemMonthFigure``): what the monitoring overview and the
compliance listing count of each funded item in each month of its year, kept so that a
request reads one row per item of the month instead of joining its report, its spending
plan and every payment made so far (issue 16: 6,000 items, 50,000 payments a year).

One rule computes a row: ``recomputed``, a set-based SELECT over the base tables. It fills
the table three ways, all through the same function:

- in the transaction of every write that changes an input (an item funded or amended, a
  report filed, reviewed or returned, a spending plan, a payment), just before the commit:
  the session notes which items its flushes and bulk statements touched (``_collect``,
  ``_collect_bulk``, or ``db.touch_items`` for a delete by criteria) and ``refresh`` replaces
  their rows — three statements, whatever the number of items;
- ``perfbudget overview rebuild`` (and the migration that made the table), for a year or all;
- ``perfbudget overview check`` compares the table with ``recomputed`` and names any row
  that differs (the test suite checks it after every test that touched an input).

What depends on the day (is a report overdue by now) is not stored: the overview decides it
per request from the kinds whose due date has passed.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Connection,
    Date,
    Integer,
    Select,
    and_,
    case,
    cast,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction
from sqlalchemy.sql.dml import Insert, Update

from perfbudget.budget_items.models import BudgetItem, ItemStatus
from perfbudget.db import TOUCHED_ITEMS, UTCDateTime
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.monitoring import schedule
from perfbudget.monitoring.models import UNSUBMITTED, MonitoringReport
from perfbudget.overview.models import ItemMonthFigure
from perfbudget.payments.models import Disbursement, SpendingPlanMonth

CHUNK = 1000  # items per statement: well inside SQLite's and PostgreSQL's bound parameters
MONTHS = range(1, 13)
COLUMNS = (
    "item_id",
    "month",
    "fiscal_year_id",
    "organisation_id",
    "kind",
    "owes",
    "submitted",
    "late",
    "light",
    "approved_cents",
    "planned_cents",
    "disbursed_cents",
)
# what a flush must have changed for a row to change (new and deleted objects always count)
_WATCHED: dict[type, tuple[str, ...]] = {
    BudgetItem: (
        "status",
        "decided_at",
        "approved_amount",
        "kind",
        "organisation_id",
        "fiscal_year_id",
    ),
    MonitoringReport: ("status", "item_light", "late", "item_id", "month"),
    SpendingPlanMonth: ("cumulative_amount", "month", "item_id"),
    Disbursement: ("amount", "paid_on", "item_id"),
}
_REPORTS_UPDATED = "month_figures_reports"  # report ids updated in bulk (update_many)


def _cents(value: Any) -> ColumnElement[int]:
    return cast(func.round(value * 100), BigInteger)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """A condition as a stored boolean: false, never NULL, where an outer join found nothing."""
    return case((condition, True), else_=False).cast(Boolean)


def _months(year: int) -> Any:
    """The twelve months with their ends (a UNION ALL: SQLite cannot name a VALUES' columns)."""
    return union_all(
        *(
            select(
                literal(month, Integer).label("month"),
                literal(schedule.funded_by_month_end(year, month), UTCDateTime()).label(
                    "funded_before"
                ),
                literal(schedule.after_month(year, month), Date).label("paid_before"),
            )
            for month in MONTHS
        )
    ).subquery("months")


def _report_columns(months: Any) -> list[Any]:
    """Owed by the month's end, submitted, late, its light (a report filed, not a draft)."""
    submitted = and_(MonitoringReport.id.is_not(None), MonitoringReport.status.not_in(UNSUBMITTED))
    return [
        _flag(
            or_(BudgetItem.decided_at.is_(None), BudgetItem.decided_at < months.c.funded_before)
        ).label("owes"),
        _flag(submitted).label("submitted"),
        _flag(and_(submitted, MonitoringReport.late.is_(True))).label("late"),
        case((submitted, MonitoringReport.item_light), else_=None).label("light"),
    ]


def _money_columns(months: Any) -> list[Any]:
    """Approved, planned by the month and paid before its end, in cents."""
    disbursed = (
        select(func.sum(_cents(Disbursement.amount)))
        .where(Disbursement.item_id == BudgetItem.id, Disbursement.paid_on < months.c.paid_before)
        .correlate(BudgetItem, months)
        .scalar_subquery()
    )
    return [
        func.coalesce(_cents(BudgetItem.approved_amount), 0).label("approved_cents"),
        _cents(SpendingPlanMonth.cumulative_amount).label("planned_cents"),
        func.coalesce(disbursed, 0).label("disbursed_cents"),
    ]


def recomputed(
    year: int, fiscal_year_id: int, item_ids: Sequence[int] | None = None
) -> Select[Any]:
    """The rows of the read model for the fiscal year's funded items (or those of them in
    ``item_ids``), computed from the base tables: the rule the table always equals."""
    months = _months(year)
    query = (
        select(
            BudgetItem.id.label("item_id"),
            months.c.month,
            BudgetItem.fiscal_year_id,
            BudgetItem.organisation_id,
            BudgetItem.kind,
            *_report_columns(months),
            *_money_columns(months),
        )
        .select_from(BudgetItem)
        .join(months, true())
        .outerjoin(
            MonitoringReport,
            and_(
                MonitoringReport.item_id == BudgetItem.id,
                MonitoringReport.fiscal_year_id == fiscal_year_id,
                MonitoringReport.month == months.c.month,
            ),
        )
        .outerjoin(
            SpendingPlanMonth,
            and_(
                SpendingPlanMonth.item_id == BudgetItem.id,
                SpendingPlanMonth.month == months.c.month,
            ),
        )
        .where(
            BudgetItem.fiscal_year_id == fiscal_year_id,
            BudgetItem.status == ItemStatus.funded,
        )
    )
    if item_ids is not None:
        query = query.where(BudgetItem.id.in_(item_ids))
    return query


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def refresh(session: Session, item_ids: Iterable[int]) -> None:
    """Replace the rows of these items by their recomputation (three statements per
    thousand items: the items locked, with their years; the delete; the insert).

    The items' rows are locked first, in id order (PostgreSQL): two transactions writing to
    one item (a plan saved while a report is submitted) refresh its rows one after the
    other, the second from what the first committed, where a delete that cannot see the
    first's new rows would collide with them on insert."""
    ids = sorted(set(item_ids))
    for chunk in _chunks(ids):
        funded = session.execute(
            select(BudgetItem.status, FiscalYear.id, FiscalYear.year)
            .join(FiscalYear, FiscalYear.id == BudgetItem.fiscal_year_id)
            .where(BudgetItem.id.in_(chunk))
            .order_by(BudgetItem.id)
            .with_for_update(of=BudgetItem)
        ).all()
        session.execute(delete(ItemMonthFigure).where(ItemMonthFigure.item_id.in_(chunk)))
        years = {(row[1], row[2]) for row in funded if row[0] is ItemStatus.funded}
        for fiscal_year_id, year in sorted(years):
            session.execute(
                insert(ItemMonthFigure).from_select(
                    COLUMNS, recomputed(year, fiscal_year_id, chunk)
                )
            )


def rebuild(session: Session | Connection, year: int | None = None) -> int:
    """Recompute the whole table (or one fiscal year's rows); the number of rows written."""
    query = select(FiscalYear.id, FiscalYear.year)
    if year is not None:
        query = query.where(FiscalYear.year == year)
    written = 0
    for fiscal_year_id, number in session.execute(query).all():
        session.execute(
            delete(ItemMonthFigure).where(ItemMonthFigure.fiscal_year_id == fiscal_year_id)
        )
        session.execute(
            insert(ItemMonthFigure).from_select(COLUMNS, recomputed(number, fiscal_year_id))
        )
        written += (
            session.scalar(
                select(func.count()).where(ItemMonthFigure.fiscal_year_id == fiscal_year_id)
            )
            or 0
        )
    return written


@dataclass(frozen=True)
class Drift:
    """Rows of the table that differ from their recomputation."""

    year: int
    missing: list[tuple[Any, ...]]  # recomputed, not stored (or stored otherwise)
    stale: list[tuple[Any, ...]]  # stored, not recomputed (or recomputed otherwise)


def check(session: Session) -> list[Drift]:
    """Compare the table with ``recomputed``, year by year; empty when they agree."""
    stored_columns = [getattr(ItemMonthFigure, name) for name in COLUMNS]
    drifts = []
    for fiscal_year_id, year in session.execute(select(FiscalYear.id, FiscalYear.year)).all():
        expected = {_plain(row) for row in session.execute(recomputed(year, fiscal_year_id))}
        stored = {
            _plain(row)
            for row in session.execute(
                select(*stored_columns).where(ItemMonthFigure.fiscal_year_id == fiscal_year_id)
            )
        }
        if expected != stored:
            drifts.append(Drift(year, sorted(expected - stored), sorted(stored - expected)))
    return drifts


def _plain(row: Any) -> tuple[Any, ...]:
    """A row as comparable values (enums by value, booleans as such: SQLite returns ints)."""
    return tuple(
        value.value if hasattr(value, "value") else bool(value) if name in _FLAGS else value
        for name, value in zip(COLUMNS, row, strict=True)
    )


_FLAGS = {"owes", "submitted", "late"}


# --- upkeep: what a transaction touched is refreshed before it commits -------------------


def _touched(session: Session) -> set[int]:
    touched: set[int] = session.info.setdefault(TOUCHED_ITEMS, set())
    return touched


def _item_of(instance: object) -> int | None:
    if isinstance(instance, BudgetItem):
        return instance.id
    return getattr(instance, "item_id", None)


def _counts(instance: object) -> bool:
    """Whether a new or deleted object changes a row: a draft item or an unfiled report
    does not (no row for the one, the same row with or without the other)."""
    if isinstance(instance, BudgetItem):
        return instance.status is ItemStatus.funded
    if isinstance(instance, MonitoringReport):
        return instance.status not in UNSUBMITTED
    return True


def _changes(instance: object, names: tuple[str, ...]) -> set[int]:
    """The items whose rows a changed object moves: its item now, and before if it moved."""
    state = inspect(instance)
    if not any(state.attrs[name].history.has_changes() for name in names):
        return set()
    key = "id" if isinstance(instance, BudgetItem) else "item_id"
    history = state.attrs[key].history
    return {item for item in (*history.unchanged, *history.added, *history.deleted) if item}


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush: UOWTransaction) -> None:
    touched = _touched(session)
    for instance in session.deleted:
        if type(instance) in _WATCHED and (item_id := _item_of(instance)) is not None:
            touched.add(item_id)
    for instance in session.new:
        item_id = _item_of(instance)
        if type(instance) in _WATCHED and _counts(instance) and item_id is not None:
            touched.add(item_id)
    for instance in session.dirty:
        names = _WATCHED.get(type(instance))
        if names:
            touched.update(_changes(instance, names))


_BULK_TABLES = {
    model.__table__.name: model  # type: ignore[attr-defined]
    for model in (BudgetItem, MonitoringReport, SpendingPlanMonth, Disbursement)
}


@event.listens_for(Session, "do_orm_execute")
def _collect_bulk(state: ORMExecuteState) -> None:
    """Bulk writes by ``db.insert_many`` / ``update_many``: the rows name their items (or,
    for reports updated in bulk, their own ids, resolved at the commit)."""
    statement = state.statement
    if not isinstance(statement, Insert | Update):
        return
    table = getattr(statement.table, "name", None)
    model = _BULK_TABLES.get(table) if isinstance(table, str) else None
    if model is None:
        return
    parameters: Any = state.parameters
    rows = [parameters] if isinstance(parameters, dict) else list(parameters or [])
    session = state.session
    if isinstance(statement, Insert):
        if model is not BudgetItem:  # new items are drafts: no rows yet
            _touched(session).update(row["item_id"] for row in rows if "item_id" in row)
    elif model is BudgetItem:
        _touched(session).update(row["_id"] for row in rows if "_id" in row)
    elif model is MonitoringReport:
        session.info.setdefault(_REPORTS_UPDATED, set()).update(
            row["_id"] for row in rows if "_id" in row
        )
    else:
        raise RuntimeError(
            f"{table}: a bulk update the overview's read model cannot follow; "
            "name the items with db.touch_items"
        )


@event.listens_for(Session, "before_commit")
def _refresh_touched(session: Session) -> None:
    session.flush()
    touched = session.info.pop(TOUCHED_ITEMS, set())
    reports = session.info.pop(_REPORTS_UPDATED, set())
    if reports:
        for chunk in _chunks(sorted(reports)):
            touched.update(
                session.scalars(
                    select(MonitoringReport.item_id).where(MonitoringReport.id.in_(chunk))
                )
            )
    if touched:
        refresh(session, touched)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    """A rolled-back transaction's notes go with it (a savepoint's stay: refreshing an item
    too many is harmless)."""
    if transaction.parent is None:
        session.info.pop(TOUCHED_ITEMS, None)
        session.info.pop(_REPORTS_UPDATED, None)
