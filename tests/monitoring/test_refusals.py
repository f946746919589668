"""Every refusal of the monthly report, with its stable code."""

from datetime import date

import pytest

from perfbudget.principal import Role
from tests.monitoring.conftest import url
from tests.problems import assert_problem, invalid_fields


def test_only_funded_items_are_monitored(monitor):
    item = monitor.flow.targets_approved()  # in finance review, not yet funded
    monitor.start_execution()
    body = assert_problem(monitor.save(item["id"]), 409, "REPORT_NOT_APPLICABLE")
    assert body["item_status"] == "finance_review"
    assert monitor.calendar(item["id"])["monitored"] is False


def test_monitoring_waits_for_the_budget_to_be_executed(monitor):
    item = monitor.funded(execute=False)
    assert_problem(monitor.save(item["id"]), 409, "FISCAL_YEAR_NOT_EXECUTING")


def test_a_month_is_reported_once_it_has_ended(monitor, set_today):
    item = monitor.funded()
    body = assert_problem(monitor.save(item["id"], month=7), 409, "MONTH_NOT_ENDED")
    assert body["opens_on"] == "2027-08-01"
    set_today(date(2027, 7, 31))  # the county's last day of July
    assert_problem(monitor.save(item["id"], month=7), 409, "MONTH_NOT_ENDED")
    set_today(date(2027, 8, 1))
    assert monitor.save(item["id"], month=7).status_code == 200


@pytest.mark.parametrize("month", [0, 13])
def test_months_run_from_1_to_12(monitor, month):
    item = monitor.funded()
    assert invalid_fields(monitor.save(item["id"], month=month)) == {"path.month"}


def test_a_department_overall_report_needs_approved_overall_targets(monitor):
    item = monitor.flow.create(kind="department_overall", name="县教育局部门整体支出")
    monitor.flow.post(item["id"], "submit", "department")
    monitor.flow.decide(item["id"], "1200000.00")
    monitor.start_execution()
    assert_problem(monitor.save(item["id"], lines=[]), 409, "TARGETS_NOT_APPROVED")


def test_lines_answer_the_approved_targets(monitor):
    item = monitor.funded(execute=False)
    other = monitor.funded()
    lines = monitor.lines(item["id"])
    foreign = monitor.lines(other["id"])["培训教师人数"]
    body = assert_problem(
        monitor.save(item["id"], lines=[{"target_line_id": foreign, "actual": "1"}]),
        422,
        "TARGET_LINE_UNKNOWN",
    )
    assert body["target_line_ids"] == [foreign]
    twice = [{"target_line_id": lines["培训教师人数"], "actual": "1"}] * 2
    assert_problem(monitor.save(item["id"], lines=twice), 422, "TARGET_LINE_DUPLICATE")
    for wrong in (
        {"target_line_id": lines["培训教师人数"], "qualitative_status": "achieved"},
        {"target_line_id": lines["教学质量提升"], "actual": "1"},
    ):
        body = assert_problem(monitor.save(item["id"], lines=[wrong]), 422, "LINE_VALUE_MISMATCH")
        assert body["target_line_ids"] == [wrong["target_line_id"]]


def test_a_negative_actual_is_refused_naming_the_line(monitor):
    item = monitor.funded()
    lines = monitor.answers(item["id"], 培训教师人数="-0.5", 参训教师满意度="-1")
    body = assert_problem(monitor.save(item["id"], lines=lines), 422, "NEGATIVE_ACTUAL")
    ids = monitor.lines(item["id"])
    assert body["target_line_ids"] == [ids["培训教师人数"], ids["参训教师满意度"]]
    assert (
        body["detail"] == "定量指标的实际值不能为负数：“培训教师人数” -0.5；“参训教师满意度” -1。"
    )
    assert [line["name"] for line in body["lines"]] == ["培训教师人数", "参训教师满意度"]
    zero = monitor.answers(item["id"], 培训教师人数="0")
    assert monitor.save(item["id"], lines=zero).status_code == 200


def test_execution_cannot_pass_the_approved_amount(monitor):
    item = monitor.funded()
    assert_problem(
        monitor.save(item["id"], cumulative_execution="1000000.01"),
        422,
        "EXECUTION_EXCEEDS_APPROVED",
    )
    assert monitor.save(item["id"], cumulative_execution="1000000.00").status_code == 200


def test_a_submitted_report_is_not_edited(monitor):
    item = monitor.funded()
    report = monitor.submitted(item["id"])
    body = assert_problem(
        monitor.save(item["id"], version=report["version"]), 409, "REPORT_NOT_EDITABLE"
    )
    assert body["report_status"] == "finance_review"
    assert_problem(monitor.act(item["id"], 6, "submit", "department"), 409, "INVALID_TRANSITION")


def test_every_approved_line_is_answered_before_submission(monitor):
    item = monitor.funded()
    answers = monitor.answers(item["id"])
    monitor.save(item["id"], lines=[answers[0], answers[3]])
    body = assert_problem(
        monitor.act(item["id"], 6, "submit", "department"), 409, "REPORT_INCOMPLETE"
    )
    assert [line["name"] for line in body["lines"]] == ["按期完成率", "教学质量提升"]
    assert "按期完成率" in body["detail"]


def test_a_report_that_is_not_there_reads_as_its_draft_and_is_not_submitted(monitor):
    item = monitor.funded()
    read = monitor.client.get(url(item["id"], 6), headers=monitor.auth("department"))
    assert read.status_code == 200 and read.json()["saved"] is False  # test_prefilled_draft.py
    assert_problem(monitor.act(item["id"], 6, "submit", "department", version=1), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("execution", "light"),
    [("100000.00", "red"), ("300000.00", "yellow")],  # 20 % and exactly 60 % of time
)
def test_a_deviation_needs_reasons_and_measures(monitor, execution, light):
    item = monitor.funded()
    monitor.save(item["id"], cumulative_execution=execution)
    body = assert_problem(
        monitor.act(item["id"], 6, "submit", "department"), 409, "DEVIATION_EXPLANATION_REQUIRED"
    )
    assert body["item_light"] == light
    assert body["missing"] == ["deviation_reasons", "corrective_measures"]
    monitor.save(
        item["id"],
        version=monitor.read(item["id"])["version"],
        cumulative_execution=execution,
        deviation_reasons="政府采购流程延迟",
    )
    body = assert_problem(
        monitor.act(item["id"], 6, "submit", "department"), 409, "DEVIATION_EXPLANATION_REQUIRED"
    )
    assert body["missing"] == ["corrective_measures"]
    monitor.save(
        item["id"],
        version=monitor.read(item["id"])["version"],
        cumulative_execution=execution,
        deviation_reasons="政府采购流程延迟",
        corrective_measures="7 月底前完成采购并支付首付款",
    )
    submitted = monitor.act(item["id"], 6, "submit", "department")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["item_light"] == light


def test_a_target_not_expected_to_be_met_needs_reasons_too(monitor):
    item = monitor.funded()
    answers = monitor.answers(item["id"])
    answers[0]["year_target_expected"] = False
    monitor.save(item["id"], lines=answers)
    body = assert_problem(
        monitor.act(item["id"], 6, "submit", "department"), 409, "DEVIATION_EXPLANATION_REQUIRED"
    )
    assert body["item_light"] == "green"


def test_finance_decides_only_what_reached_it(monitor):
    item = monitor.funded()
    monitor.save(item["id"])
    assert_problem(
        monitor.act(item["id"], 6, "finance-review", "finance", decision="accept"),
        409,
        "INVALID_TRANSITION",
    )
    monitor.act(item["id"], 6, "submit", "department")
    # a department's own report has no parent department to pass
    assert_problem(
        monitor.act(item["id"], 6, "department-review", "department", decision="approve"),
        403,
        "NOT_PARENT_DEPARTMENT",
    )
    monitor.decided(item["id"], "accept")
    assert_problem(
        monitor.act(item["id"], 6, "finance-review", "finance", decision="stop", reason="x"),
        409,
        "INVALID_TRANSITION",
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"decision": "suspend", "required_measures": "整改", "deadline": "2027-08-31"},
            "REASON_REQUIRED",
        ),
        ({"decision": "stop", "reason": "  "}, "REASON_REQUIRED"),
        ({"decision": "rectify", "deadline": "2027-08-31"}, "MEASURES_REQUIRED"),
        ({"decision": "rectify", "required_measures": "整改"}, "DEADLINE_REQUIRED"),
        ({"decision": "suspend", "reason": "滞后", "deadline": "2027-08-31"}, "MEASURES_REQUIRED"),
        (
            {"decision": "rectify", "required_measures": "整改", "deadline": "2027-07-04"},
            "DEADLINE_PASSED",
        ),
    ],
)
def test_finance_decisions_carry_what_they_need(monitor, body, code):
    item = monitor.funded()
    monitor.submitted(item["id"])
    assert_problem(monitor.act(item["id"], 6, "finance-review", "finance", **body), 422, code)
    assert monitor.read(item["id"])["status"] == "finance_review"
    assert monitor.holds(item["id"]) == []


def test_version_is_checked_on_every_step(monitor):
    item = monitor.funded()
    report = monitor.save(item["id"]).json()
    assert_problem(
        monitor.act(item["id"], 6, "submit", "department", version=report["version"] + 1),
        409,
        "VERSION_CONFLICT",
    )
    response = monitor.client.post(
        url(item["id"], 6, "/submit"), json={}, headers=monitor.auth("department")
    )
    assert_problem(response, 428, "VERSION_REQUIRED")
    response = monitor.client.post(
        url(item["id"], 6, "/submit"),
        json={},
        headers={**monitor.auth("department"), "If-Match": f'"{report["version"]}"'},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("decision", "outcome"),
    [
        ({"decision": "approve"}, "finance_review"),
        ({"decision": "return", "reason": "口径有误"}, "returned"),
    ],
)
def test_no_one_reviews_a_report_they_filed(monitor, decision, outcome):
    item = monitor.funded(user="unit", org="201001")
    # the parent department files its unit's report; another of its staff reviews it (S3)
    report = monitor.submitted(item["id"], user="department")
    assert report["status"] == "department_review"
    assert_problem(
        monitor.act(item["id"], 6, "department-review", "department", **decision),
        403,
        "SAME_PERSON_REVIEW",
    )
    assert monitor.read(item["id"])["status"] == "department_review"
    reviewer = monitor.flow.colleague("201")
    reviewed = monitor.act(item["id"], 6, "department-review", reviewer, **decision)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["status"] == outcome


def test_a_filer_moved_to_finance_does_not_decide_on_the_report(monitor):
    item = monitor.funded()
    author = monitor.flow.colleague("201")
    assert monitor.submitted(item["id"], user=author)["status"] == "finance_review"
    monitor.flow.transfer(author, Role.finance, "100")
    assert_problem(
        monitor.act(item["id"], 6, "finance-review", author, decision="accept"),
        403,
        "SAME_PERSON_REVIEW",
    )
    assert monitor.read(item["id"])["status"] == "finance_review"
    assert monitor.decided(item["id"], "accept")["status"] == "accepted"
