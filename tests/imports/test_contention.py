"""Others keep working while an upload runs (issue 11): its rows are checked in a
transaction that only reads, its write is short, and a request that cannot get a lock in
time answers 503 with Retry-After, never 500.

These run against databases of their own with the application's real request sessions
(each request commits); an upload is held in the middle of its work by a patched step.
"""

import csv
import io
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from perfbudget.budget_items import batch as item_batch
from perfbudget.demo.loader import DEMO_PASSWORD
from perfbudget.integration import idempotency
from tests.isolated import served_county, sign_in
from tests.problems import assert_problem

IMPORTS = "/api/v1/imports/budget-items"
ITEMS = "/api/v1/budget-items"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Engine]]:
    with served_county(tmp_path_factory.mktemp("contention"), "contention") as county:
        yield county


def organisation_of(client: TestClient, headers: dict[str, str]) -> int:
    return int(client.get("/api/v1/auth/me", headers=headers).json()["organisation"]["id"])


def item(organisation_id: int, name: str) -> dict[str, Any]:
    return {
        "fiscal_year": 2027,
        "organisation_id": organisation_id,
        "name": name,
        "kind": "project",
        "requested_amount": "100000.00",
    }


def upload_body(organisation_id: int, prefix: str, count: int = 50) -> bytes:
    rows = [item(organisation_id, f"{prefix}{n}") for n in range(count)]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


class Held:
    """Holds the upload in one step: the check that only reads (``step=1``) or the one in
    the write transaction (``step=2``), until released."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, step: int) -> None:
        self.reached, self.released = threading.Event(), threading.Event()
        self.calls = 0
        plan = item_batch.plan

        def held(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls == step:
                self.reached.set()
                assert self.released.wait(30)
            return plan(*args, **kwargs)

        monkeypatch.setattr(item_batch, "plan", held)


def in_background(call: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["response"] = call()
        outcome["finished"] = time.monotonic()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def post_upload(client: TestClient, headers: dict[str, str], body: bytes, **params: str) -> Any:
    return client.post(
        IMPORTS, content=body, params=params, headers={**headers, "Content-Type": "text/csv"}
    )


def test_others_sign_in_and_write_while_an_upload_checks_its_rows(served, monkeypatch):
    client, _ = served
    department, health = sign_in(client, "department"), sign_in(client, "health")
    held = Held(monkeypatch, step=1)
    body = upload_body(organisation_of(client, department), "并发检查项目")
    upload, outcome = in_background(lambda: post_upload(client, department, body))
    assert held.reached.wait(15)

    started = time.monotonic()
    signed_in = sign_in(client, "health")  # a sign-in writes: last sign-in, audit event
    created = client.post(
        ITEMS, json=item(organisation_of(client, health), "检查期间的项目"), headers=signed_in
    )
    waited = time.monotonic() - started
    held.released.set()
    upload.join(timeout=60)

    assert created.status_code == 201, created.text
    assert waited < 5  # a writer queued behind the upload would wait out the lock timeout
    assert outcome["response"].status_code == 201, outcome["response"].text
    assert outcome["response"].json()["imported"] == 50
    verified = client.get("/api/v1/audit-events/verify", headers=sign_in(client, "oversight"))
    assert verified.json()["intact"] is True, verified.text


def hold_write_lock(connection: Connection) -> None:
    """What a writer holds at its commit: SQLite's write lock (this engine begins every
    transaction IMMEDIATE), and on PostgreSQL the audit chain's head row."""
    connection.begin()
    lock = " FOR UPDATE" if connection.dialect.name == "postgresql" else ""
    assert connection.execute(text(f"SELECT last_seq FROM audit_chain_head{lock}")).all()


def test_a_dry_run_takes_no_write_lock(served, monkeypatch):
    client, engine = served
    department = sign_in(client, "department")
    held = Held(monkeypatch, step=1)
    body = upload_body(organisation_of(client, department), "试运行项目")
    upload, outcome = in_background(lambda: post_upload(client, department, body, dry_run="true"))
    assert held.reached.wait(15)
    started = time.monotonic()
    with engine.connect() as writer:
        hold_write_lock(writer)  # would wait for the lock if the dry run held it
        writer.rollback()
    waited = time.monotonic() - started
    held.released.set()
    upload.join(timeout=60)
    assert waited < 2
    assert outcome["response"].status_code == 200, outcome["response"].text


def test_reads_are_served_and_writers_wait_briefly_while_an_upload_writes(served, monkeypatch):
    client, _ = served
    department, finance = sign_in(client, "department"), sign_in(client, "finance")
    held = Held(monkeypatch, step=2)
    body = upload_body(organisation_of(client, department), "写入期间项目")
    upload, outcome = in_background(lambda: post_upload(client, department, body))
    assert held.reached.wait(15)

    started = time.monotonic()
    page = client.get(ITEMS, params={"limit": 10}, headers=finance)
    read_in = time.monotonic() - started
    signing, signed = in_background(
        lambda: client.post(
            "/api/v1/auth/token", data={"username": "health", "password": DEMO_PASSWORD}
        )
    )
    time.sleep(0.3)
    held.released.set()
    upload.join(timeout=60)
    signing.join(timeout=30)

    assert page.status_code == 200 and read_in < 5
    assert signed["response"].status_code == 200, signed["response"].text
    assert outcome["response"].status_code == 201, outcome["response"].text


@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Engine]]:
    """A county whose requests wait at most 300 ms for a lock."""
    with served_county(tmp_path_factory.mktemp("busy"), "busy", lock_timeout_ms=300) as county:
        yield county


def test_a_write_that_cannot_get_the_lock_in_time_answers_503(impatient):
    client, engine = impatient
    department = sign_in(client, "department")
    request = item(organisation_of(client, department), "等锁的项目")
    with engine.connect() as writer:
        hold_write_lock(writer)
        refused = client.post(ITEMS, json=request, headers=department)
        writer.rollback()
    problem = assert_problem(refused, 503, "DATABASE_BUSY")
    assert int(refused.headers["Retry-After"]) > 0
    assert problem["retry_after"] == int(refused.headers["Retry-After"])
    assert client.post(ITEMS, json=request, headers=department).status_code == 201


def test_a_busy_database_when_a_key_is_claimed_is_503_too(client, auth, monkeypatch):
    """The Idempotency-Key is claimed before the application's handlers run: contention
    there is answered the same way."""
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorname = "SQLITE_BUSY"  # type: ignore[attr-defined]

    def busy(*_args: Any) -> None:
        raise OperationalError("INSERT INTO idempotency_records …", {}, locked)

    monkeypatch.setattr(idempotency, "claim", busy)
    response = client.post(
        "/api/v1/fiscal-years",
        json={"year": 2045},
        headers={**auth("finance"), "Idempotency-Key": "busy-claim-1"},
    )
    assert_problem(response, 503, "DATABASE_BUSY")
    assert response.headers["Retry-After"]
