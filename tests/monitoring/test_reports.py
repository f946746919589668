"""Filing a month's report (S2.3.1): the draft, its lights, submission and the review chain."""

from datetime import UTC, date, datetime

from tests.monitoring.conftest import BUDGET_APPROVED, audit_actions, url
from tests.problems import assert_problem


def test_the_calendar_lists_the_lines_to_answer_and_each_month(monitor):
    item = monitor.funded(funded_at=BUDGET_APPROVED)
    calendar = monitor.calendar(item["id"], user="department")
    assert calendar["monitored"] is True
    assert [line["name"] for line in calendar["lines"]] == [
        "培训教师人数",
        "按期完成率",
        "教学质量提升",
        "参训教师满意度",
    ]
    months = {entry["month"]: entry for entry in calendar["months"]}
    assert sorted(months) == list(range(1, 13))
    assert item["decided_at"].startswith("2026-12-20")  # funded with the budget: owes every month
    assert all(entry["owed"] for entry in months.values())
    assert months[6]["due_on"] == "2027-07-10"
    assert months[12]["due_on"] == "2028-01-10"
    assert (months[6]["ended"], months[6]["overdue"]) == (True, False)
    assert (months[5]["ended"], months[5]["overdue"]) == (True, True)
    assert months[7]["ended"] is False
    assert months[6]["report"] is None


def test_an_item_funded_in_august_owes_nothing_before_it(monitor, set_today):
    """S2.3.1, the rule the overview, the assessment, the inbox and the reminders share
    (schedule.owes_report): months before the funding are neither owed nor overdue."""
    set_today(date(2027, 10, 20))
    item = monitor.funded(funded_at=datetime(2027, 8, 3, 2, tzinfo=UTC))
    calendar = monitor.calendar(item["id"], user="department")
    months = {entry["month"]: entry for entry in calendar["months"]}
    assert [m for m in range(1, 13) if months[m]["owed"]] == list(range(8, 13))
    assert [m for m in range(1, 13) if months[m]["overdue"]] == [8, 9]
    assert months[7]["ended"] is True and months[7]["overdue"] is False


def test_a_draft_shows_what_its_answers_would_light(monitor):
    item = monitor.funded()
    response = monitor.save(item["id"])
    assert response.status_code == 200, response.text
    draft = response.json()
    assert draft["status"] == "draft"
    assert draft["due_on"] == "2027-07-10"
    assert draft["cumulative_execution"] == "500000.00"
    assert draft["approved_amount"] == "1000000.00"
    assert draft["item_light"] is None  # kept only at submission
    assert draft["lights"]["preview"] is True
    assert draft["lights"]["item"]["light"] == "green"
    assert draft["lines"][0]["name"] == "培训教师人数"
    assert draft["lines"][0]["target_value"] == "500"
    assert draft["lines"][0]["actual"] == "250"
    assert draft["organisation"]["code"] == "201"


def test_submission_keeps_the_lights_with_their_explanation(monitor):
    item = monitor.funded()
    report = monitor.submitted(
        item["id"],
        cumulative_execution="450000.00",
        lines=monitor.answers(item["id"], 培训教师人数="300", 教学质量提升="partially_achieved"),
        deviation_reasons="部分培训课程质量评估未完成",
        corrective_measures="下半年补充开展评估",
    )
    assert report["status"] == "finance_review"  # a department goes straight to finance
    assert report["submitted_at"] is not None and report["late"] is False
    assert (report["item_light"], report["execution_light"]) == ("yellow", "green")
    lights = report["lights"]
    assert lights["preview"] is False and lights["month_basis"] == 6
    execution = lights["execution"]
    assert execution["formula"]["zh"] == "执行率 ÷ 时间进度（6 ÷ 12）= 45.00% ÷ 50.00% = 90.00%"
    assert execution["inputs"]["cumulative_execution"] == "450000.00"
    assert execution["parameters"] == {"red_below": "60", "yellow_below": "80"}
    by_name = {line["name"]: line for line in lights["indicators"]}
    assert by_name["培训教师人数"]["light"] == "blue"
    assert by_name["培训教师人数"]["ratio"] == "120.00"
    assert by_name["教学质量提升"]["light"] == "yellow"
    assert lights["item"]["inputs"]["execution"] == "green"
    assert "黄灯" in lights["item"]["explanation"]["zh"]
    assert monitor.read(item["id"], user="oversight")["lights"] == lights


def test_cumulative_execution_defaults_to_what_was_paid_by_the_month_end(monitor):
    item = monitor.funded()
    monitor.pay(item["id"], "300000.00", "2027-03-15")
    monitor.pay(item["id"], "50000.00", "2027-06-30")
    monitor.pay(item["id"], "100000.00", "2027-07-01")
    body = {"lines": monitor.answers(item["id"])}
    june = monitor.client.put(url(item["id"], 6), json=body, headers=monitor.auth("department"))
    assert june.json()["cumulative_execution"] == "350000.00"
    march = monitor.client.put(url(item["id"], 3), json=body, headers=monitor.auth("department"))
    assert march.json()["cumulative_execution"] == "300000.00"
    february = monitor.client.put(url(item["id"], 2), json=body, headers=monitor.auth("department"))
    assert february.json()["cumulative_execution"] == "0.00"


def test_a_draft_is_replaced_with_the_version_read(monitor):
    item = monitor.funded()
    first = monitor.save(item["id"]).json()
    assert_problem(monitor.save(item["id"]), 428, "VERSION_REQUIRED")
    assert_problem(monitor.save(item["id"], version=first["version"] + 1), 409, "VERSION_CONFLICT")
    second = monitor.save(
        item["id"],
        version=first["version"],
        cumulative_execution="480000.00",
        lines=monitor.answers(item["id"])[:2],
    )
    assert second.status_code == 200, second.text
    assert second.json()["cumulative_execution"] == "480000.00"
    assert len(second.json()["lines"]) == 2


def test_a_unit_report_passes_its_parent_department_first(monitor):
    item = monitor.funded(user="unit", org="201001")
    report = monitor.submitted(item["id"], user="unit")
    assert report["status"] == "department_review"
    assert_problem(
        monitor.act(item["id"], 6, "finance-review", "finance", decision="accept"),
        409,
        "INVALID_TRANSITION",
    )
    assert_problem(
        monitor.act(item["id"], 6, "department-review", "unit", decision="approve"),
        403,
        "NOT_PARENT_DEPARTMENT",
    )
    assert_problem(
        monitor.act(item["id"], 6, "department-review", "department", decision="return"),
        422,
        "REASON_REQUIRED",
    )
    returned = monitor.act(
        item["id"], 6, "department-review", "department", decision="return", reason="实际值口径有误"
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    assert returned.json()["return_reason"] == "实际值口径有误"
    assert returned.json()["lights"]["preview"] is True
    fixed = monitor.save(
        item["id"], user="unit", version=returned.json()["version"], cumulative_execution="480000"
    )
    assert fixed.status_code == 200, fixed.text
    again = monitor.act(item["id"], 6, "submit", "unit")
    assert again.json()["status"] == "department_review"
    assert again.json()["return_reason"] is None
    approved = monitor.act(item["id"], 6, "department-review", "department", decision="approve")
    assert approved.json()["status"] == "finance_review"
    accepted = monitor.decided(item["id"], "accept", reason="监控情况属实")
    assert accepted["status"] == "accepted"
    assert accepted["review_reason"] == "监控情况属实"
    assert accepted["reviewed_at"] is not None
    assert audit_actions(monitor, "monitoring_report", accepted["id"]) == [
        "monitoring_report.created",
        "monitoring_report.submitted",
        "monitoring_report.department_returned",
        "monitoring_report.updated",
        "monitoring_report.submitted",
        "monitoring_report.department_approved",
        "monitoring_report.accepted",
    ]


def test_lateness_is_judged_on_the_county_calendar(monitor, set_today):
    item = monitor.funded(funded_at=BUDGET_APPROVED)
    set_today(date(2027, 7, 10))
    on_time = monitor.submitted(item["id"])
    assert on_time["late"] is False
    set_today(date(2027, 7, 11))
    late = monitor.submitted(item["id"], month=5)
    assert late["late"] is True
    assert late["due_on"] == "2027-06-10"
    months = {m["month"]: m for m in monitor.calendar(item["id"])["months"]}
    assert months[5]["overdue"] is False and months[5]["report"]["late"] is True
    assert months[4]["overdue"] is True


def test_a_returned_report_keeps_the_lateness_of_its_first_submission(monitor, set_today):
    item = monitor.funded(user="unit", org="201001")
    set_today(date(2027, 7, 9))
    report = monitor.submitted(item["id"], user="unit")
    monitor.act(
        item["id"], 6, "department-review", "department", decision="return", reason="补充说明"
    )
    set_today(date(2027, 7, 20))
    again = monitor.act(item["id"], 6, "submit", "unit")
    assert again.json()["late"] is False
    assert again.json()["submitted_at"] == report["submitted_at"]


def test_a_department_overall_budget_is_monitored_at_the_end_of_june(monitor):
    item = monitor.overall()
    calendar = monitor.calendar(item["id"])
    assert [m["month"] for m in calendar["months"]] == [6]
    assert calendar["months"][0]["due_on"] == "2027-07-15"
    assert len(calendar["lines"]) == 5
    assert_problem(monitor.save(item["id"], month=5), 409, "REPORT_NOT_APPLICABLE")
    report = monitor.submitted(
        item["id"],
        cumulative_execution="600000.00",
        lines=monitor.answers(
            item["id"],
            公用经费控制率="100",
            预算执行率="47.5",
            重点工作完成率="50",
            义务教育巩固率="49.5",
        ),
    )
    assert report["due_on"] == "2027-07-15"
    assert report["item_light"] == "green"
    by_name = {line["name"]: line for line in report["lights"]["indicators"]}
    assert by_name["公用经费控制率"]["light"] == "green"  # reverse, at the target
    assert by_name["预算执行率"]["ratio"] == "100.00"  # 47.5 ÷ (95 × 6 ÷ 12)


def test_a_spending_plan_sets_the_time_progress(monitor):
    item = monitor.funded()
    months = [
        {"month": m, "cumulative_amount": f"{min(m * 100000, 1000000)}.00"} for m in range(1, 13)
    ]
    plan = monitor.client.put(
        f"/api/v1/budget-items/{item['id']}/spending-plan",
        json={"months": months},
        headers=monitor.auth("department"),
    )
    assert plan.status_code == 200, plan.text
    # 360,000 against 600,000 planned by June: exactly 60 %, yellow (straight line: 72 %)
    draft = monitor.save(item["id"], cumulative_execution="360000.00").json()
    execution = draft["lights"]["execution"]
    assert execution["light"] == "yellow"
    assert execution["ratio"] == "60.00"
    assert execution["inputs"]["time_progress_basis"] == "plan"
    assert execution["inputs"]["planned_cumulative"] == "600000.00"
    assert execution["formula"]["zh"] == "执行率 ÷ 时间进度（用款计划）= 36.00% ÷ 60.00% = 60.00%"
