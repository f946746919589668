"""Issue 14: `perfbudget maintenance purge` from cron, on a committed database of its own:
exactly what is delivered and old, expired or unreferenced goes; a second run is a no-op."""

import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from perfbudget import cli
from perfbudget.attachments.models import Attachment
from perfbudget.audit.models import AuditEvent
from perfbudget.config import get_settings
from perfbudget.db import get_engine, get_sessionmaker
from perfbudget.events.models import (
    Delivery,
    DeliveryStatus,
    EventType,
    OutboxEvent,
    Subscription,
)
from perfbudget.integration.models import IdempotencyRecord
from perfbudget.maintenance import service as maintenance
from perfbudget.reminders.models import ReminderSent
from tests.isolated import served_county, sign_in

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=100)  # past the default retention of 90 days
RECENT = NOW - timedelta(days=30)
SHA_KEPT, SHA_ORPHAN, SHA_YOUNG = ("a" * 64, "b" * 64, "c" * 64)


def _clear_caches() -> None:
    get_settings.cache_clear()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()


@dataclass
class County:
    client: TestClient
    engine: Engine
    files: Path


@pytest.fixture
def county(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[County]:
    """The CLI's settings point at a served county's database and a directory of its own."""
    with served_county(tmp_path, "purge") as (client, engine):
        files = tmp_path / "attachments"
        monkeypatch.setenv("PERFBUDGET_DATABASE_URL", engine.url.render_as_string(False))
        monkeypatch.setenv("PERFBUDGET_ATTACHMENTS_DIR", str(files))
        _clear_caches()
        try:
            yield County(client, engine, files)
        finally:
            get_engine().dispose()
            monkeypatch.undo()
            _clear_caches()


def _event(session: Session, occurred_at: datetime) -> int:
    event = OutboxEvent(
        event_id=str(uuid.uuid4()),
        event_type=EventType.budget_decided,
        payload={"item_id": 1},
        occurred_at=occurred_at,
    )
    session.add(event)
    session.flush()
    return event.id


def _delivery(
    session: Session,
    event_id: int,
    subscription_id: int,
    status: DeliveryStatus,
    delivered_at: datetime | None = None,
) -> int:
    delivery = Delivery(
        event_id=event_id,
        subscription_id=subscription_id,
        status=status,
        attempts=1 if status is DeliveryStatus.delivered else 3,
        next_attempt_at=delivered_at or OLD,
        delivered_at=delivered_at,
        last_error=None if status is DeliveryStatus.delivered else "HTTP 503",
    )
    session.add(delivery)
    session.flush()
    return delivery.id


def _record(session: Session, state: str, created_at: datetime) -> int:
    record = IdempotencyRecord(
        user_id=1,
        key=uuid.uuid4().hex,
        method="POST",
        path="/api/v1/budget-items",
        request_hash="0" * 64,
        state=state,
        response_status=201 if state == "completed" else None,
        response_headers={},
        created_at=created_at,
    )
    session.add(record)
    session.flush()
    return record.id


def _file(path: Path, age: timedelta) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.4 " + path.name.encode())
    moment = (NOW - age).timestamp()
    os.utime(path, (moment, moment))
    return path


@dataclass
class Scene:
    kept_events: set[int]
    kept_deliveries: set[int]
    kept_records: set[int]
    kept_files: list[Path]
    removed_files: list[Path]


def _scene(county: County) -> Scene:
    with Session(county.engine) as session, session.begin():
        treasury, audit_office = (
            Subscription(name=name, url=f"https://{name}.example/", secret="s" * 20)
            for name in ("treasury", "audit")
        )
        session.add_all([treasury, audit_office])
        session.flush()
        done = _event(session, OLD)
        _delivery(session, done, treasury.id, DeliveryStatus.delivered, OLD)
        _event(session, OLD)  # no subscriber wanted it
        waiting = _event(session, OLD)
        pending = _delivery(session, waiting, treasury.id, DeliveryStatus.pending)
        mixed = _event(session, OLD)
        _delivery(session, mixed, treasury.id, DeliveryStatus.delivered, OLD)
        failed = _delivery(session, mixed, audit_office.id, DeliveryStatus.failed)
        recent = _event(session, RECENT)
        recent_delivery = _delivery(session, recent, treasury.id, DeliveryStatus.delivered, RECENT)
        late = _event(session, OLD)  # delivered only lately (re-queued, say)
        late_delivery = _delivery(session, late, treasury.id, DeliveryStatus.delivered, RECENT)

        _record(session, "completed", NOW - timedelta(hours=25))
        _record(session, "in_progress", NOW - timedelta(minutes=20))  # its worker died
        kept_records = {
            _record(session, "in_progress", NOW - timedelta(minutes=5)),
            _record(session, "completed", NOW - timedelta(hours=2)),
        }
        for sent_at in (OLD, OLD, RECENT):  # two spent reminder claims, one recent
            session.add(
                ReminderSent(
                    event_type=EventType.report_overdue,
                    subject_key=f"item:{uuid.uuid4().int % 10_000}:month:3",
                    reminder_day=sent_at.date(),
                    event_id=str(uuid.uuid4()),
                    sent_at=sent_at,
                )
            )
        session.add(
            Attachment(
                owner_type="assessment",
                owner_id=1,
                filename="评估报告.pdf",
                content_type="application/pdf",
                size_bytes=20,
                sha256=SHA_KEPT,
                uploaded_at=OLD,
            )
        )
    files, two_days = county.files, timedelta(hours=48)
    return Scene(
        kept_events={waiting, mixed, recent, late},
        kept_deliveries={pending, failed, recent_delivery, late_delivery},
        kept_records=kept_records,
        kept_files=[
            _file(files / "aa" / SHA_KEPT, two_days),
            _file(files / "cc" / SHA_YOUNG, timedelta(hours=1)),  # its upload may not commit yet
            _file(files / "README", two_days),  # not named like a kept file: not ours
            _file(files / "bb" / "notes.txt", two_days),
            _file(files / "bb" / ("d" * 64), two_days),  # in the wrong shard: not ours either
        ],
        removed_files=[
            _file(files / "bb" / SHA_ORPHAN, two_days),
            _file(files / ".upload-k3j2h1", two_days),  # a dead worker's half upload
        ],
    )


def _state(engine: Engine) -> tuple[set[int], set[int], set[int], int]:
    with Session(engine) as session:
        return (
            set(session.scalars(select(OutboxEvent.id))),
            set(session.scalars(select(Delivery.id))),
            set(session.scalars(select(IdempotencyRecord.id))),
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def _purge(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert cli.main(["maintenance", "purge", *args]) == 0
    return capsys.readouterr().out.strip()


def test_purge_removes_exactly_what_is_done_and_twice_is_a_no_op(
    county: County, capsys: pytest.CaptureFixture[str]
):
    scene = _scene(county)
    before = _state(county.engine)

    dry = _purge(capsys, "--dry-run")
    counts = (
        "outbox_events=2 event_deliveries=2 idempotency_records=2 reminder_claims=2 "
        "attachment_files=2"
    )
    assert dry == f"would remove {counts}"
    assert _state(county.engine) == before
    assert all(path.exists() for path in scene.removed_files)

    assert _purge(capsys) == f"removed {counts}"
    events, deliveries, records, audit_count = _state(county.engine)
    assert events == scene.kept_events
    assert deliveries == scene.kept_deliveries
    assert records == scene.kept_records
    assert [path for path in scene.removed_files if path.exists()] == []
    assert all(path.exists() for path in scene.kept_files)
    assert audit_count == before[3] + 1

    finance = sign_in(county.client, "finance")
    trail = county.client.get(
        "/api/v1/audit-events", params={"action": "maintenance.purged"}, headers=finance
    ).json()["items"]
    [purged] = trail
    assert (purged["username"], purged["client_address"]) == ("maintenance", "cli")
    assert purged["changes"]["outbox_events"] == 2
    assert purged["changes"]["attachment_files"] == 2
    assert purged["changes"]["reminder_claims"] == 2
    with Session(county.engine) as session:
        kept = session.scalars(select(ReminderSent.sent_at)).all()
    assert [moment.date() for moment in kept] == [RECENT.date()]
    verified = county.client.get("/api/v1/audit-events/verify", headers=finance).json()
    assert verified["intact"] is True

    after = _state(county.engine)  # the sign-in is on record too
    assert after[:3] == (events, deliveries, records)
    zero = (
        "outbox_events=0 event_deliveries=0 idempotency_records=0 reminder_claims=0 "
        "attachment_files=0"
    )
    assert _purge(capsys) == f"removed {zero}"
    assert _state(county.engine) == after
    assert all(path.exists() for path in scene.kept_files)


def test_the_retention_and_grace_are_flags(county: County, capsys: pytest.CaptureFixture[str]):
    scene = _scene(county)
    _purge(capsys)

    out = _purge(capsys, "--outbox-retention-days", "7", "--attachment-grace-hours", "1")
    # the recent and the lately delivered events go, and the recent reminder claim; pending
    # and failed ones stay whatever their age; the young orphan (1 h old) is now past its grace
    assert out == (
        "removed outbox_events=2 event_deliveries=2 idempotency_records=0 reminder_claims=1 "
        "attachment_files=1"
    )
    events, deliveries, _, _ = _state(county.engine)
    assert len(events) == 2 and len(deliveries) == 2
    with Session(county.engine) as session:
        statuses = set(session.scalars(select(Delivery.status)))
    assert statuses == {DeliveryStatus.pending, DeliveryStatus.failed}
    assert not (county.files / "cc" / SHA_YOUNG).exists()
    assert (county.files / "aa" / SHA_KEPT).exists()
    assert len(scene.kept_events) == 4

    for bad in (["--batch", "0"], ["--outbox-retention-days", "-1"]):
        with pytest.raises(SystemExit):
            cli.main(["maintenance", "purge", *bad])


def test_purges_on_several_hosts_at_once_remove_each_row_once(county: County):
    scene = _scene(county)
    retention = maintenance.Retention.of(get_settings())
    results: list[maintenance.Purged] = []
    errors: list[BaseException] = []

    def host() -> None:
        try:
            with Session(county.engine, expire_on_commit=False) as session:
                results.append(maintenance.purge(session, county.files, retention, batch=1))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=host) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(results) == 3
    totals = {
        name: sum(getattr(result, name) for result in results)
        for name in ("outbox_events", "event_deliveries", "idempotency_records", "attachment_files")
    }
    assert totals == {
        "outbox_events": 2,
        "event_deliveries": 2,
        "idempotency_records": 2,
        "attachment_files": 2,
    }
    events, deliveries, records, _ = _state(county.engine)
    assert (events, deliveries, records) == (
        scene.kept_events,
        scene.kept_deliveries,
        scene.kept_records,
    )
