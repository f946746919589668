from collections.abc import Iterator
from uuid import uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from perfbudget.integration import idempotency
from perfbudget.integration.models import IdempotencyRecord
from tests.workflow import ITEMS


@pytest.fixture
def real_key(
    demo_tokens: dict[str, str], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, dict[str, str]]]:
    """Outside the test transaction: the real sessionmaker and real commits, under a key of
    the department's own (its record is deleted afterwards)."""
    monkeypatch.setattr(idempotency, "new_session", idempotency.get_sessionmaker())
    key = f"real-{uuid4().hex}"
    yield key, {"Authorization": f"Bearer {demo_tokens['department']}", "Idempotency-Key": key}
    with Session(engine) as session, session.begin():
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.key == key))


def test_records_commit_in_their_own_transaction(
    app: FastAPI, engine: Engine, real_key: tuple[str, dict[str, str]]
) -> None:
    """A real commit, in a transaction of its own (a 422 writes nothing)."""
    key, headers = real_key
    with TestClient(app) as client:
        first = client.post(ITEMS, json={"fiscal_year": 2027}, headers=headers)
        again = client.post(ITEMS, json={"fiscal_year": 2027}, headers=headers)
    assert first.status_code == again.status_code == 422
    assert again.headers["Idempotent-Replay"] == "true"
    with Session(engine) as session:
        record = session.scalars(
            select(IdempotencyRecord).where(IdempotencyRecord.key == key)
        ).one()
        assert (record.state, record.response_status) == ("completed", 422)
        assert record.response_body == first.content


def test_a_replay_is_in_the_first_answer_s_language(
    app: FastAPI, real_key: tuple[str, dict[str, str]]
) -> None:
    """The stored answer keeps the language it was written in, whatever the retry asks for."""
    _, headers = real_key
    body = {"fiscal_year": 2027, "name": "幂等", "kind": "project", "requested_amount": "-1"}
    with TestClient(app) as client:
        first = client.post(ITEMS, json=body, headers={**headers, "Accept-Language": "en"})
        again = client.post(ITEMS, json=body, headers={**headers, "Accept-Language": "zh"})
    assert first.status_code == again.status_code == 422
    assert again.headers["Idempotent-Replay"] == "true"
    assert again.content == first.content
    assert "Input should be greater than 0" in again.text
    assert first.headers["Content-Language"] == again.headers["Content-Language"] == "en"
