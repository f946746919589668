"""Every role reads its own inbox: the kinds it acts on are filled, the others empty, the
summary counts what the list holds, and a department sees its own subtree only."""

import pytest

from tests.conftest import DEMO_USERS
from tests.problems import assert_problem
from tests.tasks.conftest import TASKS, start_execution
from tests.tasks.county import FILLED, grow

KINDS = [
    "budget_item",
    "targets",
    "assessment",
    "assessment_review",
    "monitoring_report",
    "rectification",
    "self_evaluation",
    "publication",
]
# a department user's organisation: every task of its inbox is of it or a unit under it
SCOPE = {
    "department": "201",
    "unit": "201001",
    "health": "202",
    "agriculture": "203",
    "transport": "204",
}


@pytest.fixture
def county(flow, db):
    start_execution(flow)
    grow(db, 2)


@pytest.mark.parametrize("user", [u for u in DEMO_USERS if u in FILLED])
def test_each_role_sees_what_it_acts_on(inbox, county, user):
    read = inbox.read(user, limit=100)
    assert [group["kind"] for group in read["groups"]] == KINDS
    filled = {group["kind"] for group in read["groups"] if group["total"]}
    assert filled == FILLED[user]
    for group in read["groups"]:
        assert len(group["items"]) == group["total"]
        assert all(task["kind"] == group["kind"] for task in group["items"])
        if user in SCOPE:
            codes = {task["organisation"]["code"] for task in group["items"]}
            assert all(code.startswith(SCOPE[user]) for code in codes), (user, codes)
    summary = inbox.summary(user)
    assert summary["as_of"] == read["as_of"] == "2027-07-05"
    assert [(k["kind"], k["total"], k["overdue"]) for k in summary["kinds"]] == [
        (g["kind"], g["total"], g["overdue"]) for g in read["groups"]
    ]
    assert (summary["total"], summary["overdue"]) == (read["total"], read["overdue"])
    assert read["total"] == sum(group["total"] for group in read["groups"])


def test_oversight_and_admin_have_an_empty_inbox(inbox, county):
    for user in ("oversight", "admin"):
        read = inbox.read(user)
        assert read["total"] == read["overdue"] == 0
        assert [group["items"] for group in read["groups"]] == [[]] * len(KINDS)
        assert inbox.summary(user)["total"] == 0


def test_the_department_sees_its_units_work_and_the_unit_only_its_own(inbox, county):
    department = inbox.groups("department", limit=100)
    unit = inbox.groups("unit", limit=100)
    review = [t for t in department["monitoring_report"]["items"] if t["action"] == "review"]
    assert review and {t["organisation"]["code"] for t in review} == {"201001"}
    assert {t["action"] for t in unit["monitoring_report"]["items"]} == {"file"}
    own = {(t["item_id"], t["month"]) for t in unit["monitoring_report"]["items"]}
    assert own < {(t["item_id"], t["month"]) for t in department["monitoring_report"]["items"]}
    overdue = [t for t in unit["monitoring_report"]["items"] if t["overdue"]]
    assert overdue and all(t["due_on"] < "2027-07-05" for t in overdue)
    assert unit["monitoring_report"]["overdue"] == len(overdue)


def test_limit_and_kind_are_checked(client, auth):
    assert_problem(
        client.get(TASKS, params={"limit": 101}, headers=auth("finance")), 422, "VALIDATION_FAILED"
    )
    assert_problem(
        client.get(TASKS, params={"kind": "nothing"}, headers=auth("finance")),
        422,
        "VALIDATION_FAILED",
    )
    assert_problem(
        client.get(TASKS, params={"stauts": "x"}, headers=auth("finance")), 422, "VALIDATION_FAILED"
    )
