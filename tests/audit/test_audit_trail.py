"""The audit trail: every write, sign-in and denial, hash-chained and append-only."""

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from perfbudget.audit import service as audit_service
from perfbudget.principal import Actor, RequestMeta
from tests.factories import STRONG_PASSWORD


def _events(client, auth, **params):
    response = client.get("/api/v1/audit-events", params=params, headers=auth("finance"))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _verify(client, auth):
    response = client.get("/api/v1/audit-events/verify", headers=auth("oversight"))
    assert response.status_code == 200
    return response.json()


def test_a_write_records_who_what_before_after_and_where(client, auth):
    created = client.post(
        "/api/v1/organisations",
        json={"code": "A700", "name_zh": "审计测试部门", "kind": "department"},
        headers={**auth("admin"), "X-Request-ID": "trace-1"},
    ).json()
    client.patch(
        f"/api/v1/organisations/{created['id']}",
        json={"name_zh": "改名后的部门", "version": created["version"]},
        headers=auth("admin"),
    )
    events = _events(client, auth, entity_type="organisation", entity_id=str(created["id"]))
    assert [e["action"] for e in events] == ["organisation.updated", "organisation.created"]
    update, create = events
    assert create["username"] == "admin" and create["role"] == "admin"
    assert create["request_id"] == "trace-1"
    assert create["client_address"] == "testclient"
    assert create["changes"]["after"]["code"] == "A700"
    assert update["changes"] == {
        "before": {"name_zh": "审计测试部门"},
        "after": {"name_zh": "改名后的部门"},
    }
    assert update["occurred_at"].endswith(("Z", "+00:00"))
    assert update["seq"] == create["seq"] + 1
    assert update["prev_hash"] == create["hash"]


def test_sign_ins_failures_and_lockouts_are_recorded(client, auth, login):
    login("expert")
    for _ in range(5):
        client.post("/api/v1/auth/token", data={"username": "expert", "password": "wrong"})
    client.post("/api/v1/auth/token", data={"username": "nobody", "password": "wrong"})
    actions = [e["action"] for e in _events(client, auth, limit=20)]
    assert actions[:8] == [
        "auth.login_failed",  # nobody
        "auth.account_locked",
        "auth.login_failed",
        "auth.login_failed",
        "auth.login_failed",
        "auth.login_failed",
        "auth.login_failed",
        "auth.login_succeeded",
    ]
    unknown = _events(client, auth, limit=1)[0]
    assert unknown["username"] == "nobody" and unknown["changes"] == {"reason": "unknown_user"}


def test_passwords_never_reach_the_trail(client, auth):
    user = client.post(
        "/api/v1/users",
        json={
            "username": "auditee",
            "display_name": "被审计者",
            "role": "expert",
            "initial_password": STRONG_PASSWORD,
        },
        headers=auth("admin"),
    ).json()
    client.post(
        f"/api/v1/users/{user['id']}/reset-password",
        json={"temporary_password": "Another#Pass99", "version": user["version"]},
        headers=auth("admin"),
    )
    trail = client.get("/api/v1/audit-events?limit=100", headers=auth("finance")).text
    assert STRONG_PASSWORD not in trail and "Another#Pass99" not in trail
    assert "$argon2" not in trail


def test_filters_by_user_action_and_time(client, auth):
    before = _events(client, auth, limit=1)[0]["occurred_at"]
    client.post("/api/v1/fiscal-years", json={"year": 2040}, headers=auth("finance"))
    mine = _events(client, auth, action="fiscal_year.created", since=before)
    assert len(mine) == 1 and mine[0]["entity_id"] == "2040"
    finance_id = client.get("/api/v1/auth/me", headers=auth("finance")).json()["id"]
    assert all(e["user_id"] == finance_id for e in _events(client, auth, user_id=finance_id))
    assert _events(client, auth, action="fiscal_year.created", until=before) == [
        e
        for e in _events(client, auth, action="fiscal_year.created", until=before)
        if e["entity_id"] != "2040"
    ]


def test_the_chain_verifies_intact(client, auth):
    client.post("/api/v1/fiscal-years", json={"year": 2041}, headers=auth("finance"))
    report = _verify(client, auth)
    assert report["intact"] is True
    assert report["first_broken_seq"] is None
    assert report["events_checked"] == report["last_seq"] > 0


def _drop_triggers(db: Session) -> None:
    if db.bind.dialect.name == "sqlite":
        db.execute(text("DROP TRIGGER audit_events_no_update"))
        db.execute(text("DROP TRIGGER audit_events_no_delete"))
    else:
        db.execute(text("DROP TRIGGER audit_events_no_change ON audit_events"))


def _middle_seq(client, auth) -> int:
    for year in (2042, 2043, 2044):
        client.post("/api/v1/fiscal-years", json={"year": year}, headers=auth("finance"))
    return _events(client, auth, limit=2)[1]["seq"] - 1


def test_the_database_refuses_update_and_delete(client, auth, db):
    seq = _middle_seq(client, auth)
    for statement in (
        "UPDATE audit_events SET action = 'forged' WHERE seq = :seq",
        "DELETE FROM audit_events WHERE seq = :seq",
    ):
        savepoint = db.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(text(statement), {"seq": seq})
        savepoint.rollback()
    assert _verify(client, auth)["intact"] is True


def test_verify_names_an_edited_row(client, auth, db):
    seq = _middle_seq(client, auth)
    _drop_triggers(db)
    db.execute(text("UPDATE audit_events SET action = 'forged' WHERE seq = :seq"), {"seq": seq})
    report = _verify(client, auth)
    assert report["intact"] is False
    assert report["first_broken_seq"] == seq
    assert report["reason"] == "hash_mismatch"


def test_verify_names_a_deleted_row(client, auth, db):
    seq = _middle_seq(client, auth)
    _drop_triggers(db)
    db.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": seq})
    report = _verify(client, auth)
    assert (report["intact"], report["first_broken_seq"], report["reason"]) == (
        False,
        seq,
        "missing",
    )


def test_verify_notices_a_truncated_tail(client, auth, db):
    _middle_seq(client, auth)
    last = _events(client, auth, limit=1)[0]["seq"]
    _drop_triggers(db)
    db.execute(text("DELETE FROM audit_events WHERE seq >= :seq"), {"seq": last - 1})
    report = _verify(client, auth)
    assert report["intact"] is False
    assert report["first_broken_seq"] == last - 1


def test_verify_notices_a_rewritten_link(client, auth, db):
    """Recomputing one row's hash to hide an edit still breaks the next link."""
    seq = _middle_seq(client, auth)
    _drop_triggers(db)
    db.execute(
        text("UPDATE audit_events SET hash = :h WHERE seq = :seq"), {"h": "f" * 64, "seq": seq}
    )
    report = _verify(client, auth)
    assert report["first_broken_seq"] == seq


def test_concurrent_appends_keep_one_unbroken_chain(engine):
    """Writers on separate connections are serialised on the chain head."""
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(5):
                with Session(engine) as session, session.begin():
                    audit_service.record(
                        session,
                        Actor(None, f"writer{n}", None, None, None, RequestMeta()),
                        "test.concurrent_append",
                        changes={"i": i},
                    )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(engine) as session:
        report = audit_service.verify_chain(session)
        count = session.scalar(
            text("SELECT count(*) FROM audit_events WHERE action = 'test.concurrent_append'")
        )
    assert report.intact, report
    assert count >= 20


def test_an_event_is_chained_at_commit_and_takes_no_lock_before(engine):
    """A transaction's events are appended when it commits: one that recorded first but
    commits last does not hold up another writer, and comes after it in the chain."""
    actor = Actor(None, "early", None, None, None, RequestMeta())
    with Session(engine, expire_on_commit=False) as early:
        first = audit_service.record(early, actor, "test.recorded_first")
        assert first.seq is None  # collected, not yet chained: the head is untouched
        with Session(engine, expire_on_commit=False) as late, late.begin():
            second = audit_service.record(late, actor, "test.committed_first")
        early.commit()
    assert second.seq is not None and first.seq == second.seq + 1
    assert first.prev_hash == second.hash
    with Session(engine) as session:
        assert audit_service.verify_chain(session).intact


def test_recording_runs_no_statement(db, count_queries):
    count_queries.statements.clear()
    audit_service.record(db, Actor(None, "quiet", None, None, None, RequestMeta()), "test.quiet")
    assert count_queries.statements == []
    db.commit()  # one read of the head under its lock, the event, the head
    assert len(count_queries.statements) == 3, count_queries.statements


def test_an_event_rolled_back_with_its_savepoint_is_not_chained(client, auth, db):
    actor = Actor(None, "undone", None, None, None, RequestMeta())
    savepoint = db.begin_nested()
    audit_service.record(db, actor, "test.undone")
    savepoint.rollback()
    audit_service.record(db, actor, "test.kept")
    db.commit()
    actions = [e["action"] for e in _events(client, auth, limit=5)]
    assert "test.kept" in actions and "test.undone" not in actions
    assert _verify(client, auth)["intact"] is True
