"""Disclosures not yet made, in finance's inbox (S4.4): each department's approved targets
once the budget executes, its results and the year's circular once the year is closed; a
publication withdrawn is owed again."""

import pytest

from perfbudget.evaluations.models import Grade
from tests.disclosure.conftest import Disclosure
from tests.tasks.conftest import YEAR, start_execution

PUBLICATIONS = "/api/v1/fiscal-years/2027/publications"


@pytest.fixture
def disclosure(flow):
    return Disclosure(flow)


def _owed(inbox):
    return {
        (task["publication_kind"], task["organisation"]["code"] if task["organisation"] else None)
        for task in inbox.tasks("finance", "publication")
    }


def _close(flow):
    year = flow.client.get(YEAR, headers=flow.auth("finance")).json()
    response = flow.client.post(
        f"{YEAR}/close", json={"version": year["version"]}, headers=flow.auth("finance")
    )
    assert response.status_code == 200, response.text


def test_targets_are_owed_per_department_once_the_budget_executes(inbox, flow, disclosure):
    disclosure.funded()
    disclosure.funded(user="unit", org="201001", name="一中课后服务")
    disclosure.funded(user="health", org="202", name="基层卫生院设备")
    assert _owed(inbox) == set()  # still being prepared
    start_execution(flow)
    assert _owed(inbox) == {("targets", "201"), ("targets", "202")}
    task = next(
        t for t in inbox.tasks("finance", "publication") if t["organisation"]["code"] == "201"
    )
    assert task["title"] == "县教育局" and task["action"] == "publish"
    assert (task["object_id"], task["item_id"], task["fiscal_year"]) == (None, None, 2027)
    assert task["path"] == PUBLICATIONS
    disclosure.published("201", "targets")
    assert _owed(inbox) == {("targets", "202")}
    for user in ("department", "health", "oversight", "admin"):
        assert inbox.tasks(user, "publication") == [], user


def test_results_and_the_circular_once_the_year_is_closed(inbox, flow, disclosure):
    item = disclosure.funded()
    start_execution(flow)
    disclosure.published("201", "targets")
    disclosure.graded(item, "92.00", Grade.excellent)
    disclosure.circular([])
    assert _owed(inbox) == set()
    _close(flow)
    assert _owed(inbox) == {("results", "201"), ("circular", None)}
    circular = next(t for t in inbox.tasks("finance", "publication") if t["organisation"] is None)
    assert circular["title"] == "2027年度部门绩效管理工作考核通报"
    assert circular["path"] == f"{PUBLICATIONS}/circular"
    results = disclosure.published("201", "results")
    assert disclosure.publish_circular().status_code == 201
    assert _owed(inbox) == set()
    assert disclosure.withdraw(results["id"]).status_code == 200
    assert _owed(inbox) == {("results", "201")}
