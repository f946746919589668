"""Requests that only read do not queue behind a writer (``perfbudget.db.request_session``).

On SQLite a writing transaction takes the database's one write lock when it begins; a GET
begins a deferred transaction and reads its own snapshot instead, so a page of items is
served while another request is in the middle of a write. A GET that must write after all
(an audited permission refusal) first leaves its snapshot and then waits for the lock like
any writer, so its audit event is neither lost nor chained on a stale head. PostgreSQL
readers never wait for writers; the same tests hold there.

These run against a database of their own with the application's real request sessions
(the rest of the suite wraps each test in one rolled-back transaction instead).
"""

import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import sessionmaker

from perfbudget.audit import service as audit
from perfbudget.audit.models import AuditChainHead
from perfbudget.db import SQLITE_READING
from perfbudget.principal import Actor
from tests.isolated import served_county, sign_in
from tests.problems import assert_problem

ITEMS = "/api/v1/budget-items"
AUDIT = "/api/v1/audit-events"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Engine]]:
    with served_county(tmp_path_factory.mktemp("reading"), "reading") as county:
        yield county


def hold_write_lock(connection: Connection) -> None:
    """What a writing request holds mid-transaction: SQLite's write lock (every transaction
    of this engine begins IMMEDIATE), and on PostgreSQL the audit chain's head row."""
    connection.begin()
    lock = " FOR UPDATE" if connection.dialect.name == "postgresql" else ""
    assert connection.execute(text(f"SELECT last_seq FROM audit_chain_head{lock}")).all()


def denials(client: TestClient, headers: dict[str, str]) -> list[dict[str, object]]:
    response = client.get(
        AUDIT, params={"action": "permission.denied", "limit": 100}, headers=headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_a_page_is_served_while_a_writer_holds_its_transaction(served):
    client, engine = served
    department, headers = sign_in(client, "department"), sign_in(client, "finance")
    organisation = client.get("/api/v1/auth/me", headers=department).json()["organisation"]
    for n in range(3):
        created = client.post(
            ITEMS,
            json={
                "fiscal_year": 2027,
                "organisation_id": organisation["id"],
                "name": f"读写并发项目{n}",
                "kind": "project",
                "requested_amount": "100000.00",
            },
            headers=department,
        )
        assert created.status_code == 201, created.text
    expected = client.get(ITEMS, params={"limit": 100}, headers=headers)
    assert expected.status_code == 200 and expected.json()["total"] > 0

    with engine.connect() as writer:
        hold_write_lock(writer)
        started = time.monotonic()
        during = client.get(ITEMS, params={"limit": 100}, headers=headers)
        waited = time.monotonic() - started
        writer.rollback()

    assert during.status_code == 200, during.text
    assert during.json() == expected.json()
    # a reader queued behind the lock would wait out SQLite's 10 s busy timeout and fail
    assert waited < 5


def test_an_audited_refusal_of_a_get_waits_for_the_writer_and_keeps_its_event(served):
    client, engine = served
    finance, department = sign_in(client, "finance"), sign_in(client, "department")
    before = denials(client, finance)

    outcome: dict[str, object] = {}
    with engine.connect() as writer:
        hold_write_lock(writer)

        def refused_read() -> None:
            outcome["response"] = client.get(AUDIT, headers=department)
            outcome["finished"] = time.monotonic()

        reader = threading.Thread(target=refused_read)
        reader.start()
        time.sleep(0.5)
        assert "response" not in outcome  # waiting for the lock, not failing
        released = time.monotonic()
        writer.rollback()
        reader.join(timeout=15)

    assert not reader.is_alive()
    assert_problem(outcome["response"], 403, "PERMISSION_DENIED")  # type: ignore[arg-type]
    assert outcome["finished"] >= released  # type: ignore[operator]
    after = denials(client, finance)
    assert len(after) == len(before) + 1
    assert after[0]["username"] == "department"
    verified = client.get(f"{AUDIT}/verify", headers=finance)
    assert verified.status_code == 200 and verified.json()["intact"] is True, verified.text


def test_a_reading_transaction_that_must_write_leaves_its_stale_snapshot(served):
    """The request's own snapshot predates another writer's commit: writing on it would
    fail (SQLite refuses to upgrade a stale snapshot) or chain onto an old head."""
    client, engine = served
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    with sessions() as reading:
        reading.connection(execution_options={SQLITE_READING: True})
        seen = reading.scalar(select(AuditChainHead.last_seq))  # the snapshot begins here
        with sessions() as other, other.begin():
            audit.record(other, Actor.system("reading-test"), "test.meanwhile")
        event = audit.record(reading, Actor.system("reading-test"), "test.after_reading")
        reading.commit()
    assert seen is not None and event.seq == seen + 2
    finance = sign_in(client, "finance")
    verified = client.get(f"{AUDIT}/verify", headers=finance)
    assert verified.status_code == 200 and verified.json()["intact"] is True, verified.text
