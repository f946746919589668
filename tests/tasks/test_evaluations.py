"""Self-evaluations in the inbox (S2.4): asked of the owner once the year is closed or its
window opens, due by the window's end; the parent department reviews its units', finance
grades, a commissioned third party evaluates."""

from datetime import date

import pytest

from tests.tasks.conftest import BUDGET_DAY, YEAR, start_execution

FILE, FIX, REVIEW, GRADE = "file", "fix_after_return", "review", "grade"
WINDOW = {"self_evaluation_opens": "2028-01-05", "self_evaluation_due": "2028-02-28"}


@pytest.fixture
def funded(evaluator, flow, set_today):
    """A project of the education bureau and one of its unit, funded before 2027 with the
    year's self-evaluation window set."""
    set_today(BUDGET_DAY)
    own = evaluator.funded(execute=False)
    unit = evaluator.funded(execute=False, user="unit", org="201001", name="一中课后服务")
    start_execution(flow, **WINDOW)
    return own["id"], unit["id"]


def test_asked_for_from_the_windows_first_day_and_overdue_after_its_last(inbox, funded, set_today):
    own, unit = funded
    set_today(date(2028, 1, 4))
    assert inbox.keys("department", "self_evaluation") == set()
    set_today(date(2028, 1, 5))
    assert inbox.keys("department", "self_evaluation") == {(FILE, own, None), (FILE, unit, None)}
    assert inbox.keys("unit", "self_evaluation") == {(FILE, unit, None)}
    for user in ("health", "finance", "thirdparty"):
        assert inbox.keys(user, "self_evaluation") == set(), user
    [task] = inbox.tasks("unit", "self_evaluation")
    assert (task["object_id"], task["due_on"], task["overdue"]) == (None, "2028-02-28", False)
    assert task["path"] == f"/api/v1/budget-items/{unit}/self-evaluation"
    set_today(date(2028, 2, 29))
    assert inbox.counts("department")["self_evaluation"] == (2, 2)


def test_filed_it_goes_up_the_chain_and_comes_back_when_returned(
    inbox, evaluator, funded, set_today
):
    own, unit = funded
    set_today(date(2028, 1, 20))
    saved = evaluator.file(own)
    assert saved.status_code == 200, saved.text
    [draft] = [t for t in inbox.tasks("department", "self_evaluation") if t["item_id"] == own]
    assert (draft["action"], draft["object_id"]) == (FILE, saved.json()["id"])

    evaluator.filed(own, version=saved.json()["version"])
    evaluator.filed(unit, user="unit")
    assert inbox.keys("department", "self_evaluation") == {(REVIEW, unit, None)}
    assert inbox.keys("unit", "self_evaluation") == set()
    assert inbox.keys("finance", "self_evaluation") == {(GRADE, own, None)}
    returned = evaluator.do(own, "grade", "finance", decision="return", finding="缺少佐证材料")
    assert returned.status_code == 200, returned.text
    assert inbox.keys("department", "self_evaluation") == {(REVIEW, unit, None), (FIX, own, None)}
    assert inbox.keys("finance", "self_evaluation") == set()


def test_a_commissioned_third_party_sees_what_it_evaluates(inbox, evaluator, funded, set_today):
    own, _ = funded
    set_today(date(2028, 1, 20))
    evaluator.filed(own)
    third_party = evaluator.client.get(
        "/api/v1/auth/me", headers=evaluator.auth("thirdparty")
    ).json()["id"]
    commissioned = evaluator.do(own, "third-party", "finance", third_party_id=third_party)
    assert commissioned.status_code == 200, commissioned.text
    assert inbox.keys("thirdparty", "self_evaluation") == {("evaluate", own, None)}
    assert inbox.keys("expert", "self_evaluation") == set()
    saved = evaluator.client.put(
        f"/api/v1/budget-items/{own}/self-evaluation/third-party-evaluation",
        json={"score": "80", "report": "第三方评价报告", "version": commissioned.json()["version"]},
        headers=evaluator.auth("thirdparty"),
    )
    assert saved.status_code == 200, saved.text
    assert inbox.keys("thirdparty", "self_evaluation") == set()


def test_without_a_window_the_closed_year_asks_for_it(inbox, evaluator, flow, set_today):
    set_today(BUDGET_DAY)
    item = evaluator.funded()
    set_today(date(2027, 12, 20))
    assert inbox.keys("department", "self_evaluation") == set()  # may file, not yet asked
    year = flow.client.get(YEAR, headers=flow.auth("finance")).json()
    closed = flow.client.post(
        f"{YEAR}/close", json={"version": year["version"]}, headers=flow.auth("finance")
    )
    assert closed.status_code == 200, closed.text
    assert inbox.keys("department", "self_evaluation") == {(FILE, item["id"], None)}
    [task] = inbox.tasks("department", "self_evaluation")
    assert task["due_on"] is None and task["overdue"] is False
    # a closed year owes no more monthly reports: filing them is over
    assert inbox.keys("department", "monitoring_report") == set()
