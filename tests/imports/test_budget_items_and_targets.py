"""Budget items in a batch (one row per item), and their targets (one row per line)."""

import pytest

from tests.imports.conftest import FORMATS
from tests.problems import assert_problem
from tests.workflow import ITEMS, valid_lines


def item_row(org: int, name: str, **fields: object) -> dict[str, object]:
    return {
        "fiscal_year": 2027,
        "organisation_id": org,
        "name": name,
        "kind": "项目支出",
        "budget_book": "一般公共预算",
        "serves_public": "是",
        "requested_amount": "800000.00",
        **fields,
    }


def item_names(flow) -> set[str]:
    response = flow.client.get(ITEMS, params={"limit": 100}, headers=flow.auth("department"))
    assert response.status_code == 200, response.text
    return {item["name"] for item in response.json()["items"]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_items_in_each_format(flow, send, fmt):
    org = flow.org_id("201")
    rows = [item_row(org, "导入项目甲"), item_row(org, "导入项目乙", kind="policy")]
    response = send("budget-items", rows, fmt, user="department")
    assert response.status_code == 201, response.text
    assert {"导入项目甲", "导入项目乙"} <= item_names(flow)


def test_item_rows_keep_to_the_departments_scope(flow, send):
    rows = [item_row(flow.org_id("201"), "导入项目丙"), item_row(flow.org_id("202"), "导入项目丁")]
    body = assert_problem(send("budget-items", rows, user="department"), 422, "IMPORT_REJECTED")
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (3, "organisation_id", "NOT_FOUND")
    ]
    assert "导入项目丙" not in item_names(flow)
    assert_problem(send("budget-items", rows[:1], user="expert"), 403, "PERMISSION_DENIED")


def target_rows(item_id: int) -> list[dict[str, object]]:
    rows = []
    for line in valid_lines():
        rows.append(
            {
                "item_id": item_id,
                "overall_goal": "提升全县教师教学能力",
                "category": line["category"],
                "name": line["name"],
                "direction": line["direction"],
                "target_value": line.get("target_value", ""),
                "unit": line.get("unit", ""),
                "qualitative_standard": line.get("qualitative_standard", ""),
                "weight": line["weight"],
            }
        )
    return rows


@pytest.mark.parametrize("fmt", ["csv-bom", "xlsx", "json"])
def test_target_lines_form_one_set_per_item(flow, send, fmt):
    item = flow.create()
    response = send("target-lines", target_rows(item["id"]), fmt, user="department")
    assert response.status_code == 201, response.text
    targets = flow.targets(item["id"])
    assert [line["name"] for line in targets["lines"]] == [line["name"] for line in valid_lines()]
    assert targets["overall_goal"] == "提升全县教师教学能力"


def test_a_bad_target_line_is_named(flow, send):
    item = flow.create()
    rows = target_rows(item["id"])
    rows[1]["weight"] = "很多"
    rows[2]["overall_goal"] = "另一个目标"
    body = assert_problem(send("target-lines", rows, user="department"), 422, "IMPORT_REJECTED")
    assert {(e["row"], e["column"], e["code"]) for e in body["errors"]} == {
        (3, "weight", "FIELD_INVALID"),
        (2, "", "IMPORT_GROUP_INCONSISTENT"),
        (4, "", "IMPORT_GROUP_INCONSISTENT"),
        (5, "", "IMPORT_GROUP_INCONSISTENT"),
    }
    response = flow.client.get(f"{ITEMS}/{item['id']}/targets", headers=flow.auth("finance"))
    assert response.json()["saved"] is False  # no target set was written


def test_imported_targets_meet_the_level_weights_when_filed(flow, send):
    """An upload saves drafts, as a PUT does; the level weights of §3 are a filing check,
    so a set imported with the wrong split is named by the checks and refused on submit."""
    item = flow.create()
    rows = target_rows(item["id"])
    rows[0]["weight"] = "40"  # output 60
    rows[2]["weight"] = "20"  # effect 20
    response = send("target-lines", rows, user="department")
    assert response.status_code == 201, response.text
    checks = flow.client.get(
        f"{ITEMS}/{item['id']}/targets/checks", headers=flow.auth("department")
    ).json()
    (check,) = [c for c in checks["checks"] if c["code"] == "LEVEL_WEIGHTS_MISMATCH"]
    assert (check["data"]["output_found"], check["data"]["effect_found"]) == ("60", "20")
    body = assert_problem(
        flow.post(item["id"], "submit", "department"), 409, "TARGET_CHECKS_FAILED"
    )
    assert "产出指标应为 50 分，实为 60 分；效益指标应为 30 分，实为 20 分" in body["detail"]

    version = flow.targets(item["id"])["version"]
    fixed = send(
        "target-lines",
        [{**row, "version": version} for row in target_rows(item["id"])],
        user="department",
    )
    assert fixed.status_code == 201, fixed.text
    assert flow.post(item["id"], "submit", "department").status_code == 200
