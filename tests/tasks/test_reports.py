"""Monthly reports and rectifications in the inbox (S2.3): each ended month a funded item
owes (monitoring.schedule.owes_report) waits for its owner until submitted, due on the
year's due day and overdue after it; the parent department reviews its units' reports,
finance decides; a rectification waits for the department's answer, then for finance."""

from datetime import date

import pytest

from tests.monitoring.conftest import Monitor
from tests.tasks.conftest import BUDGET_DAY

FILE, FIX, REVIEW, DECIDE = "file", "fix_after_return", "review", "decide"


@pytest.fixture
def monitor(flow):
    return Monitor(flow)


@pytest.fixture
def funded(monitor, set_today):
    """A project of the education bureau and one of its unit, funded before the year."""
    set_today(BUDGET_DAY)
    own = monitor.funded(execute=False)
    unit = monitor.funded(user="unit", org="201001", name="一中课后服务")
    set_today(date(2027, 7, 5))
    return own["id"], unit["id"]


def months(item_id, action=FILE, span=range(1, 7)):
    return {(action, item_id, month) for month in span}


def test_every_ended_month_waits_for_its_owner(inbox, funded):
    own, unit = funded
    assert inbox.keys("department", "monitoring_report") == months(own) | months(unit)
    assert inbox.keys("unit", "monitoring_report") == months(unit)
    for user in ("health", "finance", "expert", "oversight", "admin"):
        assert inbox.keys(user, "monitoring_report") == set(), user
    tasks = {task["month"]: task for task in inbox.tasks("unit", "monitoring_report")}
    assert tasks[6]["due_on"] == "2027-07-10" and tasks[6]["overdue"] is False
    assert tasks[5]["due_on"] == "2027-06-10" and tasks[5]["overdue"] is True
    assert tasks[1]["object_id"] is None
    assert tasks[1]["path"] == f"/api/v1/budget-items/{unit}/monitoring-reports/1"
    # due first: the oldest month leads
    assert [task["month"] for task in inbox.tasks("unit", "monitoring_report")] == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]


def test_overdue_follows_the_clock(inbox, funded, set_today):
    _, unit = funded
    assert inbox.counts("unit")["monitoring_report"] == (6, 5)
    set_today(date(2027, 7, 10))  # June's due day: not yet overdue
    assert inbox.counts("unit")["monitoring_report"] == (6, 5)
    set_today(date(2027, 7, 11))
    assert inbox.counts("unit")["monitoring_report"] == (6, 6)
    set_today(date(2027, 8, 1))  # July has ended: its report is owed, due 10 August
    tasks = {task["month"]: task for task in inbox.tasks("unit", "monitoring_report")}
    assert set(tasks) == set(range(1, 8))
    assert (tasks[7]["due_on"], tasks[7]["overdue"]) == ("2027-08-10", False)
    set_today(date(2027, 1, 31))  # no month over yet
    assert inbox.keys("unit", "monitoring_report") == set()
    assert unit


def test_an_item_funded_after_a_month_owes_nothing_for_it(inbox, monitor, set_today):
    set_today(date(2027, 8, 15))
    item = monitor.funded()
    set_today(date(2027, 8, 20))  # July ended before the item was funded; August has not
    assert inbox.keys("department", "monitoring_report") == set()
    set_today(date(2027, 9, 20))
    assert inbox.keys("department", "monitoring_report") == {(FILE, item["id"], 8)}
    [task] = inbox.tasks("department", "monitoring_report")
    assert (task["due_on"], task["overdue"]) == ("2027-09-10", True)


def test_a_submitted_report_moves_to_finance_and_a_draft_stays(inbox, monitor, funded):
    own, _ = funded
    saved = monitor.save(own, 5)
    assert saved.status_code == 200, saved.text
    drafts = {
        t["month"]: t for t in inbox.tasks("department", "monitoring_report") if t["item_id"] == own
    }
    assert (drafts[5]["action"], drafts[5]["object_id"]) == (FILE, saved.json()["id"])
    report = monitor.submitted(own, 6)
    assert (FILE, own, 6) not in inbox.keys("department", "monitoring_report")
    assert inbox.keys("finance", "monitoring_report") == {(DECIDE, own, 6)}
    [task] = inbox.tasks("finance", "monitoring_report")
    assert task["object_id"] == report["id"] and task["waiting_since"] is not None
    monitor.decided(own, "accept")
    assert inbox.keys("finance", "monitoring_report") == set()


def test_a_units_report_passes_its_department_and_comes_back_when_returned(inbox, monitor, funded):
    _, unit = funded
    monitor.submitted(unit, 6, user="unit")
    assert inbox.keys("department", "monitoring_report") >= {(REVIEW, unit, 6)}
    assert (FILE, unit, 6) not in inbox.keys("unit", "monitoring_report")
    assert inbox.keys("finance", "monitoring_report") == set()
    assert inbox.keys("health", "monitoring_report") == set()
    returned = monitor.act(
        unit, 6, "department-review", "department", decision="return", reason="请补充偏差原因"
    )
    assert returned.status_code == 200, returned.text
    assert (FIX, unit, 6) in inbox.keys("unit", "monitoring_report")
    assert (REVIEW, unit, 6) not in inbox.keys("department", "monitoring_report")


def test_a_rectification_waits_for_the_answer_then_for_verification(
    inbox, monitor, funded, set_today
):
    own, _ = funded
    monitor.submitted(own, 6)
    report = monitor.decided(own, "rectify", deadline="2027-08-31")
    [order] = inbox.tasks("department", "rectification")
    assert order["action"] == "answer" and order["month"] == 6 and order["item_id"] == own
    assert (order["due_on"], order["overdue"]) == ("2027-08-31", False)
    assert order["path"] == f"/api/v1/rectifications/{order['object_id']}"
    assert report["status"] == "rectify"
    for user in ("unit", "health", "finance"):
        assert inbox.tasks(user, "rectification") == [], user
    set_today(date(2027, 9, 1))
    assert inbox.counts("department")["rectification"] == (1, 1)

    answered = monitor.rectification_post(
        order["object_id"], "response", "department", measures_taken="已加快实施进度"
    )
    assert answered.status_code == 200, answered.text
    assert inbox.tasks("department", "rectification") == []
    [verify] = inbox.tasks("finance", "rectification")
    assert (verify["action"], verify["object_id"], verify["due_on"]) == (
        "verify",
        order["object_id"],
        None,
    )
    rejected = monitor.rectification_post(
        order["object_id"], "verification", "finance", decision="rejected", note="措施不具体"
    )
    assert rejected.status_code == 200, rejected.text
    assert [t["action"] for t in inbox.tasks("department", "rectification")] == ["answer"]
    assert inbox.tasks("finance", "rectification") == []
