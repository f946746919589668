"""A stored answer is replayed only to a token the route would accept now (issue 12): a
password change or a disable revokes the replays of the tokens issued before it."""

from collections.abc import Callable
from typing import Any

import pytest

from perfbudget.demo.loader import DEMO_PASSWORD
from tests.auth.conftest import as_seen
from tests.problems import assert_problem
from tests.workflow import ITEMS, Workflow

pytestmark = pytest.mark.usefixtures("idempotency_in_test_transaction")

NEW_PASSWORD = "Revoked#Replay2027"


def item_body(flow: Workflow, name: str = "撤销令牌项目") -> dict[str, Any]:
    return {
        "fiscal_year": 2027,
        "organisation_id": flow.org_id("201"),
        "name": name,
        "kind": "project",
        "requested_amount": "50000.00",
    }


def bearer(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    return {**headers, "Idempotency-Key": key} if key else headers


def test_a_password_change_ends_the_old_tokens_replays(
    flow: Workflow, login: Callable[..., str]
) -> None:
    old = login("department")
    body = item_body(flow)
    first = flow.client.post(ITEMS, json=body, headers=bearer(old, "revoked-1"))
    assert first.status_code == 201, first.text
    changed = flow.client.post(
        "/api/v1/auth/password",
        json={"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(old),
    )
    assert changed.status_code == 200, changed.text

    again = flow.client.post(ITEMS, json=body, headers=bearer(old, "revoked-1"))

    assert_problem(again, 401, "INVALID_TOKEN")
    assert "Idempotent-Replay" not in again.headers
    # exactly what the route answers the old token
    assert as_seen(again) == as_seen(flow.client.post(ITEMS, json=body, headers=bearer(old)))
    # the new token is the same user's: its retry still gets the first answer
    new = changed.json()["access_token"]
    replayed = flow.client.post(ITEMS, json=body, headers=bearer(new, "revoked-1"))
    assert replayed.status_code == 201
    assert replayed.headers["Idempotent-Replay"] == "true"
    assert replayed.content == first.content


def test_a_disabled_user_gets_no_replay(flow: Workflow, login: Callable[..., str]) -> None:
    token = login("department")
    body = item_body(flow, "停用后重试")
    assert flow.client.post(ITEMS, json=body, headers=bearer(token, "revoked-2")).status_code == 201
    me = flow.client.get("/api/v1/auth/me", headers=bearer(token)).json()
    admin = flow.auth("admin")
    version = flow.client.get(f"/api/v1/users/{me['id']}", headers=admin).json()["version"]
    disabled = flow.client.post(
        f"/api/v1/users/{me['id']}/disable", json={"version": version}, headers=admin
    )
    assert disabled.status_code == 200, disabled.text

    again = flow.client.post(ITEMS, json=body, headers=bearer(token, "revoked-2"))

    assert_problem(again, 401, "INVALID_TOKEN")
    assert "Idempotent-Replay" not in again.headers


def test_a_revoked_token_learns_nothing_of_its_keys(
    flow: Workflow, login: Callable[..., str]
) -> None:
    """Not even that a key is taken by another body (422) or still running (409)."""
    old = login("department")
    first = flow.client.post(ITEMS, json=item_body(flow, "甲"), headers=bearer(old, "revoked-3"))
    assert first.status_code == 201
    changed = flow.client.post(
        "/api/v1/auth/password",
        json={"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(old),
    )
    assert changed.status_code == 200

    other = flow.client.post(ITEMS, json=item_body(flow, "乙"), headers=bearer(old, "revoked-3"))

    assert_problem(other, 401, "INVALID_TOKEN")
