"""Issue 12: the delivery log keeps a status and a short outcome, never what the target
answered; and the deliverer checks the address again before each attempt."""

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from perfbudget.events import service
from perfbudget.events.delivery import deliver_due
from perfbudget.events.models import Delivery, DeliveryStatus, EventType, Subscription
from tests.events.conftest import Dns, Events, Receiver

LEAK = "ami-id: i-0abc; AccessKeyId=AKIAEXAMPLE; internal stack trace"


def emit(db: Session) -> None:
    service.emit(db, EventType.budget_decided, {"item_id": 7})
    db.commit()


def only_delivery(db: Session) -> Delivery:
    return db.scalars(select(Delivery)).one()


@pytest.mark.parametrize("status", [200, 302, 404, 503])
def test_no_part_of_the_answer_is_stored(db: Session, events: Events, status: int):
    events.subscribe()
    emit(db)

    def chatty(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, text=LEAK, headers={"Location": "http://169.254.169.254/"})

    with httpx.Client(transport=httpx.MockTransport(chatty)) as client:
        deliver_due(db, client)
    row = only_delivery(db)
    assert row.last_status_code == status
    assert row.last_error == (None if status == 200 else f"HTTP {status}")
    log = events.client.get("/api/v1/event-deliveries", headers=events.auth("admin"))
    assert log.status_code == 200, log.text
    assert "AKIAEXAMPLE" not in log.text and "ami-id" not in log.text


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused to 10.0.0.9"), "could not connect"),
        (httpx.ReadTimeout("read timed out after sending secrets"), "timed out"),
        (httpx.RemoteProtocolError("garbage: " + LEAK), "request failed"),
    ],
)
def test_a_failed_request_is_summarised(
    db: Session, events: Events, error: httpx.HTTPError, outcome: str
):
    events.subscribe()
    emit(db)

    def failing(request: httpx.Request) -> httpx.Response:
        raise error

    with httpx.Client(transport=httpx.MockTransport(failing)) as client:
        assert deliver_due(db, client).retrying == 1
    row = only_delivery(db)
    assert (row.last_status_code, row.last_error) == (
        None,
        f"{outcome} ({error.__class__.__name__})",
    )


def test_a_host_that_now_resolves_inside_is_not_posted_to(
    db: Session, events: Events, receiver: Receiver, dns: Dns
):
    dns.records["hooks.example.cn"] = ["36.112.10.20"]
    events.subscribe(url="https://hooks.example.cn/perfbudget")
    emit(db)
    dns.records["hooks.example.cn"] = ["169.254.169.254"]  # rebound after subscribing

    with receiver.client() as client:
        assert deliver_due(db, client).retrying == 1
    assert receiver.requests == []
    row = only_delivery(db)
    assert (row.status, row.attempts) == (DeliveryStatus.pending, 1)
    assert (row.last_status_code, row.last_error) == (None, "address refused")
    [logged] = events.deliveries()
    assert logged["last_error"] == "address refused"

    dns.records["hooks.example.cn"] = []
    with receiver.client() as client:
        deliver_due(db, client, now=row.next_attempt_at)
    assert receiver.requests == []
    assert only_delivery(db).last_error == "host does not resolve"


def test_a_subscription_stored_before_the_rule_is_refused_at_delivery(
    db: Session, receiver: Receiver
):
    for url in ("http://127.0.0.1:5432/", "https://user:pw@a.example/hook"):
        db.add(
            Subscription(name="旧订阅", url=url, secret="x" * 20, event_types=["budget.decided"])
        )
    db.flush()
    emit(db)

    with receiver.client() as client:
        assert deliver_due(db, client).retrying == 2
    assert receiver.requests == []
    errors = {row.last_error for row in db.scalars(select(Delivery))}
    assert errors == {"address refused", "credentials in URL"}
