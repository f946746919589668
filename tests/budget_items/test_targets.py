"""Performance targets (S2.2.2): filing checks, amend-only versions, the review chain."""

import pytest

from tests.budget_items.conftest import ITEMS, set_score_weights, valid_lines
from tests.problems import assert_problem
from tests.workflow import OVERALL_ASPECTS


def _checks(flow, item_id):
    response = flow.client.get(f"{ITEMS}/{item_id}/targets/checks", headers=flow.auth("department"))
    assert response.status_code == 200, response.text
    return response.json()


def _codes(report, severity=None):
    return {c["code"] for c in report["checks"] if severity in (None, c["severity"])}


def test_valid_targets_pass_and_read_back(flow):
    item = flow.create()
    saved = flow.save_targets(item["id"])
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert (body["number"], body["status"], body["version"]) == (1, "draft", 1)
    assert [line["position"] for line in body["lines"]] == [1, 2, 3, 4]
    assert body["lines"][0]["first_level"] == "output"
    assert body["lines"][0]["target_value"] == "500"
    assert body["lines"][0]["weight"] == "30.00"
    report = _checks(flow, item["id"])
    assert report["passed"] is True
    assert _codes(report, "blocking") == set()
    summary = flow.get(item["id"])["targets"]
    assert summary == {
        "number": 1,
        "status": "draft",
        "line_count": 4,
        "total_weight": "90.00",
        "approved_number": None,
    }


BLOCKING_CASES = [
    (
        "OUTPUT_INDICATOR_REQUIRED",
        lambda ls: (
            [x for x in ls if x["category"] not in ("quantity", "timeliness")]
            + [{**ls[2], "name": "补足权重", "weight": "50"}]
        ),
    ),
    (
        "EFFECT_INDICATOR_REQUIRED",
        lambda ls: [ls[0], ls[1], ls[3], {**ls[0], "name": "补足数量", "weight": "30"}],
    ),
    ("QUANTITATIVE_VALUE_REQUIRED", lambda ls: [{**ls[0], "unit": None}, *ls[1:]]),
    (
        "QUALITATIVE_STANDARD_REQUIRED",
        lambda ls: [*ls[:2], {**ls[2], "qualitative_standard": " "}, ls[3]],
    ),
    ("WEIGHTS_MUST_TOTAL", lambda ls: [{**ls[0], "weight": "31"}, *ls[1:]]),
    ("DUPLICATE_INDICATOR", lambda ls: [*ls[:3], {**ls[3], "name": " 培训教师 人数"}]),
    ("CATEGORY_NOT_ALLOWED", lambda ls: [{**ls[0], "category": "running_cost"}, *ls[1:]]),
    ("INDICATORS_REQUIRED", lambda ls: []),
]


@pytest.mark.parametrize(("code", "mutate"), BLOCKING_CASES, ids=[c[0] for c in BLOCKING_CASES])
def test_each_blocking_check_refuses_the_submission(flow, code, mutate):
    item = flow.create()
    assert flow.save_targets(item["id"], lines=mutate(valid_lines())).status_code == 200
    report = _checks(flow, item["id"])
    assert report["passed"] is False
    failing = [c for c in report["checks"] if c["code"] == code]
    assert failing
    assert failing[0]["severity"] == "blocking"
    body = assert_problem(
        flow.post(item["id"], "submit", "department"), 409, "TARGET_CHECKS_FAILED"
    )
    assert code in {c["code"] for c in body["checks"]}
    assert flow.get(item["id"])["status"] == "draft"


def test_the_offending_line_is_named(flow):
    item = flow.create()
    lines = valid_lines()
    lines[1]["target_value"] = None
    flow.save_targets(item["id"], lines=lines)
    (check,) = [
        c for c in _checks(flow, item["id"])["checks"] if c["code"] == "QUANTITATIVE_VALUE_REQUIRED"
    ]
    assert check["line"] == 2
    assert "按期完成率" in check["message"]


def test_an_overall_goal_is_required(flow):
    item = flow.create()
    flow.save_targets(item["id"], goal="  ")
    assert "OVERALL_GOAL_REQUIRED" in _codes(_checks(flow, item["id"]), "blocking")


def test_the_weight_share_follows_the_fiscal_year(flow):
    set_score_weights(flow, "20", "40", "30", "10")
    item = flow.create()
    flow.save_targets(item["id"])
    (check,) = [c for c in _checks(flow, item["id"])["checks"] if c["code"] == "WEIGHTS_MUST_TOTAL"]
    assert "80" in check["message"]


def test_warnings_do_not_block(flow):
    item = flow.create(serves_public=True)
    lines = [
        {
            "category": "quantity",
            "name": "自编产出指标",
            "direction": "qualitative",
            "qualitative_standard": "按计划完成",
            "weight": "30",
        },
        {
            "category": "social_effect",
            "name": "自编效益指标",
            "direction": "qualitative",
            "qualitative_standard": "群众认可",
            "weight": "40",  # no satisfaction indicator: its 10 go to effect (§3)
        },
        {
            "category": "quality",
            "name": "验收合格率",
            "direction": "gte",
            "target_value": "95",
            "unit": "%",
            "weight": "20",
        },
    ]
    flow.save_targets(item["id"], lines=lines)
    report = _checks(flow, item["id"])
    assert report["passed"] is True
    assert _codes(report, "warning") >= {
        "SATISFACTION_INDICATOR_EXPECTED",
        "MOSTLY_QUALITATIVE",
        "OUTSIDE_FRAMEWORK",
    }
    assert flow.post(item["id"], "submit", "department").status_code == 200


def test_a_continued_item_that_aims_lower_is_flagged(flow):
    last_year = flow.client.post(
        "/api/v1/fiscal-years", json={"year": 2026}, headers=flow.auth("finance")
    )
    assert last_year.status_code == 201
    old = flow.create(fiscal_year=2026, name="教师培训项目（2026）")
    flow.save_targets(old["id"])
    flow.post(old["id"], "submit", "department")
    flow.target_post(old["id"], "finance-review", "finance", decision="approve")
    item = flow.create(continues_item_id=old["id"])
    lines = valid_lines()
    lines[0]["target_value"] = "400"  # last year: 500
    flow.save_targets(item["id"], lines=lines)
    (check,) = [
        c for c in _checks(flow, item["id"])["checks"] if c["code"] == "WEAKER_THAN_LAST_YEAR"
    ]
    assert check["line"] == 1 and check["severity"] == "warning"


def test_targets_go_with_the_request(flow):
    item = flow.create()
    assert_problem(flow.post(item["id"], "submit", "department"), 409, "TARGETS_REQUIRED")
    flow.save_targets(item["id"])
    assert_problem(flow.target_post(item["id"], "submit", "department"), 409, "SUBMIT_WITH_ITEM")


def test_approved_targets_are_amend_only(flow):
    item = flow.targets_approved()
    approved = flow.targets(item["id"])
    assert approved["status"] == "approved"
    assert approved["approved_at"] is not None
    assert_problem(
        flow.save_targets(item["id"], version=approved["version"]), 409, "TARGETS_NOT_EDITABLE"
    )
    assert_problem(
        flow.target_post(item["id"], "adjustments", "department", reason=""),
        422,
        "VALIDATION_FAILED",
    )
    adjusted = flow.target_post(item["id"], "adjustments", "department", reason="上级追加培训任务")
    assert adjusted.status_code == 200, adjusted.text
    assert (adjusted.json()["number"], adjusted.json()["status"]) == (2, "draft")
    lines = valid_lines()
    lines[0]["target_value"] = "650"
    flow.save_targets(item["id"], lines=lines, version=adjusted.json()["version"])
    submitted = flow.target_post(item["id"], "submit", "department")
    assert submitted.json()["status"] == "finance_review"
    # while the adjustment is reviewed, version 1 stays in force
    assert flow.get(item["id"])["targets"]["approved_number"] == 1
    flow.target_post(item["id"], "finance-review", "finance", decision="approve")
    versions = flow.client.get(
        f"{ITEMS}/{item['id']}/targets/versions", headers=flow.auth("oversight")
    ).json()["items"]
    assert [(v["number"], v["status"]) for v in versions] == [(2, "approved"), (1, "superseded")]
    first = flow.client.get(
        f"{ITEMS}/{item['id']}/targets/versions/1", headers=flow.auth("oversight")
    ).json()
    assert first["lines"][0]["target_value"] == "500"
    assert versions[0]["adjustment_reason"] == "上级追加培训任务"


def test_adjusting_needs_approved_targets(flow):
    item = flow.submitted()
    assert_problem(
        flow.target_post(item["id"], "adjustments", "department", reason="改"),
        409,
        "ADJUSTMENT_NOT_ALLOWED",
    )


def test_finance_returns_targets_and_the_department_resubmits_them(flow):
    item = flow.submitted()
    returned = flow.target_post(
        item["id"], "finance-review", "finance", decision="return", reason="指标值偏低"
    )
    assert returned.json()["status"] == "returned"
    assert flow.get(item["id"])["status"] == "finance_review"
    lines = valid_lines()
    lines[0]["target_value"] = "800"
    assert (
        flow.save_targets(item["id"], lines=lines, version=returned.json()["version"]).status_code
        == 200
    )
    again = flow.target_post(item["id"], "submit", "department")
    assert again.json()["status"] == "finance_review"
    assert (
        flow.target_post(item["id"], "finance-review", "finance", decision="approve").json()[
            "status"
        ]
        == "approved"
    )
    assert flow.decide(item["id"]).json()["status"] == "funded"


def test_unit_targets_are_reviewed_by_the_parent_department(flow):
    item = flow.targets_approved(user="unit", org="201001")
    assert flow.targets(item["id"])["status"] == "approved"
    adjusted = flow.target_post(item["id"], "adjustments", "unit", reason="调整")
    assert adjusted.status_code == 200
    submitted = flow.target_post(item["id"], "submit", "unit")
    assert submitted.json()["status"] == "department_review"
    assert_problem(
        flow.target_post(item["id"], "finance-review", "finance", decision="approve"),
        409,
        "INVALID_TRANSITION",
    )
    assert_problem(
        flow.target_post(item["id"], "department-review", "unit", decision="approve"),
        403,
        "NOT_PARENT_DEPARTMENT",
    )
    forwarded = flow.target_post(item["id"], "department-review", "department", decision="approve")
    assert forwarded.json()["status"] == "finance_review"


@pytest.mark.parametrize(
    ("decision", "outcome"),
    [
        ({"decision": "approve"}, "finance_review"),
        ({"decision": "return", "reason": "依据不足"}, "returned"),
    ],
)
def test_an_adjustment_is_reviewed_by_someone_other_than_its_author(flow, decision, outcome):
    item = flow.targets_approved(user="unit", org="201001")
    # the parent department may adjust its unit's targets; it then does not review them (S3)
    assert (
        flow.target_post(item["id"], "adjustments", "department", reason="调整").status_code == 200
    )
    submitted = flow.target_post(item["id"], "submit", "department")
    assert submitted.json()["status"] == "department_review"
    assert_problem(
        flow.target_post(item["id"], "department-review", "department", **decision),
        403,
        "SAME_PERSON_REVIEW",
    )
    assert flow.targets(item["id"])["status"] == "department_review"
    reviewed = flow.target_post(item["id"], "department-review", flow.colleague("201"), **decision)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["status"] == outcome


def test_department_overall_targets_follow_the_budget(flow):
    item = flow.create(kind="department_overall", name="县教育局部门整体支出")
    assert_problem(flow.save_targets(item["id"]), 409, "OVERALL_TARGETS_AFTER_DECISION")
    submitted = flow.post(item["id"], "submit", "department")
    assert submitted.json()["status"] == "finance_review"
    assert "TARGETS_NOT_APPROVED" not in flow.gates(item["id"])
    assert flow.decide(item["id"], "1200000.00").json()["status"] == "funded"
    aspects = OVERALL_ASPECTS
    assert flow.save_targets(item["id"], lines=aspects, goal="履行教育职责").status_code == 200
    report = _checks(flow, item["id"])
    assert report["passed"] is True
    assert {c["code"]: c["severity"] for c in report["checks"]} == {
        "ASPECT_MISSING": "warning",  # no sustainability aspect
        "OUTSIDE_FRAMEWORK": "warning",  # none of these is in the department's library
    }
    wrong = flow.save_targets(
        item["id"], lines=valid_lines(), version=flow.targets(item["id"])["version"]
    )
    assert wrong.status_code == 200
    assert "CATEGORY_NOT_ALLOWED" in _codes(_checks(flow, item["id"]), "blocking")


def test_targets_of_other_organisations_are_invisible(flow):
    item = flow.create()
    flow.save_targets(item["id"])
    for user in ("unit", "expert", "investment"):
        response = flow.client.get(f"{ITEMS}/{item['id']}/targets", headers=flow.auth(user))
        assert_problem(response, 404, "NOT_FOUND")
    assert_problem(flow.save_targets(item["id"], user="unit"), 404, "NOT_FOUND")
