"""Every refused write is on record (issue 12): who, role, organisation, method, path, code,
request id and client address, in a hash chain of its own that oversight reads; past a
limit a user's or an address's refused writes answer 429 and stop filling the trail."""

import secrets
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from perfbudget.config import get_settings
from perfbudget.payments.models import HoldKind
from tests.budget_items.conftest import Workflow
from tests.payments.conftest import pay
from tests.problems import assert_problem

ITEMS = "/api/v1/budget-items"
REFUSED = "/api/v1/refused-requests"


def recorded(flow: Workflow, response: httpx.Response) -> dict[str, Any]:
    """The refusal recorded for this response, found by its request id."""
    request_id = response.headers["X-Request-ID"]
    page = flow.client.get(REFUSED, params={"limit": 100}, headers=flow.auth("oversight"))
    assert page.status_code == 200, page.text
    rows = [row for row in page.json()["items"] if row["request_id"] == request_id]
    assert len(rows) == 1, (response.request.method, response.request.url, response.text)
    return rows[0]


def start_execution(flow: Workflow) -> None:
    started = flow.client.post(
        "/api/v1/fiscal-years/2027/start-execution",
        json={"version": 1},
        headers=flow.auth("finance"),
    )
    assert started.status_code == 200, started.text


def test_each_kind_of_refused_write_is_recorded(flow, hold):
    department = flow.org_id("201")
    draft = flow.create()
    unit_item = flow.targets_approved(user="unit", org="201001")
    assert (
        flow.target_post(unit_item["id"], "adjustments", "unit", reason="调整").status_code == 200
    )
    assert flow.target_post(unit_item["id"], "submit", "unit").status_code == 200
    no_targets = flow.submitted()
    item_id = flow.targets_approved()["id"]
    assert flow.decide(item_id, "1000000.00").status_code == 200
    start_execution(flow)

    cases = [
        # another department's object answers the same 404 as a missing one
        (
            flow.client.patch(
                f"{ITEMS}/{draft['id']}",
                json={"name": "改名", "version": 1},
                headers=flow.auth("health"),
            ),
            404,
            "NOT_FOUND",
            "health",
        ),
        (
            flow.target_post(unit_item["id"], "department-review", "unit", decision="approve"),
            403,
            "NOT_PARENT_DEPARTMENT",
            "unit",
        ),
        (pay(flow, item_id, "1000000.01"), 409, "BUDGET_EXCEEDED", "finance"),
        (flow.decide(no_targets["id"]), 409, "TARGETS_NOT_APPROVED", "finance"),
        (flow.post(item_id, "submit", "department"), 409, "INVALID_TRANSITION", "department"),
        (
            flow.client.patch(
                f"{ITEMS}/{draft['id']}", json={"name": "改名"}, headers=flow.auth("department")
            ),
            428,
            "VERSION_REQUIRED",
            "department",
        ),
        (
            flow.client.patch(
                f"{ITEMS}/{draft['id']}",
                json={"name": "改名", "version": 99},
                headers=flow.auth("department"),
            ),
            409,
            "VERSION_CONFLICT",
            "department",
        ),
        (
            flow.client.post(ITEMS, json={"name": ""}, headers=flow.auth("department")),
            422,
            "VALIDATION_FAILED",
            "department",
        ),
        (
            flow.client.post(
                ITEMS, json={"name": "x"}, headers={"Authorization": "Bearer not-a-token"}
            ),
            401,
            "INVALID_TOKEN",
            None,
        ),
    ]
    hold(item_id, HoldKind.suspend)
    cases.append((pay(flow, item_id, "10.00"), 409, "PAYMENT_HOLD", "finance"))

    users = {
        user["username"]: user
        for user in flow.client.get(
            "/api/v1/users", params={"limit": 100}, headers=flow.auth("admin")
        ).json()["items"]
    }
    for response, status, code, username in cases:
        assert_problem(response, status, code)
        row = recorded(flow, response)
        assert (row["status"], row["code"], row["method"], row["path"]) == (
            status,
            code,
            response.request.method,
            response.request.url.path,
        )
        assert row["client_address"] == "testclient"
        if username is None:
            assert (row["user_id"], row["role"]) == (None, None)
        else:
            user = users[username]
            assert (row["user_id"], row["username"], row["role"], row["organisation_id"]) == (
                user["id"],
                username,
                user["role"],
                user["organisation_id"],
            )
    assert users["department"]["organisation_id"] == department

    # refused means unchanged, and the record's chain holds
    assert flow.get(draft["id"])["name"] == draft["name"]
    verified = flow.client.get(f"{REFUSED}/verify", headers=flow.auth("oversight")).json()
    assert verified["intact"] is True
    assert verified["events_checked"] >= len(cases)


def test_oversight_filters_the_refusals(flow, funded):
    assert_problem(pay(flow, funded["id"], "1000000.01"), 409, "BUDGET_EXCEEDED")
    response = flow.client.post(ITEMS, json={}, headers=flow.auth("department"))
    assert_problem(response, 422, "VALIDATION_FAILED")
    by_code = flow.client.get(
        REFUSED, params={"code": "BUDGET_EXCEEDED"}, headers=flow.auth("oversight")
    ).json()
    assert {row["code"] for row in by_code["items"]} == {"BUDGET_EXCEEDED"}
    by_path = flow.client.get(
        REFUSED, params={"path": ITEMS, "method": "POST"}, headers=flow.auth("oversight")
    ).json()
    assert response.headers["X-Request-ID"] in {row["request_id"] for row in by_path["items"]}
    assert all(row["method"] == "POST" for row in by_path["items"])
    # a department user does not read the trail; reads are not refusals to record
    denied = flow.client.get(REFUSED, headers=flow.auth("department"))
    assert_problem(denied, 403, "PERMISSION_DENIED")


def test_a_refused_read_is_not_recorded(flow):
    response = flow.client.get(f"{ITEMS}/2147483647", headers=flow.auth("department"))
    assert_problem(response, 404, "NOT_FOUND")
    page = flow.client.get(REFUSED, params={"limit": 100}, headers=flow.auth("oversight"))
    assert response.headers["X-Request-ID"] not in {
        row["request_id"] for row in page.json()["items"]
    }


@pytest.mark.parametrize("limit_of", ["refusal_limit_per_user", "refusal_limit_per_address"])
def test_refused_writes_past_the_limit_answer_429_and_stop_filling_the_trail(
    flow, monkeypatch, limit_of
):
    # the other limit out of the way, this one low
    monkeypatch.setattr(get_settings(), "refusal_limit_per_user", 10**6)
    monkeypatch.setattr(get_settings(), "refusal_limit_per_address", 10**6)
    monkeypatch.setattr(get_settings(), limit_of, 3)
    # a user and an address with no refusal yet (other tests commit theirs)
    user = flow.colleague("201")
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    with TestClient(flow.client.app, client=(address, 50000)) as client:

        def refused() -> httpx.Response:
            return client.post(ITEMS, json={}, headers=flow.auth(user))

        for _ in range(3):
            assert_problem(refused(), 422, "VALIDATION_FAILED")
        limited = assert_problem(refused(), 429, "TOO_MANY_REFUSALS")
        again = refused()
        assert_problem(again, 429, "TOO_MANY_REFUSALS")
        assert 1 <= int(again.headers["Retry-After"]) <= get_settings().refusal_window_seconds
        assert limited["retry_after"] >= 1

        # writes that pass are never limited
        created = client.post(
            ITEMS,
            json={
                "fiscal_year": 2027,
                "organisation_id": flow.org_id("201"),
                "name": "仍可新建",
                "kind": "project",
                "requested_amount": "1000.00",
            },
            headers=flow.auth(user),
        )
        assert created.status_code == 201, created.text

    rows = flow.client.get(
        REFUSED, params={"client_address": address, "limit": 100}, headers=flow.auth("oversight")
    ).json()["items"]
    # three refusals and the first 429, not the second
    assert sorted(row["code"] for row in rows) == ["TOO_MANY_REFUSALS", *["VALIDATION_FAILED"] * 3]
    assert {row["username"] for row in rows} == {user}


def _refuse_three(flow: Workflow) -> list[int]:
    for _ in range(3):
        assert_problem(
            flow.client.post(ITEMS, json={}, headers=flow.auth("department")),
            422,
            "VALIDATION_FAILED",
        )
    rows = flow.client.get(REFUSED, params={"limit": 3}, headers=flow.auth("oversight")).json()
    return [row["seq"] for row in rows["items"]]


def test_the_database_refuses_to_edit_a_refusal(flow, db):
    seq = _refuse_three(flow)[1]
    for statement in (
        "UPDATE refusals SET code = 'FORGED' WHERE seq = :seq",
        "DELETE FROM refusals WHERE seq = :seq",
    ):
        savepoint = db.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(text(statement), {"seq": seq})
        savepoint.rollback()


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("UPDATE refusals SET code = 'FORGED' WHERE seq = :seq", "hash_mismatch"),
        ("DELETE FROM refusals WHERE seq = :seq", "missing"),
    ],
)
def test_verify_names_an_edited_or_deleted_refusal(flow, db, statement, reason):
    seq = _refuse_three(flow)[1]
    if db.bind.dialect.name == "sqlite":
        db.execute(text("DROP TRIGGER refusals_no_update"))
        db.execute(text("DROP TRIGGER refusals_no_delete"))
    else:
        db.execute(text("DROP TRIGGER refusals_no_change ON refusals"))
    db.execute(text(statement), {"seq": seq})
    report = flow.client.get(f"{REFUSED}/verify", headers=flow.auth("oversight")).json()
    assert (report["intact"], report["first_broken_seq"], report["reason"]) == (False, seq, reason)
