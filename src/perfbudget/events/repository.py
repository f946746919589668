from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select, type_coerce
from sqlalchemy.orm import Session

from perfbudget.db import UTCDateTime
from perfbudget.events.models import (
    Delivery,
    DeliveryStatus,
    EventType,
    OutboxEvent,
    Subscription,
)
from perfbudget.pagination import declared_order, fetch_page, fetch_page_rows, sort_order


def add(session: Session, row: OutboxEvent | Delivery | Subscription) -> None:
    session.add(row)


def active_subscriptions(session: Session) -> list[Subscription]:
    query = select(Subscription).where(Subscription.is_active.is_(True)).order_by(Subscription.id)
    return list(session.scalars(query))


def get_subscription(session: Session, subscription_id: int) -> Subscription | None:
    return session.get(Subscription, subscription_id)


_SUBSCRIPTION_SORTS = {
    "id": Subscription.id,
    "name": Subscription.name,
    "created_at": Subscription.created_at,
    "updated_at": Subscription.updated_at,
}
_EVENT_SORTS = {
    "id": OutboxEvent.id,
    "event_type": OutboxEvent.event_type,
    "occurred_at": OutboxEvent.occurred_at,
}
_DELIVERY_SORTS = {
    "id": Delivery.id,
    "subscription_id": Delivery.subscription_id,
    "status": declared_order(Delivery.status, DeliveryStatus),
    "attempts": Delivery.attempts,
    "next_attempt_at": Delivery.next_attempt_at,
    "delivered_at": Delivery.delivered_at,
}


def subscriptions_page(
    session: Session, active: bool | None, *, sort: str, limit: int, offset: int
) -> tuple[list[Subscription], int]:
    query = select(Subscription)
    if active is not None:
        query = query.where(Subscription.is_active.is_(active))
    order = sort_order(sort, _SUBSCRIPTION_SORTS, Subscription.id)
    return fetch_page(session, query, order, limit=limit, offset=offset)


def events_page(
    session: Session, event_type: EventType | None, *, sort: str, limit: int, offset: int
) -> tuple[list[OutboxEvent], int]:
    query = select(OutboxEvent)
    if event_type is not None:
        query = query.where(OutboxEvent.event_type == event_type)
    order = sort_order(sort, _EVENT_SORTS, OutboxEvent.id)
    return fetch_page(session, query, order, limit=limit, offset=offset)


def deliveries_page(
    session: Session,
    *,
    subscription_id: int | None,
    status: DeliveryStatus | None,
    event_type: EventType | None,
    sort: str,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Delivery, OutboxEvent]], int]:
    """Each delivery with its event, in two statements."""
    query = select(Delivery, OutboxEvent).join(OutboxEvent, OutboxEvent.id == Delivery.event_id)
    if subscription_id is not None:
        query = query.where(Delivery.subscription_id == subscription_id)
    if status is not None:
        query = query.where(Delivery.status == status)
    if event_type is not None:
        query = query.where(OutboxEvent.event_type == event_type)
    order = sort_order(sort, _DELIVERY_SORTS, Delivery.id)
    rows, total = fetch_page_rows(session, query, order, limit=limit, offset=offset)
    return [(delivery, event) for delivery, event in rows], total


def delivery_for_update(session: Session, delivery_id: int) -> tuple[Delivery, OutboxEvent] | None:
    """A delivery with its event; the delivery's row stays locked until the transaction ends."""
    query = (
        select(Delivery, OutboxEvent)
        .join(OutboxEvent, OutboxEvent.id == Delivery.event_id)
        .where(Delivery.id == delivery_id)
        .with_for_update(of=Delivery)
        .execution_options(populate_existing=True)
    )
    row = session.execute(query).first()
    return (row[0], row[1]) if row is not None else None


def lock_due(session: Session, now: datetime, limit: int) -> list[Delivery]:
    """Due pending deliveries, locked; on PostgreSQL rows another deliverer holds are skipped
    (SKIP LOCKED), so several deliverers can run side by side."""
    query = (
        select(Delivery)
        .where(Delivery.status == DeliveryStatus.pending, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def events_by_id(session: Session, ids: set[int]) -> dict[int, OutboxEvent]:
    if not ids:
        return {}
    return {
        row.id: row for row in session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(ids)))
    }


def subscriptions_by_id(session: Session, ids: set[int]) -> dict[int, Subscription]:
    if not ids:
        return {}
    query = select(Subscription).where(Subscription.id.in_(ids))
    return {row.id: row for row in session.scalars(query)}


@dataclass(frozen=True)
class Backlog:
    """The outbox's deliveries not yet delivered, for /metrics."""

    pending: int
    due: int  # pending and due now: what a running deliverer would take
    oldest_due_at: datetime | None
    retrying: int  # pending after a failed attempt
    failed: int  # given up (or its subscription deactivated)
    last_failed_at: datetime | None  # any delivery's latest failed attempt


def backlog(session: Session, now: datetime) -> Backlog:
    """Two statements on indexes: (status, next_attempt_at) and last_failed_at."""
    pending = Delivery.status == DeliveryStatus.pending
    due = and_(pending, Delivery.next_attempt_at <= now)
    counts = session.execute(
        select(
            func.count(case((pending, 1))),
            func.count(case((due, 1))),
            func.min(type_coerce(case((due, Delivery.next_attempt_at)), UTCDateTime())),
            func.count(case((and_(pending, Delivery.last_error.is_not(None)), 1))),
            func.count(case((Delivery.status == DeliveryStatus.failed, 1))),
        ).where(Delivery.status.in_([DeliveryStatus.pending, DeliveryStatus.failed]))
    ).one()
    last_failed_at = session.scalar(select(func.max(Delivery.last_failed_at)))
    return Backlog(*counts, last_failed_at=last_failed_at)
