"""The reminders' queries: the facts a batch needs, a few statements per batch whatever its
size, and the claim that makes a reminder go out once."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import RowMapping, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from perfbudget.budget_items.models import BudgetItem, ItemStatus
from perfbudget.events.models import EventType
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.monitoring.models import (
    UNSUBMITTED,
    MonitoringReport,
    Rectification,
    RectificationStatus,
)
from perfbudget.orgs.models import Organisation
from perfbudget.reminders.models import ReminderSent

_ORGANISATION = (
    Organisation.id.label("organisation_id"),
    Organisation.code.label("organisation_code"),
    Organisation.name_zh.label("organisation_name"),
)
_ITEM = (
    BudgetItem.id.label("item_id"),
    BudgetItem.code.label("item_code"),
    BudgetItem.name.label("item_name"),
    BudgetItem.fiscal_year_id,
)


def fiscal_years(session: Session) -> Sequence[FiscalYear]:
    return session.scalars(select(FiscalYear).order_by(FiscalYear.year)).all()


def funded_items(
    session: Session, fiscal_year_ids: Sequence[int], after_id: int, limit: int
) -> Sequence[RowMapping]:
    """The next funded items of those years by id, with their owners (who file)."""
    query = (
        select(*_ITEM, BudgetItem.kind, BudgetItem.decided_at, *_ORGANISATION)
        .join(Organisation, Organisation.id == BudgetItem.organisation_id)
        .where(
            BudgetItem.fiscal_year_id.in_(fiscal_year_ids),
            BudgetItem.status == ItemStatus.funded,
            BudgetItem.id > after_id,
        )
        .order_by(BudgetItem.id)
        .limit(limit)
    )
    return session.execute(query).mappings().all()


def filed_months(session: Session, item_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(item, month) of the reports filed: submitted, and not returned to their author — as
    the monitoring overview counts them."""
    query = select(MonitoringReport.item_id, MonitoringReport.month).where(
        MonitoringReport.item_id.in_(item_ids), MonitoringReport.status.not_in(UNSUBMITTED)
    )
    return {(item_id, month) for item_id, month in session.execute(query)}


def awaiting_rectifications(
    session: Session, statuses: Sequence[RectificationStatus], after_id: int, limit: int
) -> Sequence[RowMapping]:
    """The next rectifications in those states by id, with their report's month, item and
    the organisation that answers."""
    query = (
        select(
            Rectification.id,
            Rectification.deadline,
            Rectification.status,
            MonitoringReport.month,
            *_ITEM,
            *_ORGANISATION,
        )
        .join(MonitoringReport, MonitoringReport.id == Rectification.report_id)
        .join(BudgetItem, BudgetItem.id == Rectification.item_id)
        .join(Organisation, Organisation.id == Rectification.organisation_id)
        .where(Rectification.status.in_(statuses), Rectification.id > after_id)
        .order_by(Rectification.id)
        .limit(limit)
    )
    return session.execute(query).mappings().all()


_KEY = (ReminderSent.event_type, ReminderSent.subject_key, ReminderSent.reminder_day)


def claim(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Insert the rows that are not there yet (by event type, subject and day) and answer
    their event ids. A row another host inserted, committed or not, is skipped: PostgreSQL
    makes the second insert wait for the first's transaction, SQLite has one writer."""
    if not rows:
        return set()
    table = ReminderSent.__table__
    assert isinstance(table, Table)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .on_conflict_do_nothing(index_elements=[column.key for column in _KEY])
        .returning(table.c.event_id)
    )
    return set(session.execute(statement, rows).scalars())


Key = tuple[EventType, str, date]


def already_sent(session: Session, keys: Sequence[Key]) -> set[Key]:
    """Those of the (event type, subject, day) keys that were sent."""
    if not keys:
        return set()
    # each column's values, which the unique index serves, then the exact keys
    columns = [{key[position] for key in keys} for position in range(len(_KEY))]
    query = select(*_KEY).where(
        *(column.in_(values) for column, values in zip(_KEY, columns, strict=True))
    )
    wanted = set(keys)
    return {(kind, subject, day) for kind, subject, day in session.execute(query)} & wanted
