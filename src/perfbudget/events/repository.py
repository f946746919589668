from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

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
