"""Reading a month's report before its first save answers the draft it starts from (S2.3.1):
a line for each approved target line, the plan's amount for the month and the execution
paid by the month's end, marked not saved; where no report can be started yet, the refusal
the first save would meet."""

from tests.monitoring.conftest import url
from tests.problems import assert_problem

# cumulative plan: 80,000 a month (480,000 by June)
PLAN = [{"month": m, "cumulative_amount": f"{m * 80000}.00"} for m in range(1, 13)]


def planned_and_paid(monitor) -> dict:
    """A funded project (1,000,000) with a plan, paid 200,000 in March, 50,000 on the
    last day of June and 70,000 in July (after June's end)."""
    item = monitor.funded()
    plan = monitor.client.put(
        f"/api/v1/budget-items/{item['id']}/spending-plan",
        json={"months": PLAN},
        headers=monitor.auth("department"),
    )
    assert plan.status_code == 200, plan.text
    monitor.pay(item["id"], "200000.00", "2027-03-15")
    monitor.pay(item["id"], "50000.00", "2027-06-30")
    monitor.pay(item["id"], "70000.00", "2027-07-02")
    return item


def test_june_before_its_first_save(monitor):
    item = planned_and_paid(monitor)
    targets = monitor.calendar(item["id"])["lines"]

    response = monitor.client.get(url(item["id"], 6), headers=monitor.auth("department"))

    assert response.status_code == 200, response.text
    assert "ETag" not in response.headers
    draft = response.json()
    assert draft["saved"] is False
    assert (draft["id"], draft["version"], draft["created_at"], draft["updated_at"]) == (
        None,
        None,
        None,
        None,
    )
    assert (draft["item_id"], draft["month"], draft["status"]) == (item["id"], 6, "draft")
    assert draft["approved_amount"] == "1000000.00"
    assert draft["cumulative_execution"] == "250000.00"  # paid by 30 June, not July's
    assert draft["planned_cumulative"] == "480000.00"
    assert draft["due_on"] == "2027-07-10"
    assert (draft["submitted_at"], draft["late"], draft["hold"]) == (None, False, None)
    assert [line["target_line_id"] for line in draft["lines"]] == [
        line["target_line_id"] for line in targets
    ]
    for line, target in zip(draft["lines"], targets, strict=True):
        assert line == {
            **target,
            "actual": None,
            "qualitative_status": None,
            "year_target_expected": True,
            "note": "",
        }
    lights = draft["lights"]
    assert lights["preview"] is True and lights["indicators"] == []
    assert lights["execution"]["inputs"]["cumulative_execution"] == "250000.00"
    assert lights["execution"]["inputs"]["planned_cumulative"] == "480000.00"
    assert lights["execution"]["inputs"]["time_progress_basis"] == "plan"
    # March: only March's payment, and the plan's 240,000
    march = monitor.read(item["id"], 3, user="department")
    assert (march["cumulative_execution"], march["planned_cumulative"]) == (
        "200000.00",
        "240000.00",
    )


def test_without_a_plan_the_draft_says_so(monitor):
    item = monitor.funded()
    draft = monitor.read(item["id"], 6, user="department")
    assert draft["planned_cumulative"] is None
    assert draft["cumulative_execution"] == "0.00"
    assert draft["lights"]["execution"]["inputs"]["time_progress_basis"] == "straight"


def test_the_first_put_of_the_draft_creates_the_report(monitor):
    item = planned_and_paid(monitor)
    draft = monitor.read(item["id"], 6, user="department")
    answers = {answer["target_line_id"]: answer for answer in monitor.answers(item["id"])}
    lines = [answers[line["target_line_id"]] for line in draft["lines"]]

    saved = monitor.client.put(
        url(item["id"], 6),
        json={
            "lines": lines,
            "deviation_reasons": "项目招标延期",  # 250,000 against 480,000 planned: red
            "corrective_measures": "加快招标进度",
        },
        headers=monitor.auth("department"),
    )

    assert saved.status_code == 200, saved.text
    stored = saved.json()
    assert (stored["saved"], stored["version"]) == (True, 1)
    assert stored["cumulative_execution"] == draft["cumulative_execution"] == "250000.00"
    assert stored["planned_cumulative"] == "480000.00"
    again = monitor.client.get(url(item["id"], 6), headers=monitor.auth("department"))
    assert again.headers["ETag"] == saved.headers["ETag"]
    assert again.json()["saved"] is True and again.json()["id"] == stored["id"]
    assert monitor.calendar(item["id"])["months"][5]["report"]["id"] == stored["id"]
    submitted = monitor.act(item["id"], 6, "submit", "department")
    assert submitted.status_code == 200, submitted.text
    # submitted, the plan's figure is the one its kept lights used
    assert submitted.json()["planned_cumulative"] == "480000.00"


def test_reading_the_draft_writes_nothing(monitor):
    item = monitor.funded()
    for _ in range(2):
        assert monitor.read(item["id"], 6)["saved"] is False
    assert monitor.calendar(item["id"])["months"][5]["report"] is None
    # nothing to submit until the first save
    assert_problem(monitor.act(item["id"], 6, "submit", "department", version=1), 404, "NOT_FOUND")


def test_who_reads_the_draft_is_who_reads_the_item(monitor):
    item = monitor.funded()
    for user in ("department", "finance", "oversight"):
        assert monitor.read(item["id"], 6, user=user)["saved"] is False
    for user in ("unit", "health", "expert", "investment"):
        response = monitor.client.get(url(item["id"], 6), headers=monitor.auth(user))
        assert_problem(response, 404, "NOT_FOUND")
    assert_problem(
        monitor.client.get(url(2**31 - 1, 6), headers=monitor.auth("finance")), 404, "NOT_FOUND"
    )


def test_where_no_report_can_start_the_read_refuses_as_the_save_would(monitor):
    unfunded = monitor.flow.targets_approved()
    overall = monitor.flow.create(kind="department_overall", name="县教育局部门整体支出")
    assert monitor.flow.post(overall["id"], "submit", "department").status_code == 200
    assert monitor.flow.decide(overall["id"], "1200000.00").status_code == 200
    item = monitor.funded()  # and the year starts executing

    def refusal(item_id: int, month: int, code: str) -> dict:
        response = monitor.client.get(url(item_id, month), headers=monitor.auth("department"))
        return assert_problem(response, 409, code)

    assert refusal(item["id"], 7, "MONTH_NOT_ENDED")["opens_on"] == "2027-08-01"
    assert refusal(item["id"], 12, "MONTH_NOT_ENDED")["opens_on"] == "2028-01-01"
    refusal(unfunded["id"], 6, "REPORT_NOT_APPLICABLE")
    refusal(overall["id"], 5, "REPORT_NOT_APPLICABLE")  # overall: the end of June only
    refusal(overall["id"], 6, "TARGETS_NOT_APPROVED")  # funded, overall targets not approved


def test_a_year_not_yet_executing_has_no_draft(monitor):
    item = monitor.funded(execute=False)
    assert_problem(
        monitor.client.get(url(item["id"], 6), headers=monitor.auth("department")),
        409,
        "FISCAL_YEAR_NOT_EXECUTING",
    )
