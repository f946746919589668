"""Events through the HTTP API: an admin subscribes, the workflow emits, finance reads the
outbox, a deliverer with an httpx.MockTransport posts (no network)."""

import socket
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from perfbudget.config import get_settings
from perfbudget.events.delivery import MAX_ATTEMPTS, deliver_due
from perfbudget.events.models import Delivery

SUBSCRIPTIONS = "/api/v1/event-subscriptions"
SECRET = "s3cret-key-for-tests-0123456789"
ALL_TYPES = [
    "budget.decided",
    "payment_hold.placed",
    "payment_hold.lifted",
    "payments.stopped",
    "evaluation.graded",
    "disclosure.published",
]
# the receivers these tests subscribe: names that do not resolve and one private address,
# allowed the way an installation allows its intranet systems
TEST_HOSTS = ["treasury.example.gov.cn", "a.example", "b.example", "10.1.2.3"]


@pytest.fixture(autouse=True)
def allowed_hosts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    hosts = list(TEST_HOSTS)
    monkeypatch.setattr(get_settings(), "event_allowed_hosts", hosts)
    return hosts


class Events:
    def __init__(self, client: TestClient, auth: Callable[[str], dict[str, str]]) -> None:
        self.client = client
        self.auth = auth

    def subscribe(self, **body: Any) -> dict[str, Any]:
        payload = {
            "name": "县财政国库支付系统",
            "url": "https://treasury.example.gov.cn/hooks/perfbudget",
            "event_types": ALL_TYPES,
            "secret": SECRET,
            **body,
        }
        response = self.client.post(SUBSCRIPTIONS, json=payload, headers=self.auth("admin"))
        assert response.status_code == 201, response.text
        return dict(response.json())

    def outbox(self, event_type: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": 100}
        if event_type:
            params["event_type"] = event_type
        response = self.client.get("/api/v1/events", params=params, headers=self.auth("finance"))
        assert response.status_code == 200, response.text
        return list(reversed(response.json()["items"]))

    def deliveries(self, **params: Any) -> list[dict[str, Any]]:
        response = self.client.get(
            "/api/v1/event-deliveries", params={"limit": 100, **params}, headers=self.auth("admin")
        )
        assert response.status_code == 200, response.text
        return list(reversed(response.json()["items"]))


@pytest.fixture
def events(client: TestClient, auth: Callable[[str], dict[str, str]]) -> Events:
    return Events(client, auth)


class Receiver:
    """A receiving system: records every request and answers with the next queued status."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.statuses: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 200
        return httpx.Response(status, text="ok" if status < 300 else "unavailable")

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


class Dns:
    """socket.getaddrinfo with the names a test sets: a name set to [] does not resolve;
    IP literals and names not set (``localhost``) go to the real resolver."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.real = socket.getaddrinfo

    def __call__(self, host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in self.records:
            return self.real(host, port, *args, **kwargs)
        if not self.records[host]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (ip, port),
            )
            for ip in self.records[host]
        ]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Dns:
    resolver = Dns()
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    return resolver


def only_delivery(db: Session) -> Delivery:
    return db.scalars(select(Delivery)).one()


def attempt_until_given_up(db: Session, receiver: Receiver, status: int) -> datetime:
    """Every attempt of the only delivery answered ``status`` until the deliverer gave up;
    the moment the last attempt would have scheduled the next."""
    receiver.statuses = [status] * MAX_ATTEMPTS
    moment = only_delivery(db).next_attempt_at  # due from the moment it was emitted
    with receiver.client() as client:
        for _ in range(MAX_ATTEMPTS):
            deliver_due(db, client, now=moment)
            moment = only_delivery(db).next_attempt_at
    return moment
