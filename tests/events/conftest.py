"""Events through the HTTP API: an admin subscribes, the workflow emits, a deliverer with an
httpx.MockTransport posts (no network)."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

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
        response = self.client.get("/api/v1/events", params=params, headers=self.auth("admin"))
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
