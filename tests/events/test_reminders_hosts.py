"""`perfbudget reminders run` from cron, on a committed county of its own: the command's
output and exit code, and several hosts running it at the same moment sending each reminder
exactly once (the unique claim in reminders_sent)."""

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from perfbudget import cli
from perfbudget.config import get_settings
from perfbudget.db import get_engine, get_sessionmaker
from perfbudget.events.models import OutboxEvent
from perfbudget.orgs.models import Organisation
from perfbudget.reminders import service as reminders
from perfbudget.reminders.models import ReminderSent
from tests.isolated import served_county, sign_in
from tests.monitoring.conftest import Monitor, SetToday, set_today  # noqa: F401
from tests.workflow import Workflow

TODAY = date(2027, 7, 5)


def _clear_caches() -> None:
    get_settings.cache_clear()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()


class CountyFlow(Workflow):
    """The shared workflow on a served county: every request commits; organisations by code
    read once (a session held open would keep SQLite's write lock from the requests)."""

    def __init__(self, client: TestClient, engine: Engine) -> None:
        tokens = {user: sign_in(client, user) for user in ("department", "finance")}
        auth: Callable[[str], dict[str, str]] = tokens.__getitem__
        super().__init__(client, auth, cast(Session, None))
        with Session(engine) as session:
            self.orgs = {org.code: org.id for org in session.scalars(select(Organisation))}

    def org_id(self, code: str) -> int:
        return self.orgs[code]


@dataclass
class County:
    client: TestClient
    engine: Engine
    expected: Counter[str]  # what a run on TODAY sends


@pytest.fixture
def county(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    set_today: SetToday,  # noqa: F811
) -> Iterator[County]:
    """Four items funded on 20 May with nothing filed (May's report overdue on 5 July), and
    one with a rectification due on 7 July; the CLI's settings point at this database."""
    with served_county(tmp_path, "reminders") as (client, engine):
        monitor = Monitor(CountyFlow(client, engine))
        set_today(date(2027, 5, 20))
        late = [monitor.funded(execute=False)["id"] for _ in range(4)]
        filer = monitor.funded()["id"]
        set_today(date(2027, 7, 2))
        monitor.submitted(filer, 5)
        monitor.submitted(filer, 6)
        monitor.decided(filer, "rectify", deadline="2027-07-07")
        set_today(TODAY)
        monkeypatch.setenv("PERFBUDGET_DATABASE_URL", engine.url.render_as_string(False))
        _clear_caches()
        try:
            yield County(
                client,
                engine,
                Counter({"report.overdue": len(late), "rectification.due_soon": 1}),
            )
        finally:
            get_engine().dispose()
            monkeypatch.undo()
            _clear_caches()


def _sent(engine: Engine) -> tuple[list[tuple[Any, ...]], list[str]]:
    """The claims (type, subject, day) and the types of the reminders in the outbox."""
    with Session(engine) as session:
        claims = session.execute(
            select(ReminderSent.event_type, ReminderSent.subject_key, ReminderSent.reminder_day)
        ).all()
        types = session.scalars(
            select(OutboxEvent.event_type)
            .where(OutboxEvent.event_type.in_(reminders.KINDS))
            .order_by(OutboxEvent.id)
        ).all()
    return [tuple(row) for row in claims], [event_type.value for event_type in types]


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert cli.main(["reminders", "run", *args]) == 0
    return capsys.readouterr().out.strip()


def test_the_command_sends_once_a_day_and_says_what_it_sent(
    county: County,
    capsys: pytest.CaptureFixture[str],
    set_today: SetToday,  # noqa: F811
):
    nothing = "report.due_soon=0 report.overdue=0 rectification.due_soon=0 rectification.overdue=0"
    counts = "report.due_soon=0 report.overdue=4 rectification.due_soon=1 rectification.overdue=0"
    assert _cli(capsys, "--dry-run") == f"2027-07-05: would send {counts}"
    assert _sent(county.engine) == ([], [])

    assert _cli(capsys) == f"2027-07-05: sent {counts}"
    claims, types = _sent(county.engine)
    assert Counter(types) == county.expected
    assert len(claims) == len(types) == 5
    assert _cli(capsys) == f"2027-07-05: sent {nothing}"
    assert _cli(capsys, "--dry-run") == f"2027-07-05: would send {nothing}"
    assert _sent(county.engine) == (claims, types)

    # a day given on the command line: June's reports are due in two days, the
    # rectification overdue, May's reports overdue again
    later = "report.due_soon=4 report.overdue=4 rectification.due_soon=0 rectification.overdue=1"
    assert _cli(capsys, "--today", "2027-07-08", "--batch", "2") == f"2027-07-08: sent {later}"
    assert len(_sent(county.engine)[1]) == 5 + 9

    finance = sign_in(county.client, "finance")
    trail = county.client.get(
        "/api/v1/audit-events", params={"action": "reminders.sent"}, headers=finance
    ).json()["items"]
    assert [(e["username"], e["client_address"], e["changes"]["day"]) for e in trail] == [
        ("reminders", "cli", "2027-07-08"),
        ("reminders", "cli", "2027-07-05"),
    ]
    assert county.client.get("/api/v1/audit-events/verify", headers=finance).json()["intact"]

    for bad in (["--today", "2027-13-01"], ["--today", "tomorrow"], ["--batch", "0"]):
        with pytest.raises(SystemExit) as exited:
            cli.main(["reminders", "run", *bad])
        assert exited.value.code == 2
    assert "must be a date, YYYY-MM-DD" in capsys.readouterr().err


def test_hosts_running_at_once_send_each_reminder_exactly_once(county: County):
    hosts = 3
    start = threading.Barrier(hosts)
    results: list[reminders.Sent] = []
    errors: list[BaseException] = []

    def host() -> None:
        try:
            with Session(county.engine, expire_on_commit=False) as session:
                start.wait(timeout=30)
                results.append(reminders.run(session, batch=1))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=host) for _ in range(hosts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(results) == hosts
    totals: Counter[str] = Counter()
    for result in results:
        totals.update({kind: count for kind, count in result.as_dict().items() if count})
    assert totals == county.expected
    claims, types = _sent(county.engine)
    assert Counter(types) == county.expected
    assert len(set(claims)) == len(claims) == 5
