import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.budget_items.models import BudgetItem
from perfbudget.integration.idempotency import request_hash
from perfbudget.integration.models import IdempotencyRecord
from perfbudget.payments.models import Disbursement
from tests.problems import assert_problem
from tests.workflow import ITEMS, Workflow

pytestmark = pytest.mark.usefixtures("idempotency_in_test_transaction")


def item_body(flow: Workflow, name: str = "幂等测试项目", org: str = "201") -> dict[str, Any]:
    return {
        "fiscal_year": 2027,
        "organisation_id": flow.org_id(org),
        "name": name,
        "kind": "project",
        "requested_amount": "50000.00",
    }


def keyed(flow: Workflow, user: str, key: str) -> dict[str, str]:
    return {**flow.auth(user), "Idempotency-Key": key}


def items_named(db: Session, name: str) -> int:
    return db.scalar(select(func.count()).where(BudgetItem.name == name)) or 0


def test_a_repeat_replays_the_first_answer_and_creates_once(flow: Workflow, db: Session) -> None:
    body = item_body(flow)
    first = flow.client.post(ITEMS, json=body, headers=keyed(flow, "department", "create-1"))
    again = flow.client.post(ITEMS, json=body, headers=keyed(flow, "department", "create-1"))

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["Idempotent-Replay"] == "true"
    assert "Idempotent-Replay" not in first.headers
    assert again.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    assert items_named(db, body["name"]) == 1


def test_a_repeated_disbursement_pays_once(flow: Workflow, db: Session) -> None:
    item = flow.targets_approved()
    assert flow.decide(item["id"], "1000000.00").status_code == 200
    started = flow.client.post(
        "/api/v1/fiscal-years/2027/start-execution",
        json={"version": 1},
        headers=flow.auth("finance"),
    )
    assert started.status_code == 200, started.text
    url = f"{ITEMS}/{item['id']}/disbursements"
    body = {"amount": "100000.00", "paid_on": "2027-03-15", "purpose": "第一批资金"}

    answers = [
        flow.client.post(url, json=body, headers=keyed(flow, "finance", "treasury:2027:0001"))
        for _ in range(3)
    ]

    assert [a.status_code for a in answers] == [201, 201, 201], answers[0].text
    assert answers[1].content == answers[2].content == answers[0].content
    paid = db.scalar(select(func.count()).where(Disbursement.item_id == item["id"]))
    assert paid == 1


def test_the_same_key_with_another_body_is_refused(flow: Workflow, db: Session) -> None:
    headers = keyed(flow, "department", "create-2")
    assert flow.client.post(ITEMS, json=item_body(flow, "甲"), headers=headers).status_code == 201

    other = flow.client.post(ITEMS, json=item_body(flow, "乙"), headers=headers)

    assert_problem(other, 422, "IDEMPOTENCY_KEY_REUSED")
    assert items_named(db, "乙") == 0


def test_the_same_key_on_another_path_is_refused(flow: Workflow) -> None:
    headers = keyed(flow, "department", "path-1")
    assert flow.client.post(ITEMS, json=item_body(flow), headers=headers).status_code == 201

    other = flow.client.post(ITEMS + "?x=1", json=item_body(flow), headers=headers)

    assert_problem(other, 422, "IDEMPOTENCY_KEY_REUSED")


def claimed_by_another_worker(
    flow: Workflow, db: Session, key: str, body: Any, age: timedelta
) -> bytes:
    """A claim in progress under ``key``, made ``age`` ago by another worker (alive or not)."""
    user_id = flow.client.get("/api/v1/auth/me", headers=flow.auth("department")).json()["id"]
    raw = json.dumps(body).encode()
    db.add(
        IdempotencyRecord(
            user_id=user_id,
            key=key,
            method="POST",
            path=ITEMS,
            request_hash=request_hash("POST", ITEMS, b"", raw),
            state="in_progress",
            response_headers={},
            created_at=clock.utcnow() - age,
        )
    )
    db.commit()
    return raw


def post_raw(flow: Workflow, key: str, raw: bytes) -> Any:
    """The department's POST of these exact body bytes under ``key``."""
    headers = {**keyed(flow, "department", key), "Content-Type": "application/json"}
    return flow.client.post(ITEMS, content=raw, headers=headers)


def test_a_retry_while_the_first_runs_answers_409(
    flow: Workflow, db: Session, demo_tokens: dict[str, str]
) -> None:
    body = item_body(flow, "并发项目")
    raw = claimed_by_another_worker(flow, db, "busy-1", body, timedelta(minutes=14))

    response = post_raw(flow, "busy-1", raw)

    assert_problem(response, 409, "IDEMPOTENCY_IN_PROGRESS")
    assert response.headers["Retry-After"] == "1"
    assert items_named(db, "并发项目") == 0


def test_a_claim_whose_worker_died_does_not_block_the_key_for_a_day(
    flow: Workflow, db: Session
) -> None:
    body = item_body(flow, "重启后重试项目")
    raw = claimed_by_another_worker(flow, db, "died-1", body, timedelta(minutes=16))

    response = post_raw(flow, "died-1", raw)
    assert response.status_code == 201, response.text
    assert items_named(db, "重启后重试项目") == 1
    replay = post_raw(flow, "died-1", raw)
    assert replay.headers["Idempotent-Replay"] == "true"
    assert items_named(db, "重启后重试项目") == 1


def test_a_record_older_than_a_day_is_replaced(flow: Workflow, db: Session) -> None:
    user_id = flow.client.get("/api/v1/auth/me", headers=flow.auth("department")).json()["id"]
    db.add(
        IdempotencyRecord(
            user_id=user_id,
            key="old-1",
            method="POST",
            path=ITEMS,
            request_hash="0" * 64,
            state="in_progress",
            response_headers={},
            created_at=clock.utcnow() - timedelta(hours=25),
        )
    )
    db.commit()

    response = flow.client.post(
        ITEMS, json=item_body(flow, "过期键"), headers=keyed(flow, "department", "old-1")
    )

    assert response.status_code == 201, response.text
    assert items_named(db, "过期键") == 1


def test_without_a_key_every_post_runs(flow: Workflow, db: Session) -> None:
    body = item_body(flow, "无键项目")
    for _ in range(2):
        response = flow.client.post(ITEMS, json=body, headers=flow.auth("department"))
        assert response.status_code == 201
        assert "Idempotent-Replay" not in response.headers
    assert items_named(db, "无键项目") == 2
    assert db.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


def test_an_invalid_key_is_refused(flow: Workflow, db: Session) -> None:
    for key in ("", "x" * 129, "has space", "a/b"):
        response = flow.client.post(
            ITEMS,
            json=item_body(flow, "坏键"),
            headers={**flow.auth("department"), "Idempotency-Key": key},
        )
        assert_problem(response, 400, "IDEMPOTENCY_KEY_INVALID")
    assert items_named(db, "坏键") == 0


def test_keys_are_per_user(flow: Workflow, db: Session) -> None:
    body = item_body(flow, "各自的键", org="201001")
    by_department = flow.client.post(ITEMS, json=body, headers=keyed(flow, "department", "k"))
    by_unit = flow.client.post(ITEMS, json=body, headers=keyed(flow, "unit", "k"))

    assert by_department.status_code == by_unit.status_code == 201, by_unit.text
    assert "Idempotent-Replay" not in by_unit.headers
    assert by_department.json()["id"] != by_unit.json()["id"]
    assert items_named(db, "各自的键") == 2


def test_client_errors_are_replayed_too(flow: Workflow) -> None:
    body = {"fiscal_year": 2027}  # missing fields
    headers = keyed(flow, "department", "bad-body")
    first = flow.client.post(ITEMS, json=body, headers=headers)
    again = flow.client.post(ITEMS, json=body, headers=headers)

    assert first.status_code == again.status_code == 422
    assert again.headers["Idempotent-Replay"] == "true"
    assert again.content == first.content  # the first request's id in the body, as first sent


def test_an_invalid_token_means_no_idempotency(flow: Workflow, db: Session) -> None:
    response = flow.client.post(
        ITEMS,
        json=item_body(flow),
        headers={"Authorization": "Bearer nonsense", "Idempotency-Key": "anon"},
    )

    assert_problem(response, 401, response.json()["code"])
    assert db.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


def test_gets_ignore_the_key(flow: Workflow) -> None:
    response = flow.client.get(ITEMS, headers=keyed(flow, "finance", "not checked"))
    assert response.status_code == 200


def test_a_server_error_frees_the_key(
    flow: Workflow, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from perfbudget.budget_items import service

    def broken(*_args: Any) -> Any:
        raise RuntimeError("database went away")

    body = item_body(flow, "重试项目")
    headers = keyed(flow, "department", "retry-after-500")
    with monkeypatch.context() as patched:
        patched.setattr(service, "create_item", broken)
        failed = flow.client.post(ITEMS, json=body, headers=headers)
    assert_problem(failed, 500, "INTERNAL_ERROR")
    assert db.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0

    retried = flow.client.post(ITEMS, json=body, headers=headers)

    assert retried.status_code == 201
    assert "Idempotent-Replay" not in retried.headers
    assert items_named(db, "重试项目") == 1


def test_the_middleware_s_own_refusals_are_on_record(flow: Workflow) -> None:
    headers = keyed(flow, "department", "recorded-1")
    assert flow.client.post(ITEMS, json=item_body(flow, "甲"), headers=headers).status_code == 201
    reused = flow.client.post(ITEMS, json=item_body(flow, "乙"), headers=headers)
    invalid = flow.client.post(
        ITEMS,
        json=item_body(flow, "坏键"),
        headers={**flow.auth("department"), "Idempotency-Key": "has space"},
    )
    page = flow.client.get(
        "/api/v1/refused-requests", params={"limit": 100}, headers=flow.auth("oversight")
    ).json()["items"]
    recorded = {row["request_id"]: row for row in page}
    department = flow.client.get("/api/v1/auth/me", headers=flow.auth("department")).json()
    for response, code in (
        (reused, "IDEMPOTENCY_KEY_REUSED"),
        (invalid, "IDEMPOTENCY_KEY_INVALID"),
    ):
        row = recorded[response.headers["X-Request-ID"]]
        assert (row["code"], row["status"], row["method"], row["path"]) == (
            code,
            response.status_code,
            "POST",
            ITEMS,
        )
    # a key refused before the token is read names no one; a reused key names its user
    assert recorded[reused.headers["X-Request-ID"]]["user_id"] == department["id"]
