"""The purge's queries on the outbox. Each delete names its rows by id and states its criteria
again, so a row another purge removed meanwhile, or one that no longer qualifies, is skipped."""

from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from perfbudget.events.models import Delivery, DeliveryStatus, OutboxEvent
from perfbudget.reminders.models import ReminderSent

_QUIET = {"synchronize_session": False}


def _delivered_before(cutoff: datetime) -> ColumnElement[bool]:
    return and_(Delivery.status == DeliveryStatus.delivered, Delivery.delivered_at < cutoff)


def _keeps_its_event(cutoff: datetime) -> ColumnElement[bool]:
    """A delivery pending, retrying or failed, or delivered since the cutoff (null-safe)."""
    return or_(
        Delivery.status != DeliveryStatus.delivered,
        Delivery.delivered_at.is_(None),
        Delivery.delivered_at >= cutoff,
    )


def _event_done_before(cutoff: datetime) -> ColumnElement[bool]:
    """Older than the cutoff, and every delivery of it (if it had a subscriber) delivered
    before the cutoff."""
    keeping = select(Delivery.id).where(
        Delivery.event_id == OutboxEvent.id, _keeps_its_event(cutoff)
    )
    return and_(OutboxEvent.occurred_at < cutoff, ~exists(keeping))


def _locked_ids(
    session: Session, column: InstrumentedAttribute[int], criteria: ColumnElement[bool], limit: int
) -> list[int]:
    """Up to ``limit`` ids, their rows locked; rows another purge holds are skipped."""
    query = (
        select(column)
        .where(criteria)
        .order_by(column)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def _count(
    session: Session, column: InstrumentedAttribute[int], criteria: ColumnElement[bool]
) -> int:
    return session.scalar(select(func.count(column)).where(criteria)) or 0


def done_event_ids(session: Session, cutoff: datetime, limit: int) -> list[int]:
    return _locked_ids(session, OutboxEvent.id, _event_done_before(cutoff), limit)


def count_done_events(session: Session, cutoff: datetime) -> int:
    return _count(session, OutboxEvent.id, _event_done_before(cutoff))


def delete_events(session: Session, ids: list[int], cutoff: datetime) -> tuple[int, int]:
    """Delete those of ``ids`` still done, with their deliveries: (events, deliveries)."""
    deliveries = (
        delete(Delivery)
        .where(Delivery.event_id.in_(ids), _delivered_before(cutoff))
        .returning(Delivery.id)
    )
    removed_deliveries = len(session.scalars(deliveries, execution_options=_QUIET).all())
    any_delivery = select(Delivery.id).where(Delivery.event_id == OutboxEvent.id)
    events = (
        delete(OutboxEvent)
        .where(OutboxEvent.id.in_(ids), OutboxEvent.occurred_at < cutoff, ~exists(any_delivery))
        .returning(OutboxEvent.id)
    )
    removed_events = len(session.scalars(events, execution_options=_QUIET).all())
    return removed_events, removed_deliveries


def delivered_ids(session: Session, cutoff: datetime, limit: int) -> list[int]:
    return _locked_ids(session, Delivery.id, _delivered_before(cutoff), limit)


def count_delivered(session: Session, cutoff: datetime) -> int:
    return _count(session, Delivery.id, _delivered_before(cutoff))


def delete_deliveries(session: Session, ids: list[int], cutoff: datetime) -> int:
    statement = (
        delete(Delivery)
        .where(Delivery.id.in_(ids), _delivered_before(cutoff))
        .returning(Delivery.id)
    )
    return len(session.scalars(statement, execution_options=_QUIET).all())


def _claim_spent(cutoff: datetime) -> ColumnElement[bool]:
    """A reminder claimed before the cutoff for a day before it: no run can claim it again
    (a due-soon claim is for a due date at most the lead time ahead of its sending)."""
    return and_(ReminderSent.sent_at < cutoff, ReminderSent.reminder_day < cutoff.date())


def spent_reminder_ids(session: Session, cutoff: datetime, limit: int) -> list[int]:
    return _locked_ids(session, ReminderSent.id, _claim_spent(cutoff), limit)


def count_spent_reminders(session: Session, cutoff: datetime) -> int:
    return _count(session, ReminderSent.id, _claim_spent(cutoff))


def delete_reminders(session: Session, ids: list[int], cutoff: datetime) -> int:
    statement = (
        delete(ReminderSent)
        .where(ReminderSent.id.in_(ids), _claim_spent(cutoff))
        .returning(ReminderSent.id)
    )
    return len(session.scalars(statement, execution_options=_QUIET).all())
