"""Issue 14: an administrator re-queues a delivery that failed for good; the deliverer then
posts it again with the same event id."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from perfbudget.events import service, signing
from perfbudget.events.delivery import MAX_ATTEMPTS, deliver_due
from perfbudget.events.models import Delivery, DeliveryStatus, EventType
from tests.conftest import DEMO_USERS
from tests.events.conftest import (
    SUBSCRIPTIONS,
    Events,
    Receiver,
    attempt_until_given_up,
    only_delivery,
)
from tests.problems import assert_problem

DELIVERIES = "/api/v1/event-deliveries"


def retry_url(delivery_id: int) -> str:
    return f"{DELIVERIES}/{delivery_id}/retry"


def emitted(db: Session, events: Events) -> tuple[dict, str]:
    subscription = events.subscribe()
    event = service.emit(db, EventType.budget_decided, {"item_id": 7})
    db.commit()
    return subscription, event.event_id


def failed_for_good(db: Session, receiver: Receiver) -> Delivery:
    """Every attempt answered 503 until the deliverer gave up."""
    attempt_until_given_up(db, receiver, 503)
    db.commit()  # what the deliverer did stays, whatever a request then refuses
    row = only_delivery(db)
    assert (row.status, row.attempts) == (DeliveryStatus.failed, MAX_ATTEMPTS)
    return row


def test_a_failed_delivery_is_requeued_and_then_delivered(
    db: Session, events: Events, receiver: Receiver
):
    _, event_id = emitted(db, events)
    row = failed_for_good(db, receiver)
    before = datetime.now(UTC)

    response = events.client.post(retry_url(row.id), headers=events.auth("admin"))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["event_id"], body["status"]) == (row.id, event_id, "pending")
    assert (body["attempts"], body["last_status_code"], body["last_error"]) == (0, None, None)
    assert datetime.fromisoformat(body["next_attempt_at"]) >= before
    with receiver.client() as client:
        run = deliver_due(db, client)
    assert (run.delivered, run.retrying, run.failed) == (1, 0, 0)
    assert receiver.requests[-1].headers[signing.EVENT_ID_HEADER] == event_id
    [logged] = events.deliveries(status="delivered")
    assert (logged["id"], logged["attempts"], logged["last_status_code"]) == (row.id, 1, 200)

    trail = events.client.get(
        "/api/v1/audit-events",
        params={"entity_type": "event_delivery", "entity_id": str(row.id)},
        headers=events.auth("finance"),
    ).json()["items"]
    [requeued] = [e for e in trail if e["action"] == "event_delivery.requeued"]
    assert requeued["username"] == "admin"
    assert requeued["changes"]["before"]["status"] == "failed"
    assert requeued["changes"]["before"]["attempts"] == MAX_ATTEMPTS
    assert requeued["changes"]["before"]["last_error"] == "HTTP 503"
    assert requeued["changes"]["after"]["status"] == "pending"
    assert requeued["changes"]["after"]["attempts"] == 0


def test_only_a_failed_delivery_is_requeued(db: Session, events: Events, receiver: Receiver):
    emitted(db, events)
    row = only_delivery(db)
    admin = events.auth("admin")

    pending = assert_problem(
        events.client.post(retry_url(row.id), headers=admin), 409, "DELIVERY_NOT_FAILED"
    )
    assert pending["status"] == 409
    with receiver.client() as client:
        deliver_due(db, client)
    db.commit()
    assert only_delivery(db).status is DeliveryStatus.delivered
    delivered = events.client.post(retry_url(row.id), headers=admin)
    assert assert_problem(delivered, 409, "DELIVERY_NOT_FAILED")["status"] == 409
    assert only_delivery(db).attempts == 1
    with receiver.client() as client:
        assert deliver_due(db, client).processed == 0
    assert len(receiver.requests) == 1


def test_a_deactivated_subscription_is_not_requeued(
    db: Session, events: Events, receiver: Receiver
):
    subscription, _ = emitted(db, events)
    admin = events.auth("admin")
    url = f"{SUBSCRIPTIONS}/{subscription['id']}"
    assert events.client.post(f"{url}/deactivate", json={"version": 1}, headers=admin).is_success
    with receiver.client() as client:
        assert deliver_due(db, client).failed == 1
    db.commit()
    row = only_delivery(db)
    assert row.last_error == "subscription deactivated"

    refused = events.client.post(retry_url(row.id), headers=admin)
    assert (
        assert_problem(refused, 409, "SUBSCRIPTION_INACTIVE")["subscription_id"]
        == subscription["id"]
    )
    assert only_delivery(db).status is DeliveryStatus.failed

    assert events.client.post(f"{url}/activate", json={"version": 2}, headers=admin).is_success
    assert events.client.post(retry_url(row.id), headers=admin).json()["status"] == "pending"
    with receiver.client() as client:
        assert deliver_due(db, client).delivered == 1
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("user", [u for u in DEMO_USERS if u != "admin"])
def test_only_an_admin_requeues(db: Session, events: Events, receiver: Receiver, user: str):
    emitted(db, events)
    row = failed_for_good(db, receiver)
    assert_problem(
        events.client.post(retry_url(row.id), headers=events.auth(user)), 403, "PERMISSION_DENIED"
    )
    assert only_delivery(db).status is DeliveryStatus.failed


def test_an_unknown_delivery_is_404(events: Events):
    admin = events.auth("admin")
    assert_problem(events.client.post(retry_url(999999), headers=admin), 404, "NOT_FOUND")
    assert_problem(events.client.post(retry_url(0), headers=admin), 404, "NOT_FOUND")
    assert_problem(events.client.post(retry_url(1)), 401, "NOT_AUTHENTICATED")
