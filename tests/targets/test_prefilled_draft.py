"""Reading an item's targets before their first save answers the draft they start from:
the fiscal year's common framework (S2.2.1), marked not saved, with nothing to send back as
If-Match; the first PUT creates the set as before."""

from typing import Any

from tests.problems import assert_problem
from tests.workflow import ITEMS, OVERALL_ASPECTS, Workflow

FRAMEWORK = "/api/v1/fiscal-years/2027/indicator-framework/indicators"
READ_ONLY = ("target_line_id", "position", "first_level")


def targets_url(item_id: int) -> str:
    return f"{ITEMS}/{item_id}/targets"


def read(flow: Workflow, item_id: int, user: str = "department", **headers: str) -> Any:
    return flow.client.get(targets_url(item_id), headers={**flow.auth(user), **headers})


def add_common(flow: Workflow, name: str, **fields: Any) -> dict[str, Any]:
    body = {"category": "quantity", "name": name, "direction": "gte", "unit": "人", **fields}
    response = flow.client.post(FRAMEWORK, json=body, headers=flow.auth("finance"))
    assert response.status_code == 201, response.text
    return dict(response.json())


def active_framework(flow: Workflow) -> list[dict[str, Any]]:
    """The year's active common indicators as the framework lists them (§3 order)."""
    found: list[dict[str, Any]] = []
    while True:
        page = flow.client.get(
            FRAMEWORK,
            params={"active": "true", "limit": 100, "offset": len(found)},
            headers=flow.auth("finance"),
        ).json()
        found += page["items"]
        if len(found) >= page["total"]:
            return found


def test_the_draft_is_the_years_common_framework(flow):
    trainees = add_common(flow, "培训覆盖人次", unit="人次")
    service = add_common(
        flow,
        "服务对象满意度测评",
        category="service_satisfaction",
        direction="qualitative",
        unit=None,
    )
    retired = add_common(flow, "已停用的共性指标", category="timeliness", unit="天")
    deactivated = flow.client.post(
        f"{FRAMEWORK}/{retired['id']}/deactivate",
        json={"version": retired["version"]},
        headers=flow.auth("finance"),
    )
    assert deactivated.status_code == 200, deactivated.text
    item = flow.create()

    response = read(flow, item["id"])

    assert response.status_code == 200, response.text
    assert "ETag" not in response.headers
    draft = response.json()
    assert draft["saved"] is False
    assert (draft["id"], draft["version"], draft["created_at"]) == (None, None, None)
    assert (draft["item_id"], draft["number"], draft["status"]) == (item["id"], 1, "draft")
    assert draft["overall_goal"] == ""
    framework = active_framework(flow)
    assert [(line["name"], line["framework_indicator_id"]) for line in draft["lines"]] == [
        (indicator["name"], indicator["id"]) for indicator in framework
    ]
    assert [line["position"] for line in draft["lines"]] == list(range(1, len(framework) + 1))
    assert retired["name"] not in {line["name"] for line in draft["lines"]}
    by_name = {line["name"]: line for line in draft["lines"]}
    assert by_name[trainees["name"]] | {"position": 0} == {
        "target_line_id": None,
        "position": 0,
        "category": "quantity",
        "first_level": "output",
        "name": "培训覆盖人次",
        "direction": "gte",
        "target_value": None,
        "unit": "人次",
        "qualitative_standard": None,
        "weight": None,
        "library_indicator_id": None,
        "framework_indicator_id": trainees["id"],
    }
    assert by_name[service["name"]]["first_level"] == "satisfaction"
    assert by_name[service["name"]]["direction"] == "qualitative"


def test_the_first_put_creates_the_draft_read(flow):
    add_common(flow, "培训覆盖人次", unit="人次")
    item = flow.create()
    draft = read(flow, item["id"]).json()
    lines = [
        {key: value for key, value in line.items() if key not in READ_ONLY}
        | {"weight": "1"}
        | (
            {"qualitative_standard": "达到预期"}
            if line["direction"] == "qualitative"
            else {"target_value": "100"}
        )
        for line in draft["lines"]
    ]

    saved = flow.client.put(
        targets_url(item["id"]),
        json={"overall_goal": "提升全县教师教学能力", "lines": lines},
        headers=flow.auth("department"),
    )

    assert saved.status_code == 200, saved.text
    assert saved.json()["saved"] is True
    assert saved.json()["version"] == 1
    again = read(flow, item["id"])
    assert again.status_code == 200
    assert again.headers["ETag"] == saved.headers["ETag"]
    stored = again.json()
    assert (stored["saved"], stored["version"]) == (True, 1)
    assert stored["id"] is not None and stored["created_at"] is not None
    assert [line["framework_indicator_id"] for line in stored["lines"]] == [
        line["framework_indicator_id"] for line in draft["lines"]
    ]
    assert all(line["target_line_id"] is not None for line in stored["lines"])
    assert {line["weight"] for line in stored["lines"]} == {"1.00"}
    # the read wrote nothing: the item's history has the creation and the first save only
    trail = flow.client.get(
        "/api/v1/audit-events",
        params={"entity_type": "target_set", "entity_id": str(stored["id"])},
        headers=flow.auth("finance"),
    ).json()
    assert [event["action"] for event in trail["items"]] == ["targets.saved"]


def test_a_draft_is_never_a_304(flow):
    item = flow.create()
    response = read(flow, item["id"], **{"If-None-Match": "*"})
    assert response.status_code == 200
    assert response.json()["saved"] is False


def test_who_reads_the_draft_is_who_reads_the_item(flow):
    item = flow.create()
    for user in ("department", "finance", "oversight"):
        response = read(flow, item["id"], user)
        assert response.status_code == 200, (user, response.text)
        assert response.json()["saved"] is False
    for user in ("unit", "health", "expert", "investment"):
        assert_problem(read(flow, item["id"], user), 404, "NOT_FOUND")
    assert_problem(read(flow, 2**31 - 1), 404, "NOT_FOUND")


def test_overall_targets_start_once_the_budget_is_decided(flow):
    item = flow.create(kind="department_overall", name="县教育局部门整体支出")
    assert_problem(read(flow, item["id"]), 409, "OVERALL_TARGETS_AFTER_DECISION")
    assert flow.post(item["id"], "submit", "department").status_code == 200
    assert flow.decide(item["id"], "1200000.00").status_code == 200

    draft = read(flow, item["id"]).json()

    # the six aspects of S2.2.3 are not in the common framework: no line to start from
    assert (draft["saved"], draft["lines"]) == (False, [])
    saved = flow.save_targets(item["id"], lines=OVERALL_ASPECTS, goal="履行教育职责")
    assert saved.status_code == 200, saved.text
    assert read(flow, item["id"]).json()["saved"] is True


def test_a_draft_costs_the_same_statements_however_large_the_framework(flow, count_queries):
    item = flow.create()

    def statements() -> int:
        count_queries.statements.clear()
        assert read(flow, item["id"]).status_code == 200
        return int(count_queries.count)

    before = statements()
    for number in range(5):
        add_common(flow, f"新增共性指标{number}")
    assert statements() == before
