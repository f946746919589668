"""``perfbudget events deliver``: POST due events to their subscribers, signed, retrying with
exponential backoff. The transport is an ``httpx.Client``, so tests plug in a MockTransport."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.config import Settings, get_settings
from perfbudget.events import addresses, repository, signing
from perfbudget.events.models import Delivery, DeliveryStatus, OutboxEvent, Subscription

TIMEOUT_SECONDS = 10.0
MAX_ATTEMPTS = 10
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)


@dataclass
class DeliveryRun:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def processed(self) -> int:
        return self.delivered + self.retrying + self.failed


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 2^attempts × 30 s, at most 6 h."""
    delay: timedelta = BASE_DELAY * (2**attempts)
    return min(delay, MAX_DELAY)


def body_of(event: OutboxEvent) -> bytes:
    """The JSON posted; the same bytes on every attempt, so the event id is stable."""
    document = {
        "event_id": event.event_id,
        "type": event.event_type.value,
        "occurred_at": event.occurred_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def new_client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)


def deliver_due(
    session: Session, client: httpx.Client, *, batch: int = 100, now: datetime | None = None
) -> DeliveryRun:
    """Attempt every due pending delivery (up to ``batch``), in the caller's transaction: the
    rows stay locked until it commits, so another deliverer skips them."""
    moment = now or clock.utcnow()
    settings = get_settings()
    run = DeliveryRun()
    due = repository.lock_due(session, moment, batch)
    events = repository.events_by_id(session, {d.event_id for d in due})
    subscriptions = repository.subscriptions_by_id(session, {d.subscription_id for d in due})
    for delivery in due:
        _attempt(
            client,
            settings,
            delivery,
            events[delivery.event_id],
            subscriptions[delivery.subscription_id],
            moment,
        )
        if delivery.status is DeliveryStatus.delivered:
            run.delivered += 1
        elif delivery.status is DeliveryStatus.failed:
            run.failed += 1
        else:
            run.retrying += 1
    session.flush()
    return run


def _attempt(
    client: httpx.Client,
    settings: Settings,
    delivery: Delivery,
    event: OutboxEvent,
    subscription: Subscription,
    now: datetime,
) -> None:
    if not subscription.is_active:
        delivery.status = DeliveryStatus.failed
        delivery.last_error = "subscription deactivated"
        delivery.last_failed_at = now
        return
    body = body_of(event)
    # signed at the wall-clock time the receiver checks against
    headers = signing.headers(subscription.secret, event.event_id, event.event_type.value, body)
    delivery.attempts += 1
    delivery.last_status_code = None
    # checked again at each attempt: the name may resolve elsewhere since it was subscribed
    refusal = addresses.refusal(subscription.url, settings)
    if refusal is not None:
        _failed(delivery, refusal.summary, now)
        return
    try:
        response = client.post(
            subscription.url, content=body, headers=headers, timeout=TIMEOUT_SECONDS
        )
    except httpx.HTTPError as exc:
        _failed(delivery, _outcome(exc), now)
        return
    delivery.last_status_code = response.status_code
    if response.is_success:
        delivery.status = DeliveryStatus.delivered
        delivery.delivered_at = now
        delivery.last_error = None
    else:
        # the status only: what the target answers is not ours to keep or show
        _failed(delivery, f"HTTP {response.status_code}", now)


def _outcome(exc: httpx.HTTPError) -> str:
    """A short summary of a failed request, without the exception's text."""
    if isinstance(exc, httpx.TimeoutException):
        summary = "timed out"
    elif isinstance(exc, httpx.ConnectError):
        summary = "could not connect"
    else:
        summary = "request failed"
    return f"{summary} ({exc.__class__.__name__})"


def _failed(delivery: Delivery, error: str, now: datetime) -> None:
    delivery.last_error = error
    delivery.last_failed_at = now
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.failed
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
