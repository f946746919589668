"""The production shape (docs/deployment.md): several instances, one database, no sticky
sessions. Two applications, each with its own engine and connection pool — two hosts behind a
load balancer — share one committed database; whatever one of them learns (a token's validity,
a failed sign-in, an idempotent answer, a row version, the audit chain's head) the other must
know from the database alone, because the next request may reach either.

Both instances live in one process, so state kept in a module global would be shared here and
pass unnoticed; src/ keeps none (settings, engine and migration head only). What the tests
show is that each instance, through its own connections, acts on what the other committed.
"""

import gc
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any
from uuid import uuid4

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import Receive, Scope, Send

from perfbudget import db
from perfbudget.config import get_settings
from perfbudget.db import make_engine
from perfbudget.demo.loader import DEMO_PASSWORD, load_demo
from perfbudget.health import service as health_service
from perfbudget.integration import idempotency
from perfbudget.main import create_app
from tests.conftest import alembic_config
from tests.isolated import fresh_database_url
from tests.problems import assert_problem
from tests.workflow import ITEMS

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/auth/me"
VERIFY = "/api/v1/audit-events/verify"
WRONG_PASSWORD = "Wr0ng!Password"

# The instance a request is running in: each one's sessions come from its own engine.
_current: ContextVar["Instance"] = ContextVar("current_instance")


class Instance:
    """One ``create_app()`` with an engine and a pool of its own, as on another host."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.app = create_app()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _current.set(self)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)


def _current_sessions() -> sessionmaker[Session]:
    return _current.get().sessions


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, TestClient]]:
    with (
        fresh_database_url(tmp_path_factory.mktemp("scale"), "scale") as url,
        pytest.MonkeyPatch.context() as patch,
    ):
        command.upgrade(alembic_config(url), "head")  # once per deploy, before any worker
        seed = make_engine(url)
        with Session(seed) as session, session.begin():
            load_demo(session, get_settings(), workflow=False)
        seed.dispose()
        # where the process-wide engine is looked up, each request gets its instance's
        patch.setattr(db, "get_sessionmaker", _current_sessions)
        patch.setattr(idempotency, "get_sessionmaker", _current_sessions)
        patch.setattr(health_service, "get_engine", lambda: _current.get().engine)
        first, second = Instance(url), Instance(url)
        try:
            with TestClient(first) as a, TestClient(second) as b:
                yield a, b
        finally:
            first.engine.dispose()
            second.engine.dispose()


@pytest.fixture
def a(instances: tuple[TestClient, TestClient]) -> TestClient:
    return instances[0]


@pytest.fixture
def b(instances: tuple[TestClient, TestClient]) -> TestClient:
    return instances[1]


def sign_in(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> Any:
    return client.post(TOKEN, data={"username": username, "password": password})


def bearer(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    response = sign_in(client, username, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def me(client: TestClient, headers: dict[str, str]) -> Any:
    return client.get(ME, headers=headers)


def item_body(client: TestClient, headers: dict[str, str], name: str) -> dict[str, Any]:
    organisation = me(client, headers).json()["organisation"]
    return {
        "fiscal_year": 2027,
        "organisation_id": organisation["id"],
        "name": name,
        "kind": "project",
        "requested_amount": "500000.00",
    }


def create_item(client: TestClient, headers: dict[str, str], name: str) -> dict[str, Any]:
    response = client.post(ITEMS, json=item_body(client, headers, name), headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def items_total(client: TestClient, headers: dict[str, str]) -> int:
    response = client.get(ITEMS, params={"limit": 1}, headers=headers)
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def test_one_migration_makes_every_instance_ready(a, b):
    for client in (a, b):
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["migrations_current"] is True


def test_a_token_issued_by_one_instance_is_accepted_by_the_other(a, b):
    headers = bearer(a, "finance")
    answered = me(b, headers)
    assert answered.status_code == 200, answered.text
    assert answered.json()["username"] == "finance"


def test_a_password_change_on_one_instance_revokes_the_token_on_the_other(a, b):
    old = bearer(a, "thirdparty")
    assert me(b, old).status_code == 200
    changed = a.post(
        "/api/v1/auth/password",
        json={"current_password": DEMO_PASSWORD, "new_password": "Shape#Change2027x"},
        headers=old,
    )
    assert changed.status_code == 200, changed.text
    assert_problem(me(b, old), 401, "INVALID_TOKEN")
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert me(b, fresh).json()["username"] == "thirdparty"
    assert_problem(sign_in(b, "thirdparty"), 401, "INVALID_CREDENTIALS")  # the old password
    assert sign_in(b, "thirdparty", "Shape#Change2027x").status_code == 200


def test_disabling_an_account_on_one_instance_revokes_its_token_on_the_other(a, b):
    user_headers = bearer(b, "investment")
    user_id = me(b, user_headers).json()["id"]
    admin = bearer(b, "admin")
    version = b.get(f"/api/v1/users/{user_id}", headers=admin).json()["version"]
    disabled = a.post(f"/api/v1/users/{user_id}/disable", json={"version": version}, headers=admin)
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["is_active"] is False
    assert_problem(me(b, user_headers), 401, "INVALID_TOKEN")
    assert_problem(me(a, user_headers), 401, "INVALID_TOKEN")


def test_failed_sign_ins_on_one_instance_lock_the_account_on_the_other(a, b):
    for _ in range(4):
        assert_problem(sign_in(a, "expert", WRONG_PASSWORD), 401, "INVALID_CREDENTIALS")
    assert_problem(sign_in(b, "expert", WRONG_PASSWORD), 401, "ACCOUNT_LOCKED")  # the fifth
    assert_problem(sign_in(a, "expert"), 401, "ACCOUNT_LOCKED")  # even the right password
    admin = bearer(a, "admin")
    account = b.get("/api/v1/users", params={"limit": 100}, headers=admin).json()["items"]
    expert = next(user for user in account if user["username"] == "expert")
    assert expert["locked_until"] is not None


def test_an_idempotent_post_replays_on_the_other_instance_without_a_second_item(a, b):
    headers = bearer(a, "department")
    body = item_body(a, headers, "幂等跨实例")
    keyed = {**headers, "Idempotency-Key": f"shape-{uuid4().hex}"}
    before = items_total(b, headers)

    first = a.post(ITEMS, json=body, headers=keyed)
    again = b.post(ITEMS, json=body, headers=keyed)

    assert first.status_code == again.status_code == 201, again.text
    assert "Idempotent-Replay" not in first.headers
    assert again.headers["Idempotent-Replay"] == "true"
    assert again.content == first.content
    assert items_total(a, headers) == items_total(b, headers) == before + 1
    other_body = {**body, "name": "另一个请求"}
    assert_problem(a.post(ITEMS, json=other_body, headers=keyed), 422, "IDEMPOTENCY_KEY_REUSED")


def test_an_object_from_one_instance_is_updated_on_the_other_with_its_version(a, b):
    headers = bearer(a, "department")
    item = create_item(a, headers, "跨实例版本")
    url = f"{ITEMS}/{item['id']}"
    read_on_b = b.get(url, headers=headers).json()
    assert read_on_b["name"] == "跨实例版本"

    moved = a.patch(
        url, json={"name": "A 改过"}, headers={**headers, "If-Match": f'"{item["version"]}"'}
    )
    assert moved.status_code == 200, moved.text
    stale = b.patch(
        url,
        json={"name": "B 据旧版本改"},
        headers={**headers, "If-Match": f'"{read_on_b["version"]}"'},
    )
    body = assert_problem(stale, 409, "VERSION_CONFLICT")
    assert body["current_version"] == moved.json()["version"] == read_on_b["version"] + 1

    current = b.patch(
        url, json={"name": "B 改过", "version": moved.json()["version"]}, headers=headers
    )
    assert current.status_code == 200, current.text
    assert a.get(url, headers=headers).json()["name"] == "B 改过"


def test_the_audit_chain_holds_after_interleaved_and_concurrent_writes(a, b):
    department = bearer(a, "department")
    finance = bearer(b, "finance")
    start = a.get(VERIFY, headers=finance).json()
    created = [create_item(client, department, f"审计链 {n}") for n, client in enumerate((a, b, a))]

    barrier = threading.Barrier(2)

    def burst(client: TestClient, label: str) -> list[dict[str, Any]]:
        barrier.wait()
        return [create_item(client, department, f"并发 {label}{n}") for n in range(4)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        bursts = [pool.submit(burst, a, "A"), pool.submit(burst, b, "B")]
        created += [item for future in bursts for item in future.result()]

    on_a, on_b = a.get(VERIFY, headers=finance).json(), b.get(VERIFY, headers=finance).json()
    assert on_a == on_b
    assert on_a["intact"] is True and on_a["first_broken_seq"] is None
    assert on_a["last_seq"] == on_a["events_checked"] >= start["last_seq"] + len(created)
    ids = {str(item["id"]) for item in created}
    trail = b.get(
        "/api/v1/audit-events",
        params={"entity_type": "budget_item", "limit": 100},
        headers=finance,
    ).json()["items"]
    seqs = [event["seq"] for event in trail if event["entity_id"] in ids]
    assert len(seqs) == len(set(seqs)) == len(created) == 11


def test_each_process_freezes_its_start_up_objects(a):
    """Once an instance has started, its long-lived objects are out of the collector's way."""
    assert gc.get_freeze_count() > 0
