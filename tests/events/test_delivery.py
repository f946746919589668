"""`perfbudget events deliver`: signed POSTs, retries with exponential backoff, a delivery log,
and an event id stable across retries (receivers deduplicate by it)."""

import json
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from perfbudget.events import service, signing
from perfbudget.events.delivery import MAX_ATTEMPTS, backoff, deliver_due
from perfbudget.events.models import Delivery, DeliveryStatus, EventType
from tests.events.conftest import SECRET, Events, attempt_until_given_up

DATA = {"item_id": 7, "code": "JY-2027-001", "approved_amount": "1000000.00"}


def emitted(db: Session, events: Events, **subscription: object) -> str:
    events.subscribe(**subscription)
    event = service.emit(db, EventType.budget_decided, DATA)
    db.commit()
    return event.event_id


def delivery(db: Session) -> Delivery:
    return db.scalars(select(Delivery)).one()


def test_a_delivery_posts_signed_json_and_is_logged(db: Session, events: Events, receiver):
    event_id = emitted(db, events)

    with receiver.client() as client:
        run = deliver_due(db, client)

    assert (run.delivered, run.retrying, run.failed) == (1, 0, 0)
    [request] = receiver.requests
    assert str(request.url) == "https://treasury.example.gov.cn/hooks/perfbudget"
    assert request.headers["content-type"] == "application/json"
    assert request.headers[signing.EVENT_ID_HEADER] == event_id
    assert request.headers[signing.EVENT_TYPE_HEADER] == "budget.decided"
    body = json.loads(request.content)
    assert body["event_id"] == event_id
    assert body["type"] == "budget.decided"
    assert body["data"] == DATA
    assert datetime.fromisoformat(body["occurred_at"]).tzinfo is not None
    assert signing.verify(SECRET, request.headers[signing.SIGNATURE_HEADER], request.content)

    [logged] = events.deliveries(status="delivered")
    assert logged["event_id"] == event_id
    assert (logged["attempts"], logged["last_status_code"]) == (1, 200)
    assert logged["delivered_at"] is not None
    with receiver.client() as client:
        assert deliver_due(db, client).processed == 0  # delivered once, not again
    assert len(receiver.requests) == 1


def test_a_tampered_body_or_wrong_secret_or_stale_signature_fails(
    db: Session, events: Events, receiver
):
    emitted(db, events)
    with receiver.client() as client:
        deliver_due(db, client)
    [request] = receiver.requests
    header = request.headers[signing.SIGNATURE_HEADER]
    tampered = request.content.replace(b"1000000.00", b"9000000.00")
    assert signing.verify(SECRET, header, request.content)
    assert not signing.verify(SECRET, header, tampered)
    assert not signing.verify("another-secret-0123456789", header, request.content)
    timestamp = int(header.split(",")[0].removeprefix("t="))
    assert not signing.verify(SECRET, header, request.content, now=timestamp + 301)
    assert signing.verify(SECRET, header, request.content, now=timestamp + 299)
    assert not signing.verify(SECRET, "garbage", request.content)
    assert not signing.verify(SECRET, f"t={timestamp}", request.content)


def test_sign_matches_the_documented_formula():
    import hashlib
    import hmac

    body = b'{"event_id":"x"}'
    expected = hmac.new(b"k" * 16, b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signing.sign("k" * 16, body, 1700000000) == f"t=1700000000,v1={expected}"


def test_a_failure_is_retried_with_exponential_backoff(db: Session, events: Events, receiver):
    event_id = emitted(db, events)
    receiver.statuses = [503, 500]
    start = delivery(db).next_attempt_at  # due from the moment it was emitted

    with receiver.client() as client:
        assert deliver_due(db, client, now=start).retrying == 1
        row = delivery(db)
        assert (row.status, row.attempts, row.last_status_code) == (DeliveryStatus.pending, 1, 503)
        assert row.last_error is not None and "503" in row.last_error
        assert row.next_attempt_at == start + timedelta(seconds=60)
        # not due yet: nothing is posted
        assert deliver_due(db, client, now=start + timedelta(seconds=59)).processed == 0
        second = start + timedelta(seconds=60)
        assert deliver_due(db, client, now=second).retrying == 1
        assert row.next_attempt_at == second + timedelta(seconds=120)
        assert deliver_due(db, client, now=second + timedelta(seconds=120)).delivered == 1

    assert row.status is DeliveryStatus.delivered
    assert (row.attempts, row.last_status_code, row.last_error) == (3, 200, None)
    # the same event id and the same body on every attempt: a receiver can deduplicate
    assert {r.headers[signing.EVENT_ID_HEADER] for r in receiver.requests} == {event_id}
    assert len({r.content for r in receiver.requests}) == 1


def test_the_backoff_schedule_is_capped_at_six_hours():
    assert [backoff(n).total_seconds() for n in range(1, 6)] == [60, 120, 240, 480, 960]
    assert backoff(9) == timedelta(seconds=15360)
    assert backoff(10) == timedelta(hours=6)
    assert backoff(20) == timedelta(hours=6)


def test_a_delivery_fails_for_good_after_the_last_attempt(db: Session, events: Events, receiver):
    emitted(db, events)
    moment = attempt_until_given_up(db, receiver, 500)
    with receiver.client() as client:
        assert deliver_due(db, client, now=moment + timedelta(days=1)).processed == 0
    row = delivery(db)
    assert (row.status, row.attempts) == (DeliveryStatus.failed, MAX_ATTEMPTS)
    assert len(receiver.requests) == MAX_ATTEMPTS
    assert [d["status"] for d in events.deliveries(status="failed")] == ["failed"]


def test_a_network_error_is_recorded_and_retried(db: Session, events: Events):
    emitted(db, events)

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(unreachable)) as client:
        assert deliver_due(db, client).retrying == 1
    row = delivery(db)
    assert row.status is DeliveryStatus.pending
    assert row.last_status_code is None
    assert row.last_error is not None and "ConnectError" in row.last_error


def test_each_subscriber_gets_its_own_delivery_and_signature(db: Session, events: Events, receiver):
    events.subscribe(name="国库", url="https://a.example/hook", secret="a" * 20)
    events.subscribe(name="审计", url="http://b.example/hook", secret="b" * 20)
    service.emit(db, EventType.payments_stopped, {"item_id": 1})
    db.commit()
    with receiver.client() as client:
        assert deliver_due(db, client).delivered == 2
    by_url = {str(r.url): r for r in receiver.requests}
    a, b = by_url["https://a.example/hook"], by_url["http://b.example/hook"]
    assert a.content == b.content
    assert signing.verify("a" * 20, a.headers[signing.SIGNATURE_HEADER], a.content)
    assert not signing.verify("a" * 20, b.headers[signing.SIGNATURE_HEADER], b.content)


def test_a_deactivated_subscription_is_not_posted_to(db: Session, events: Events, receiver):
    subscription_id = events.subscribe()["id"]
    service.emit(db, EventType.budget_decided, DATA)
    db.commit()
    response = events.client.post(
        f"/api/v1/event-subscriptions/{subscription_id}/deactivate",
        json={"version": 1},
        headers=events.auth("admin"),
    )
    assert response.status_code == 200, response.text
    with receiver.client() as client:
        assert deliver_due(db, client).failed == 1
    assert receiver.requests == []
    assert delivery(db).last_error == "subscription deactivated"


@pytest.mark.parametrize("batch", [1, 2])
def test_a_batch_takes_at_most_batch_deliveries(db: Session, events: Events, receiver, batch):
    events.subscribe()
    for _ in range(3):
        service.emit(db, EventType.budget_decided, DATA)
    db.commit()
    with receiver.client() as client:
        assert deliver_due(db, client, batch=batch).delivered == batch
        assert deliver_due(db, client, batch=10).delivered == 3 - batch


def test_the_cli_delivers_once(monkeypatch: pytest.MonkeyPatch, receiver, capsys):
    from perfbudget import cli
    from perfbudget.events import delivery

    calls: list[int] = []

    def fake_deliver(session: Session, client: httpx.Client, *, batch: int):
        calls.append(batch)
        return delivery.DeliveryRun(delivered=1)

    monkeypatch.setattr(delivery, "deliver_due", fake_deliver)
    monkeypatch.setattr(delivery, "new_client", receiver.client)
    assert cli.main(["events", "deliver", "--once", "--batch", "5"]) == 0
    assert calls == [5]
    assert "delivered 1" in capsys.readouterr().out
