"""Requests and targets in the inbox: the owner files or fixes them, the parent department
reviews its units', finance decides; nobody sees another department's (S3, S2.2)."""

from tests.monitoring.conftest import Monitor

FILE, FIX, REVIEW, DECIDE = "file", "fix_after_return", "review", "decide"


def test_a_draft_waits_for_its_owner_and_no_one_else(inbox, flow):
    own = flow.create()
    units = flow.create("unit", "201001", name="一中实验室改造")
    sibling = flow.create("department", "201002", name="实验小学校舍维修")
    health = flow.create("health", "202", name="基层卫生院设备")
    assert inbox.keys("department", "budget_item") == {
        (FILE, own["id"], None),
        (FILE, units["id"], None),
        (FILE, sibling["id"], None),
    }
    assert inbox.keys("unit", "budget_item") == {(FILE, units["id"], None)}
    assert inbox.keys("health", "budget_item") == {(FILE, health["id"], None)}
    for user in ("finance", "agriculture", "expert", "oversight", "admin"):
        assert inbox.keys(user, "budget_item") == set(), user
    [task] = inbox.tasks("unit", "budget_item")
    assert task["object_id"] == task["item_id"] == units["id"]
    assert task["title"] == "一中实验室改造" and task["fiscal_year"] == 2027
    assert task["organisation"] == {
        "id": flow.org_id("201001"),
        "code": "201001",
        "name_zh": "县第一中学",
    }
    assert task["path"] == f"/api/v1/budget-items/{units['id']}"
    assert task["due_on"] is None and task["overdue"] is False


def test_a_units_request_goes_to_its_department_then_to_finance(inbox, flow):
    item = flow.submitted("unit", "201001")
    assert item["status"] == "department_review"
    assert inbox.keys("unit", "budget_item") == set()
    assert inbox.keys("department", "budget_item") == {(REVIEW, item["id"], None)}
    # the targets filed with the request are reviewed with it: no second task
    assert inbox.keys("department", "targets") == set()
    assert inbox.keys("health", "budget_item") == inbox.keys("finance", "budget_item") == set()
    [task] = inbox.tasks("department", "budget_item")
    assert task["waiting_since"] is not None

    approved = flow.post(item["id"], "department-review", "department", decision="approve")
    assert approved.status_code == 200, approved.text
    assert inbox.keys("department", "budget_item") == set()
    assert inbox.keys("finance", "budget_item") == {(DECIDE, item["id"], None)}
    assert inbox.keys("finance", "targets") == {(DECIDE, item["id"], None)}
    [targets] = inbox.tasks("finance", "targets")
    assert targets["object_id"] == flow.targets(item["id"])["id"]
    assert targets["path"] == f"/api/v1/budget-items/{item['id']}/targets"


def test_a_department_does_not_review_what_it_prepared_itself(inbox, flow):
    """S3: the department user who wrote a unit's request cannot review it; a colleague can."""
    colleague = flow.colleague("201")
    item = flow.submitted("department", "201001")
    assert item["status"] == "department_review"
    assert inbox.keys("department", "budget_item") == set()
    assert inbox.keys(colleague, "budget_item") == {(REVIEW, item["id"], None)}


def test_a_returned_request_comes_back_to_its_owner_with_its_targets(inbox, flow):
    item = flow.submitted()
    returned = flow.post(item["id"], "return", "finance", reason="请补充测算依据")
    assert returned.status_code == 200, returned.text
    assert inbox.keys("department", "budget_item") == {(FIX, item["id"], None)}
    assert inbox.keys("department", "targets") == set()
    assert inbox.keys("finance", "budget_item") == set()


def test_targets_returned_by_finance_wait_for_their_owner_while_the_request_waits(inbox, flow):
    item = flow.submitted()
    response = flow.target_post(
        item["id"], "finance-review", "finance", decision="return", reason="指标值偏低"
    )
    assert response.status_code == 200, response.text
    assert inbox.keys("department", "targets") == {(FIX, item["id"], None)}
    assert inbox.keys("finance", "targets") == set()
    assert inbox.keys("finance", "budget_item") == {(DECIDE, item["id"], None)}
    assert inbox.keys("health", "targets") == set()


def test_a_funded_overall_budget_asks_for_its_overall_targets(inbox, flow):
    """S2.2.3: a department's overall targets are set once its budget is decided."""
    item = flow.create(kind="department_overall", name="县教育局部门整体支出")
    assert flow.post(item["id"], "submit", "department").status_code == 200
    assert inbox.keys("department", "targets") == set()
    assert flow.decide(item["id"], "1200000.00").status_code == 200
    assert inbox.keys("department", "targets") == {(FILE, item["id"], None)}
    [task] = inbox.tasks("department", "targets")
    assert task["object_id"] is None  # not started yet
    assert inbox.keys("unit", "targets") == set()


def test_an_adjustment_is_filed_by_its_owner_and_decided_by_finance(inbox, flow):
    monitor = Monitor(flow)
    item = monitor.funded()
    current = flow.targets(item["id"])
    response = flow.client.post(
        f"/api/v1/budget-items/{item['id']}/targets/adjustments",
        json={"version": current["version"], "reason": "实施方案调整"},
        headers=flow.auth("department"),
    )
    assert response.status_code in (200, 201), response.text
    assert inbox.keys("department", "targets") == {(FILE, item["id"], None)}
    submitted = flow.target_post(item["id"], "submit", "department")
    assert submitted.status_code == 200, submitted.text
    assert inbox.keys("department", "targets") == set()
    assert inbox.keys("finance", "targets") == {(DECIDE, item["id"], None)}


def test_paging_within_a_kind(inbox, flow):
    ids = [flow.create(name=f"项目{n}")["id"] for n in range(3)]
    first = inbox.groups("department", limit=2)["budget_item"]
    rest = inbox.groups("department", limit=2, offset=2)["budget_item"]
    assert first["total"] == rest["total"] == 3
    assert (first["limit"], first["offset"], rest["offset"]) == (2, 0, 2)
    seen = [task["item_id"] for task in first["items"] + rest["items"]]
    assert sorted(seen) == sorted(ids) and len(first["items"]) == 2
    only = inbox.read("department", kind="budget_item")
    assert [group["kind"] for group in only["groups"]] == ["budget_item"]
    assert only["total"] == 3
