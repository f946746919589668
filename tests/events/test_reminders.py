"""Issue 17: `perfbudget reminders run` writes report.due_soon / report.overdue /
rectification.due_soon / rectification.overdue for what is owed, with the lead time of the
fiscal year's parameters; once per due date (due soon) or once a day (overdue)."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from perfbudget.events.delivery import deliver_due
from perfbudget.reminders import service as reminders
from perfbudget.reminders.models import ReminderSent
from tests.events.conftest import Events, Receiver
from tests.monitoring.conftest import (  # noqa: F401 - fixtures
    YEAR,
    Monitor,
    SetToday,
    attachments_dir,
    set_today,
)
from tests.problems import assert_problem
from tests.workflow import Workflow

TYPES = ["report.due_soon", "report.overdue", "rectification.due_soon", "rectification.overdue"]
EARLY = date(2027, 5, 20)  # funded then, an item owes May's report onwards


@pytest.fixture
def monitor(flow: Workflow) -> Monitor:
    return Monitor(flow)


def lead_days(monitor: Monitor, days: int | None = None) -> Any:
    """The year's reminder lead time; with ``days``, set it (while the year is prepared)."""
    finance = monitor.auth("finance")
    year = monitor.client.get(YEAR, headers=finance).json()
    if days is None:
        return year["parameters"]["reminder_lead_days"]
    return monitor.client.put(
        f"{YEAR}/parameters",
        json={
            "parameters": {**year["parameters"], "reminder_lead_days": days},
            "version": year["version"],
        },
        headers=finance,
    )


@dataclass
class Scene:
    late: dict[str, Any]  # funded 20 May: May's report overdue, June's in draft
    filer: dict[str, Any]  # funded 20 May, May and June filed; June's report: a rectification
    newcomer: dict[str, Any]  # funded 2 July: owes nothing before July
    rectification_id: int


@pytest.fixture
def scene(monitor: Monitor, set_today: SetToday) -> Scene:  # noqa: F811
    """Lead time 5 days; reports due on the 10th; the rectification's deadline 8 July."""
    assert lead_days(monitor) == 3  # the default
    changed = lead_days(monitor, 5)
    assert changed.status_code == 200, changed.text
    set_today(EARLY)
    late = monitor.funded(execute=False, code="JY-2027-101", name="乡村教师培训")
    filer = monitor.funded(execute=False, code="JY-2027-102")
    set_today(date(2027, 7, 2))
    newcomer = monitor.funded(code="JY-2027-103")
    saved = monitor.save(late["id"], 6)  # a draft is not filed
    assert saved.status_code == 200, saved.text
    monitor.submitted(filer["id"], 5)
    monitor.submitted(filer["id"], 6)
    ordered = monitor.decided(filer["id"], "rectify", deadline="2027-07-08")
    return Scene(late, filer, newcomer, ordered["rectification_id"])


def run(db: Session, set_today: SetToday, day: date, **options: Any) -> dict[str, int]:  # noqa: F811
    set_today(day)
    sent = reminders.run(db, **options)
    assert sent.day == day
    return {kind: count for kind, count in sent.as_dict().items() if count}


def outbox(events: Events) -> list[tuple[str, Any, Any]]:
    """(type, subject, day) of each reminder event in the outbox, oldest first."""
    found = []
    for event in events.outbox():
        if event["event_type"] in TYPES:
            data = event["data"]
            subject = data.get("rectification_id") or (data["item_id"], data["month"])
            found.append(
                (event["event_type"], subject, data.get("days_left", data.get("days_overdue")))
            )
    return found


def test_reminders_for_what_is_owed_with_the_years_lead_time(
    scene: Scene,
    db: Session,
    events: Events,
    set_today: SetToday,  # noqa: F811
):
    assert run(db, set_today, date(2027, 7, 5)) == {
        "report.due_soon": 1,
        "report.overdue": 1,
        "rectification.due_soon": 1,
    }
    late, filer = scene.late, scene.filer
    assert outbox(events) == [
        ("report.due_soon", (late["id"], 6), 5),  # due 10 July, five days ahead
        ("report.overdue", (late["id"], 5), 25),  # due 10 June
        ("rectification.due_soon", scene.rectification_id, 3),
    ]
    [due_soon] = events.outbox("report.due_soon")
    assert due_soon["data"] == {
        "item_id": late["id"],
        "item_code": "JY-2027-101",
        "item_name": "乡村教师培训",
        "organisation_id": late["organisation"]["id"],
        "organisation_code": "201",
        "organisation_name": "县教育局",
        "fiscal_year": 2027,
        "month": 6,
        "due_date": "2027-07-10",
        "days_left": 5,
        "as_of": "2027-07-05",
    }
    [overdue] = events.outbox("report.overdue")
    assert (overdue["data"]["due_date"], overdue["data"]["days_overdue"]) == ("2027-06-10", 25)
    assert "days_left" not in overdue["data"]
    [ordered] = events.outbox("rectification.due_soon")
    assert ordered["data"] == {
        "rectification_id": scene.rectification_id,
        "rectification_status": "open",
        "item_id": filer["id"],
        "item_code": "JY-2027-102",
        "item_name": "教师培训项目",
        "organisation_id": filer["organisation"]["id"],
        "organisation_code": "201",
        "organisation_name": "县教育局",
        "fiscal_year": 2027,
        "month": 6,
        "due_date": "2027-07-08",
        "days_left": 3,
        "as_of": "2027-07-05",
    }
    trail = events.client.get(
        "/api/v1/audit-events",
        params={"action": "reminders.sent"},
        headers=events.auth("finance"),
    ).json()["items"]
    assert [(e["username"], e["changes"]) for e in trail] == [
        (
            "reminders",
            {
                "day": "2027-07-05",
                "report.due_soon": 1,
                "report.overdue": 1,
                "rectification.due_soon": 1,
                "rectification.overdue": 0,
            },
        )
    ]


def test_a_second_run_the_same_day_sends_nothing_and_overdue_repeats_daily(
    scene: Scene,
    db: Session,
    events: Events,
    monitor: Monitor,
    set_today: SetToday,  # noqa: F811
):
    late = scene.late["id"]
    first = run(db, set_today, date(2027, 7, 5))
    written = events.outbox()
    assert run(db, set_today, date(2027, 7, 5)) == {}
    assert run(db, set_today, date(2027, 7, 5), dry_run=True) == {}
    assert events.outbox() == written
    assert db.scalar(select(func.count()).select_from(ReminderSent)) == sum(first.values())

    # the next day: overdue again, due soon not (once per due date)
    assert run(db, set_today, date(2027, 7, 6), dry_run=True) == {"report.overdue": 1}
    assert run(db, set_today, date(2027, 7, 6)) == {"report.overdue": 1}
    assert outbox(events)[-1] == ("report.overdue", (late, 5), 26)
    # past the rectification's deadline, and past June's due date
    assert run(db, set_today, date(2027, 7, 9)) == {
        "report.overdue": 1,
        "rectification.overdue": 1,
    }
    assert run(db, set_today, date(2027, 7, 11)) == {
        "report.overdue": 2,
        "rectification.overdue": 1,
    }
    assert outbox(events)[-3:] == [
        ("report.overdue", (late, 5), 31),
        ("report.overdue", (late, 6), 1),
        ("rectification.overdue", scene.rectification_id, 3),
    ]

    # filed and answered: nothing more
    monitor.submitted(late, 5)
    monitor.submitted(late, 6, version=monitor.read(late, 6)["version"])  # the draft
    answered = monitor.rectification_post(
        scene.rectification_id, "response", "department", measures_taken="已整改"
    )
    assert answered.status_code == 200, answered.text
    assert run(db, set_today, date(2027, 7, 12)) == {}
    # answered, then not accepted: with the department again, and overdue
    rejected = monitor.rectification_post(
        scene.rectification_id, "verification", "finance", decision="rejected", note="未到位"
    )
    assert rejected.status_code == 200, rejected.text
    assert run(db, set_today, date(2027, 7, 13)) == {"rectification.overdue": 1}
    assert outbox(events)[-1] == ("rectification.overdue", scene.rectification_id, 5)


def test_an_item_funded_after_the_month_owes_nothing_for_it(
    scene: Scene,
    db: Session,
    events: Events,
    set_today: SetToday,  # noqa: F811
):
    def subjects_of(item_id: int) -> list[tuple[str, Any]]:
        return [
            (kind, s) for kind, s, _ in outbox(events) if s in {(item_id, m) for m in range(13)}
        ]

    newcomer = scene.newcomer["id"]  # funded on 2 July: owes July's report, not June's
    run(db, set_today, date(2027, 7, 5))
    run(db, set_today, date(2027, 8, 4))  # July's report due 10 August: six days ahead
    assert subjects_of(newcomer) == []
    assert run(db, set_today, date(2027, 8, 5)) == {
        "report.due_soon": 3,  # July's, of the three items
        "report.overdue": 2,  # May's and June's, of the one that filed neither
        "rectification.overdue": 1,
    }
    assert subjects_of(newcomer) == [("report.due_soon", (newcomer, 7))]
    assert run(db, set_today, date(2027, 8, 11))["report.overdue"] == 5
    assert subjects_of(newcomer)[-1] == ("report.overdue", (newcomer, 7))


def test_the_default_lead_time_is_three_days(
    monitor: Monitor,
    db: Session,
    events: Events,
    set_today: SetToday,  # noqa: F811
):
    set_today(EARLY)
    item = monitor.funded()
    assert run(db, set_today, date(2027, 5, 31)) == {}  # May not over: nothing to file yet
    assert run(db, set_today, date(2027, 6, 6)) == {}
    assert run(db, set_today, date(2027, 6, 7)) == {"report.due_soon": 1}
    assert outbox(events) == [("report.due_soon", (item["id"], 5), 3)]
    assert run(db, set_today, date(2027, 6, 10)) == {}  # the due day: not yet overdue
    assert run(db, set_today, date(2027, 6, 11)) == {"report.overdue": 1}


def test_the_lead_time_is_a_checked_parameter(monitor: Monitor):
    for days in (-1, 32):
        response = lead_days(monitor, days)
        assert_problem(response, 422, "VALIDATION_FAILED")
        assert response.json()["errors"][0]["field"] == "body.parameters.reminder_lead_days"
    assert lead_days(monitor, 0).status_code == 200
    assert lead_days(monitor) == 0


def test_reminders_are_delivered_to_subscribers(
    scene: Scene,
    db: Session,
    events: Events,
    receiver: Receiver,
    set_today: SetToday,  # noqa: F811
):
    events.subscribe(name="县政务短信平台", event_types=["report.overdue", "rectification.overdue"])
    run(db, set_today, date(2027, 7, 9))
    with receiver.client() as client:
        assert deliver_due(db, client).delivered == 2
    delivered = sorted(request.headers["X-Perfbudget-Event-Type"] for request in receiver.requests)
    assert delivered == ["rectification.overdue", "report.overdue"]


def test_the_statement_count_does_not_grow_with_the_items(
    monitor: Monitor,
    db: Session,
    events: Events,
    set_today: SetToday,  # noqa: F811
    count_queries: Any,
):
    events.subscribe(event_types=["report.overdue"])
    set_today(EARLY)
    monitor.funded(execute=False)
    waiting = [monitor.flow.targets_approved()["id"] for _ in range(4)]
    monitor.start_execution()

    def statements(day: date) -> tuple[int, dict[str, int]]:
        set_today(day)
        count_queries.statements.clear()
        sent = reminders.run(db)
        return count_queries.count, {k: v for k, v in sent.as_dict().items() if v}

    one = statements(date(2027, 6, 11))
    set_today(EARLY)
    for item_id in waiting:
        assert monitor.flow.decide(item_id).status_code == 200
    five = statements(date(2027, 6, 12))
    assert (one[1], five[1]) == ({"report.overdue": 1}, {"report.overdue": 5})
    assert five[0] == one[0], count_queries.statements
