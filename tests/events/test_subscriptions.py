"""Admins manage subscriptions; the secret is shown once, at creation, and never again."""

import pytest

from perfbudget.audit.models import AuditEvent
from tests.conftest import DEMO_USERS
from tests.events.conftest import SECRET, SUBSCRIPTIONS, Events
from tests.problems import assert_problem, invalid_fields


def test_create_read_update_deactivate(events: Events):
    created = events.subscribe(event_types=["budget.decided", "payments.stopped"])
    assert created["secret"] == SECRET
    assert created["secret_hint"] == "****" + SECRET[-4:]
    assert created["event_types"] == ["budget.decided", "payments.stopped"]
    assert (created["is_active"], created["version"]) == (True, 1)
    url = f"{SUBSCRIPTIONS}/{created['id']}"
    admin = events.auth("admin")

    read = events.client.get(url, headers=admin).json()
    assert "secret" not in read
    assert read["secret_hint"] == created["secret_hint"]

    patched = events.client.patch(
        url,
        json={
            "version": 1,
            "url": "http://10.1.2.3:8080/hook",
            "event_types": ["evaluation.graded"],
        },
        headers=admin,
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["url"], patched.json()["version"]) == ("http://10.1.2.3:8080/hook", 2)
    assert patched.json()["event_types"] == ["evaluation.graded"]
    assert_problem(
        events.client.patch(url, json={"version": 1, "name": "旧版本"}, headers=admin),
        409,
        "VERSION_CONFLICT",
    )
    assert_problem(
        events.client.patch(url, json={"name": "x"}, headers=admin), 428, "VERSION_REQUIRED"
    )

    deactivated = events.client.post(f"{url}/deactivate", json={"version": 2}, headers=admin)
    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["is_active"] is False
    listed = events.client.get(SUBSCRIPTIONS, params={"active": "false"}, headers=admin).json()
    assert [s["id"] for s in listed["items"]] == [created["id"]]
    assert (
        events.client.get(SUBSCRIPTIONS, params={"active": "true"}, headers=admin).json()["total"]
        == 0
    )
    activated = events.client.post(f"{url}/activate", json={"version": 3}, headers=admin)
    assert activated.json()["is_active"] is True
    assert_problem(events.client.get(f"{SUBSCRIPTIONS}/999999", headers=admin), 404, "NOT_FOUND")


def test_a_generated_secret_is_shown_once(events: Events):
    created = events.subscribe(secret=None)
    secret = created["secret"]
    assert len(secret) >= 32
    admin = events.auth("admin")
    for response in (
        events.client.get(SUBSCRIPTIONS, headers=admin),
        events.client.get(f"{SUBSCRIPTIONS}/{created['id']}", headers=admin),
        events.client.patch(
            f"{SUBSCRIPTIONS}/{created['id']}", json={"version": 1, "name": "改名"}, headers=admin
        ),
        events.client.patch(
            f"{SUBSCRIPTIONS}/{created['id']}",
            json={"version": 2, "secret": "rotated-secret-0123456789"},
            headers=admin,
        ),
        events.client.get(
            "/api/v1/audit-events", params={"limit": 100}, headers=events.auth("finance")
        ),
    ):
        assert response.status_code == 200, response.text
        assert secret not in response.text
        assert "rotated-secret-0123456789" not in response.text


def test_the_audit_trail_records_changes_without_the_secret(events: Events, db):
    created = events.subscribe()
    events.client.patch(
        f"{SUBSCRIPTIONS}/{created['id']}",
        json={"version": 1, "secret": "rotated-secret-0123456789"},
        headers=events.auth("admin"),
    )
    rows = db.query(AuditEvent).filter(AuditEvent.entity_type == "event_subscription").all()
    assert [row.action for row in rows] == [
        "event_subscription.created",
        "event_subscription.updated",
    ]
    assert rows[1].changes == {
        "before": {"signing_key_rotated": False},
        "after": {"signing_key_rotated": True},
    }
    assert "rotated-secret" not in str([row.changes for row in rows])


@pytest.mark.parametrize(
    "url",
    ["ftp://treasury.example/hook", "treasury.example/hook", "https://", "javascript:alert(1)"],
)
def test_the_url_must_be_http_or_https(events: Events, url: str):
    response = events.client.post(
        SUBSCRIPTIONS,
        json={"name": "坏地址", "url": url, "event_types": ["budget.decided"]},
        headers=events.auth("admin"),
    )
    assert_problem(response, 422, "SUBSCRIPTION_URL_INVALID")
    created = events.subscribe()
    patched = events.client.patch(
        f"{SUBSCRIPTIONS}/{created['id']}",
        json={"version": 1, "url": url},
        headers=events.auth("admin"),
    )
    assert_problem(patched, 422, "SUBSCRIPTION_URL_INVALID")


def test_event_types_must_be_known_and_not_empty(events: Events):
    admin = events.auth("admin")
    for types in (["budget.approved"], []):
        response = events.client.post(
            SUBSCRIPTIONS,
            json={"name": "x", "url": "https://a.example/", "event_types": types},
            headers=admin,
        )
        assert invalid_fields(response) == {"body.event_types"} or any(
            field.startswith("body.event_types") for field in invalid_fields(response)
        )
    short = events.client.post(
        SUBSCRIPTIONS,
        json={
            "name": "x",
            "url": "https://a.example/",
            "event_types": ["budget.decided"],
            "secret": "short",
        },
        headers=admin,
    )
    assert "body.secret" in invalid_fields(short)


@pytest.mark.parametrize("user", [u for u in DEMO_USERS if u != "admin"])
def test_only_an_admin_manages_events(events: Events, user: str):
    created = events.subscribe()
    headers = events.auth(user)
    url = f"{SUBSCRIPTIONS}/{created['id']}"
    body = {"name": "x", "url": "https://a.example/", "event_types": ["budget.decided"]}
    for response in (
        events.client.get(SUBSCRIPTIONS, headers=headers),
        events.client.post(SUBSCRIPTIONS, json=body, headers=headers),
        events.client.get(url, headers=headers),
        events.client.patch(url, json={"version": 1, "name": "x"}, headers=headers),
        events.client.post(f"{url}/deactivate", json={"version": 1}, headers=headers),
        events.client.get("/api/v1/event-deliveries", headers=headers),
    ):
        assert_problem(response, 403, response.json()["code"])
        assert response.status_code == 403


def test_anonymous_is_refused(events: Events):
    for path in (SUBSCRIPTIONS, "/api/v1/event-deliveries", "/api/v1/events"):
        assert_problem(events.client.get(path), 401, events.client.get(path).json()["code"])


def test_lists_filter_and_paginate(events: Events, flow):
    first = events.subscribe(name="A", event_types=["budget.decided"])
    second = events.subscribe(name="B", event_types=["budget.decided", "payments.stopped"])
    for _ in range(2):
        item = flow.targets_approved()
        assert flow.decide(item["id"]).status_code == 200
    admin = events.auth("admin")
    page = events.client.get("/api/v1/event-deliveries", params={"limit": 3}, headers=admin).json()
    assert (page["total"], len(page["items"]), page["limit"]) == (4, 3, 3)
    mine = events.deliveries(subscription_id=second["id"])
    assert {d["subscription_id"] for d in mine} == {second["id"]} and len(mine) == 2
    assert events.deliveries(event_type="payments.stopped") == []
    assert len(events.deliveries(status="pending", subscription_id=first["id"])) == 2
    outbox = events.client.get(
        "/api/v1/events", params={"limit": 1, "offset": 1}, headers=events.auth("finance")
    )
    assert (outbox.json()["total"], len(outbox.json()["items"])) == (2, 1)
    assert_problem(
        events.client.get("/api/v1/event-deliveries", params={"status": "lost"}, headers=admin),
        422,
        "VALIDATION_FAILED",
    )
