"""Every refusal of filing, review and grading, with its stable code."""

from datetime import date

import pytest

from perfbudget.principal import Role
from tests.evaluations.conftest import url
from tests.problems import assert_problem, invalid_fields


def test_only_funded_items_are_evaluated(evaluator):
    item = evaluator.flow.targets_approved()
    evaluator.start_execution()
    body = assert_problem(evaluator.file(item["id"]), 409, "EVALUATION_NOT_APPLICABLE")
    assert body["item_status"] == "finance_review"


def test_evaluation_waits_for_execution(evaluator):
    item = evaluator.funded(execute=False)
    assert_problem(evaluator.file(item["id"]), 409, "EVALUATION_NOT_OPEN")


def test_the_window_of_the_fiscal_year(evaluator, set_today):
    item = evaluator.funded(execute=False)
    evaluator.set_parameters(self_evaluation_opens="2028-02-01", self_evaluation_due="2028-04-30")
    evaluator.start_execution()
    body = assert_problem(evaluator.file(item["id"]), 409, "EVALUATION_NOT_OPEN")
    assert body["opens_on"] == "2028-02-01"
    set_today(date(2028, 2, 1))
    assert evaluator.file(item["id"]).status_code == 200
    set_today(date(2028, 5, 1))
    assert_problem(evaluator.do(item["id"], "submit", "department"), 409, "EVALUATION_NOT_OPEN")


def test_the_window_must_be_ordered(evaluator):
    year = evaluator.client.get("/api/v1/fiscal-years/2027", headers=evaluator.auth("finance"))
    response = evaluator.client.put(
        "/api/v1/fiscal-years/2027/parameters",
        json={
            "version": year.json()["version"],
            "parameters": {
                "self_evaluation_opens": "2028-05-01",
                "self_evaluation_due": "2028-04-30",
            },
        },
        headers=evaluator.auth("finance"),
    )
    assert invalid_fields(response) == {"body.parameters"}


def test_a_department_overall_item_needs_approved_targets(evaluator):
    item = evaluator.flow.create(kind="department_overall", name="县教育局部门整体支出")
    evaluator.flow.post(item["id"], "submit", "department")
    evaluator.flow.decide(item["id"], "1200000.00")
    evaluator.start_execution()
    assert_problem(evaluator.file(item["id"], lines=[]), 409, "TARGETS_NOT_APPROVED")


def test_lines_answer_the_approved_targets(evaluator):
    item = evaluator.funded(execute=False)
    other = evaluator.funded()
    lines = evaluator.lines(item["id"])
    foreign = evaluator.lines(other["id"])["培训教师人数"]
    body = assert_problem(
        evaluator.file(item["id"], lines=[{"target_line_id": foreign, "final_actual": "1"}]),
        422,
        "TARGET_LINE_UNKNOWN",
    )
    assert body["target_line_ids"] == [foreign]
    twice = [{"target_line_id": lines["培训教师人数"], "final_actual": "1"}] * 2
    assert_problem(evaluator.file(item["id"], lines=twice), 422, "TARGET_LINE_DUPLICATE")
    for wrong in (
        {"target_line_id": lines["培训教师人数"], "qualitative_status": "achieved"},
        {"target_line_id": lines["培训教师人数"], "qualitative_share": "80"},
        {"target_line_id": lines["教学质量提升"], "final_actual": "1"},
        {"target_line_id": lines["教学质量提升"], "qualitative_share": "90"},
    ):
        body = assert_problem(evaluator.file(item["id"], lines=[wrong]), 422, "LINE_VALUE_MISMATCH")
        assert body["target_line_ids"] == [wrong["target_line_id"]]


@pytest.mark.parametrize(
    ("status", "share", "ok"),
    [
        ("achieved", "80", True),
        ("achieved", "79.99", False),
        ("partially_achieved", "80", True),
        ("partially_achieved", "80.01", False),
        ("not_achieved", "60", True),
        ("not_achieved", "60.01", False),
    ],
)
def test_a_qualitative_share_lies_in_its_band(evaluator, status, share, ok):
    item = evaluator.funded()
    lines = evaluator.final_answers(item["id"], 教学质量提升=(status, share))
    response = evaluator.file(item["id"], lines=lines)
    if ok:
        assert response.status_code == 200, response.text
    else:
        body = assert_problem(response, 422, "QUALITATIVE_SHARE_OUT_OF_BAND")
        assert body["target_line_id"] == evaluator.lines(item["id"])["教学质量提升"]


def test_execution_cannot_pass_the_approved_amount(evaluator):
    item = evaluator.funded()
    assert_problem(
        evaluator.file(item["id"], final_execution="1000000.01"), 422, "EXECUTION_EXCEEDS_APPROVED"
    )


def test_a_draft_is_replaced_with_the_version_read(evaluator):
    item = evaluator.funded()
    first = evaluator.file(item["id"]).json()
    assert_problem(evaluator.file(item["id"]), 428, "VERSION_REQUIRED")
    assert_problem(
        evaluator.file(item["id"], version=first["version"] + 5), 409, "VERSION_CONFLICT"
    )
    assert evaluator.file(item["id"], version=first["version"]).status_code == 200


def test_every_line_is_answered_before_submission(evaluator):
    item = evaluator.funded()
    evaluator.file(item["id"], lines=evaluator.final_answers(item["id"])[:2])
    body = assert_problem(
        evaluator.do(item["id"], "submit", "department"), 409, "EVALUATION_INCOMPLETE"
    )
    assert {line["name"] for line in body["lines"]} == {"教学质量提升", "参训教师满意度"}


@pytest.mark.parametrize(
    ("trainees", "quality", "needs"),
    [
        ("499", ("achieved", "100"), ["培训教师人数"]),  # below target
        ("600", ("achieved", "100"), ["培训教师人数"]),  # 120 %: over-achievement
        ("599", ("achieved", "100"), []),
        ("500", ("partially_achieved", "80"), ["教学质量提升"]),
    ],
)
def test_shortfalls_and_over_achievement_are_explained(evaluator, trainees, quality, needs):
    item = evaluator.funded()
    lines = evaluator.final_answers(item["id"], 培训教师人数=trainees, 教学质量提升=quality)
    evaluator.file(item["id"], lines=lines)
    response = evaluator.do(item["id"], "submit", "department")
    if not needs:
        assert response.status_code == 200, response.text
        return
    body = assert_problem(response, 409, "EXPLANATION_REQUIRED")
    assert [line["name"] for line in body["lines"]] == needs


def test_a_submitted_evaluation_is_not_edited(evaluator):
    item = evaluator.funded()
    read = evaluator.filed(item["id"])
    assert_problem(
        evaluator.file(item["id"], version=read["version"]), 409, "EVALUATION_NOT_EDITABLE"
    )
    upload = evaluator.client.post(
        url(item["id"], "/attachments"),
        files={"file": ("报告.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        headers=evaluator.auth("department"),
    )
    assert_problem(upload, 409, "EVALUATION_NOT_EDITABLE")
    assert_problem(evaluator.do(item["id"], "submit", "department"), 409, "INVALID_TRANSITION")


def test_no_evaluation_yet_reads_as_its_draft_and_is_not_submitted(evaluator):
    item = evaluator.funded()
    response = evaluator.client.get(url(item["id"]), headers=evaluator.auth("finance"))
    assert response.status_code == 200 and response.json()["saved"] is False
    assert_problem(evaluator.do(item["id"], "submit", "department", version=1), 404, "NOT_FOUND")


def test_review_roles(evaluator):
    item = evaluator.funded(execute=False)
    unit_item = evaluator.funded(user="unit", org="201001")
    evaluator.filed(item["id"])
    # a department's own evaluation goes straight to finance: it has no parent reviewer
    assert_problem(
        evaluator.do(item["id"], "department-review", "department", decision="approve"),
        403,
        "NOT_PARENT_DEPARTMENT",
    )
    assert evaluator.file(item["id"], user="finance").status_code == 403
    evaluator.filed(unit_item["id"], user="unit")
    assert_problem(
        evaluator.do(unit_item["id"], "department-review", "department", decision="return"),
        422,
        "REASON_REQUIRED",
    )


def test_finance_refusals(evaluator):
    item = evaluator.funded()
    evaluator.file(item["id"])
    line_id = evaluator.lines(item["id"])["培训教师人数"]
    adjust = f"lines/{line_id}/adjustment"
    assert_problem(
        evaluator.do(item["id"], adjust, "finance", points="10", reason="核减"),
        409,
        "EVALUATION_NOT_IN_FINANCE_REVIEW",
    )
    assert_problem(
        evaluator.do(item["id"], "adopt-third-party", "finance"),
        409,
        "EVALUATION_NOT_IN_FINANCE_REVIEW",
    )
    assert_problem(
        evaluator.do(item["id"], "grade", "finance", decision="approve", finding="x"),
        409,
        "INVALID_TRANSITION",
    )
    evaluator.do(item["id"], "submit", "department")
    assert_problem(
        evaluator.do(item["id"], adjust, "finance", points="30.01", reason="核减"),
        422,
        "ADJUSTMENT_OUT_OF_RANGE",
    )
    assert invalid_fields(evaluator.do(item["id"], adjust, "finance", points="-1", reason="x")) == {
        "body.points"
    }
    assert_problem(
        evaluator.do(item["id"], adjust, "finance", points="10", reason=" "), 422, "REASON_REQUIRED"
    )
    assert_problem(
        evaluator.do(item["id"], "lines/999999/adjustment", "finance", points="1", reason="x"),
        404,
        "NOT_FOUND",
    )
    assert evaluator.do(item["id"], adjust, "department", points="1", reason="x").status_code == 403
    assert_problem(
        evaluator.do(item["id"], "grade", "finance", decision="approve", finding=""),
        422,
        "FINDING_REQUIRED",
    )
    assert_problem(
        evaluator.do(
            item["id"],
            "grade",
            "finance",
            decision="approve",
            finding="属实",
            grade_override="good",
        ),
        422,
        "REASON_REQUIRED",
    )
    assert_problem(
        evaluator.do(item["id"], "adopt-third-party", "finance"), 409, "THIRD_PARTY_SCORE_MISSING"
    )
    for user_id in (_user_id(evaluator, "finance"), 999999):
        assert_problem(
            evaluator.do(item["id"], "third-party", "finance", third_party_id=user_id),
            409,
            "NOT_A_THIRD_PARTY",
        )
    evaluator.do(item["id"], "grade", "finance", decision="approve", finding="属实")
    assert_problem(
        evaluator.do(
            item["id"], "third-party", "finance", third_party_id=_user_id(evaluator, "thirdparty")
        ),
        409,
        "EVALUATION_GRADED",
    )
    assert_problem(
        evaluator.do(item["id"], "grade", "finance", decision="return", finding="x"),
        409,
        "INVALID_TRANSITION",
    )


def _user_id(evaluator, username: str) -> int:
    response = evaluator.client.get("/api/v1/auth/me", headers=evaluator.auth(username))
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


@pytest.mark.parametrize(
    ("decision", "outcome"),
    [
        ({"decision": "approve"}, "finance_review"),
        ({"decision": "return", "reason": "补充分析"}, "returned"),
    ],
)
def test_no_one_reviews_a_self_evaluation_they_filed(evaluator, decision, outcome):
    item = evaluator.funded(user="unit", org="201001")
    # the parent department files its unit's evaluation; another of its staff reviews it (S3)
    assert evaluator.filed(item["id"], user="department")["status"] == "department_review"
    assert_problem(
        evaluator.do(item["id"], "department-review", "department", **decision),
        403,
        "SAME_PERSON_REVIEW",
    )
    assert evaluator.evaluation(item["id"])["status"] == "department_review"
    reviewer = evaluator.flow.colleague("201")
    reviewed = evaluator.do(item["id"], "department-review", reviewer, **decision)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["status"] == outcome


def test_a_filer_moved_to_finance_does_not_grade_the_self_evaluation(evaluator):
    item = evaluator.funded()
    author = evaluator.flow.colleague("201")
    assert evaluator.filed(item["id"], user=author)["status"] == "finance_review"
    evaluator.flow.transfer(author, Role.finance, "100")
    for decision in ("approve", "return"):
        assert_problem(
            evaluator.do(item["id"], "grade", author, decision=decision, finding="属实"),
            403,
            "SAME_PERSON_REVIEW",
        )
    assert evaluator.evaluation(item["id"])["status"] == "finance_review"
    graded = evaluator.do(item["id"], "grade", "finance", decision="approve", finding="属实")
    assert graded.json()["status"] == "graded"
