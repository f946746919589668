"""Events for other county systems (issue 6): an outbox written in the caller's transaction,
and the subscriptions that say where each kind of event goes."""

import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urlsplit

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.audit import service as audit
from perfbudget.config import get_settings
from perfbudget.db import insert_many
from perfbudget.errors import Conflict, Unprocessable, not_found
from perfbudget.events import addresses, repository
from perfbudget.events.models import (
    Delivery,
    DeliveryStatus,
    EventType,
    OutboxEvent,
    Subscription,
)
from perfbudget.events.schemas import (
    DeliveryFilter,
    DeliveryRead,
    EventFilter,
    EventRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionFilter,
    SubscriptionRead,
    SubscriptionUpdate,
)
from perfbudget.pagination import Page
from perfbudget.principal import Actor
from perfbudget.versioning import check_version


def _as_json(payload: dict[str, Any]) -> dict[str, Any]:
    """Dates, decimals and ids as the receivers read them: strings where JSON has no type."""
    result: dict[str, Any] = json.loads(json.dumps(payload, default=str, ensure_ascii=False))
    return result


def _subscribers(subscriptions: Sequence[Subscription], event_type: EventType) -> list[int]:
    """The active subscriptions that asked for the type: each gets one pending delivery."""
    return [s.id for s in subscriptions if event_type.value in s.event_types]


def emit(session: Session, event_type: EventType, payload: dict[str, Any]) -> OutboxEvent:
    """Append the event and one pending delivery per active subscription to it, in the
    caller's transaction: the event commits or rolls back with the change it reports."""
    now = clock.utcnow()
    event = OutboxEvent(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        payload=_as_json(payload),
        occurred_at=now,
    )
    repository.add(session, event)
    session.flush()
    for subscription_id in _subscribers(repository.active_subscriptions(session), event_type):
        repository.add(
            session,
            Delivery(event_id=event.id, subscription_id=subscription_id, next_attempt_at=now),
        )
    session.flush()
    return event


@dataclass(frozen=True)
class NewEvent:
    """An event for ``emit_many``; its ``event_id`` is chosen up front, so that a caller can
    record which event it sent before the event is written."""

    event_type: EventType
    payload: dict[str, Any]
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def emit_many(session: Session, events: Sequence[NewEvent]) -> list[int]:
    """``emit`` for a batch job: the events and their deliveries in a fixed number of
    statements, whatever their number, in the caller's (write) transaction."""
    if not events:
        return []
    now = clock.utcnow()
    ids = insert_many(
        session,
        OutboxEvent,
        [
            {
                "event_id": event.event_id,
                "event_type": event.event_type,
                "payload": _as_json(event.payload),
                "occurred_at": now,
            }
            for event in events
        ],
    )
    subscriptions = repository.active_subscriptions(session)
    deliveries = [
        {
            "event_id": id_,
            "subscription_id": subscription_id,
            "status": DeliveryStatus.pending,
            "attempts": 0,
            "next_attempt_at": now,
        }
        for id_, event in zip(ids, events, strict=True)
        for subscription_id in _subscribers(subscriptions, event.event_type)
    ]
    insert_many(session, Delivery, deliveries)
    return ids


# --- subscriptions ---------------------------------------------------------------------------


def _has_valid_port(parts: SplitResult) -> bool:
    try:
        return parts.port is None or parts.port > 0
    except ValueError:  # out of range or not a number
        return False


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not _has_valid_port(parts):
        raise Unprocessable(
            "SUBSCRIPTION_URL_INVALID",
            "The subscription URL must be an absolute http(s) URL.",
            "订阅地址须为完整的 http(s) 地址。",
            extra={"url": url},
        )
    refusal = addresses.refusal(url, get_settings())
    if refusal is not None:
        # the host, not the URL: the URL may carry a password
        raise Unprocessable(
            "SUBSCRIPTION_URL_REFUSED", refusal.en, refusal.zh, extra={"host": parts.hostname}
        )
    return url


def _types(event_types: list[EventType]) -> list[str]:
    return sorted({event_type.value for event_type in event_types})


def _masked(secret: str) -> str:
    return "****" + secret[-4:]


def to_read(subscription: Subscription) -> SubscriptionRead:
    return SubscriptionRead(
        id=subscription.id,
        name=subscription.name,
        url=subscription.url,
        event_types=[EventType(value) for value in subscription.event_types],
        secret_hint=_masked(subscription.secret),
        is_active=subscription.is_active,
        version=subscription.version,
        created_at=subscription.created_at,
        updated_at=subscription.updated_at,
    )


def get_subscription(session: Session, subscription_id: int) -> Subscription:
    subscription = repository.get_subscription(session, subscription_id)
    if subscription is None:
        raise not_found("Event subscription", "事件订阅")
    return subscription


def list_subscriptions(session: Session, filters: SubscriptionFilter) -> Page[SubscriptionRead]:
    rows, total = repository.subscriptions_page(
        session, filters.active, sort=filters.sort, limit=filters.limit, offset=filters.offset
    )
    return Page[SubscriptionRead](
        items=[to_read(row) for row in rows],
        total=total,
        limit=filters.limit,
        offset=filters.offset,
    )


def create_subscription(
    session: Session, actor: Actor, data: SubscriptionCreate
) -> SubscriptionCreated:
    secret = data.secret or secrets.token_urlsafe(32)
    subscription = Subscription(
        name=data.name,
        url=_check_url(data.url),
        secret=secret,
        event_types=_types(data.event_types),
        is_active=True,
        created_by_id=actor.user_id,
    )
    repository.add(session, subscription)
    audit.record_edit(session, actor, "created", subscription, None)
    return SubscriptionCreated(**to_read(subscription).model_dump(), secret=secret)


def update_subscription(
    session: Session,
    actor: Actor,
    subscription_id: int,
    data: SubscriptionUpdate,
    expected_version: int | None,
) -> Subscription:
    subscription = get_subscription(session, subscription_id)
    check_version(subscription.version, expected_version)
    before = audit.state(subscription)
    if data.name is not None:
        subscription.name = data.name
    if data.url is not None:
        subscription.url = _check_url(data.url)
    if data.event_types is not None:
        subscription.event_types = _types(data.event_types)
    if data.secret is None:
        audit.record_edit(session, actor, "updated", subscription, before)
    else:
        subscription.secret = data.secret
        _record_rotation(session, actor, subscription, before)
    return subscription


def _record_rotation(
    session: Session, actor: Actor, subscription: Subscription, before: dict[str, Any]
) -> None:
    """The edit, and that the signing key changed: the trail never says what it is."""
    session.flush()
    audit.record_change(
        session,
        actor,
        f"{Subscription.__audit_entity__}.updated",
        entity_type=Subscription.__audit_entity__,
        entity_id=subscription.id,
        before={**before, "signing_key_rotated": False},
        after={**audit.state(subscription), "signing_key_rotated": True},
    )


def set_active(
    session: Session,
    actor: Actor,
    subscription_id: int,
    active: bool,
    expected_version: int | None,
) -> Subscription:
    """A deactivated subscription gets no new deliveries; its pending ones are not sent."""
    subscription = get_subscription(session, subscription_id)
    check_version(subscription.version, expected_version)
    if subscription.is_active == active:
        return subscription
    before = audit.state(subscription)
    subscription.is_active = active
    audit.record_edit(
        session, actor, "activated" if active else "deactivated", subscription, before
    )
    return subscription


# --- the outbox and the delivery log ---------------------------------------------------------


def list_events(session: Session, filters: EventFilter) -> Page[EventRead]:
    rows, total = repository.events_page(
        session, filters.event_type, sort=filters.sort, limit=filters.limit, offset=filters.offset
    )
    items = [
        EventRead(
            id=row.id,
            event_id=row.event_id,
            event_type=row.event_type,
            data=row.payload,
            occurred_at=row.occurred_at,
        )
        for row in rows
    ]
    return Page[EventRead](items=items, total=total, limit=filters.limit, offset=filters.offset)


def list_deliveries(session: Session, filters: DeliveryFilter) -> Page[DeliveryRead]:
    rows, total = repository.deliveries_page(
        session,
        subscription_id=filters.subscription_id,
        status=filters.status,
        event_type=filters.event_type,
        sort=filters.sort,
        limit=filters.limit,
        offset=filters.offset,
    )
    items = [_delivery_read(delivery, event) for delivery, event in rows]
    return Page[DeliveryRead](items=items, total=total, limit=filters.limit, offset=filters.offset)


def _delivery_read(delivery: Delivery, event: OutboxEvent) -> DeliveryRead:
    return DeliveryRead(
        id=delivery.id,
        event_id=event.event_id,
        event_type=event.event_type,
        subscription_id=delivery.subscription_id,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
    )


def retry_delivery(session: Session, actor: Actor, delivery_id: int) -> DeliveryRead:
    """Put a failed delivery back in the queue: due now, its attempts counted afresh (the
    trail keeps the last outcome). The same event id is posted, so receivers deduplicate."""
    found = repository.delivery_for_update(session, delivery_id)
    if found is None:
        raise not_found("Event delivery", "事件投递记录")
    delivery, event = found
    if delivery.status is not DeliveryStatus.failed:
        raise Conflict(
            "DELIVERY_NOT_FAILED",
            f"Only a failed delivery can be re-queued; this one is {delivery.status.label_en}.",
            f"仅投递失败的记录可重新投递；该记录当前为“{delivery.status.label_zh}”。",
            extra={"status": delivery.status.value},
        )
    if not get_subscription(session, delivery.subscription_id).is_active:
        raise Conflict(
            "SUBSCRIPTION_INACTIVE",
            "The delivery's subscription is deactivated; activate it before re-queueing.",
            "该投递所属的订阅已停用，请先启用订阅再重新投递。",
            extra={"subscription_id": delivery.subscription_id},
        )
    before = audit.state(delivery)
    delivery.status = DeliveryStatus.pending
    delivery.attempts = 0
    delivery.next_attempt_at = clock.utcnow()
    delivery.last_status_code = None
    delivery.last_error = None
    audit.record_edit(session, actor, "requeued", delivery, before)
    return _delivery_read(delivery, event)
