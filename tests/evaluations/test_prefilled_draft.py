"""Reading a self-evaluation before its first save answers the draft it starts from (S2.4):
a line for each approved target line with its target and weight and no actual, the final
execution disbursed, marked not saved; where none can be started, the refusal the first save
would meet."""

from datetime import date

from tests.evaluations.conftest import url
from tests.problems import assert_problem

LINE_FROM_TARGET = (
    "target_line_id",
    "position",
    "category",
    "name",
    "direction",
    "target_value",
    "unit",
    "qualitative_standard",
    "weight",
)


def test_the_draft_before_the_first_save(evaluator):
    item = evaluator.funded()
    evaluator.pay(item["id"], "600000.00", "2027-03-15")
    evaluator.pay(item["id"], "300000.00", "2027-11-20")
    targets = evaluator.flow.targets(item["id"])["lines"]

    response = evaluator.client.get(url(item["id"]), headers=evaluator.auth("department"))

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
    assert (draft["item_id"], draft["status"], draft["kind"]) == (item["id"], "draft", "project")
    assert (draft["approved_amount"], draft["final_execution"]) == ("1000000.00", "900000.00")
    assert [{name: line[name] for name in LINE_FROM_TARGET} for line in draft["lines"]] == [
        {name: target[name] for name in LINE_FROM_TARGET} for target in targets
    ]
    assert [line["weight"] for line in draft["lines"]] == ["30.00", "20.00", "30.00", "10.00"]
    for line in draft["lines"]:
        assert (line["final_actual"], line["qualitative_status"], line["qualitative_share"]) == (
            None,
            None,
            None,
        )
        assert (line["explanation"], line["adjusted_points"]) == ("", None)
    assert draft["sections"] == {
        "overview": "",
        "achievements": "",
        "problems": "",
        "improvements": "",
    }
    scoring = draft["scoring"]
    assert scoring["preview"] is True
    assert scoring["execution_points"] == "9.00"  # 900,000 ÷ 1,000,000 × 10
    assert (draft["submitted_at"], draft["grade"], draft["attachments"]) == (None, None, [])
    checks = {check["code"]: check["ok"] for check in draft["completeness"]}
    assert checks["LINES_ANSWERED"] is False and checks["ATTACHMENTS_PRESENT"] is False


def test_the_year_end_actuals_are_the_departments_own(evaluator, set_today):
    """The monitoring history is what finance checks the final actuals against (§3
    plausibility), so the draft does not copy the last accepted report's actuals."""
    set_today(date(2027, 7, 5))
    item = evaluator.funded()
    evaluator.submitted(item["id"], 6)
    evaluator.decided(item["id"], "accept")
    set_today(date(2028, 1, 20))

    draft = evaluator.evaluation(item["id"], user="department")

    assert {line["final_actual"] for line in draft["lines"]} == {None}
    assert {line["qualitative_status"] for line in draft["lines"]} == {None}


def test_the_first_put_creates_it(evaluator):
    item = evaluator.funded()
    draft = evaluator.evaluation(item["id"], user="department")
    assert draft["saved"] is False

    saved = evaluator.file(item["id"])  # no version, no If-Match

    assert saved.status_code == 200, saved.text
    assert (saved.json()["saved"], saved.json()["version"]) == (True, 1)
    again = evaluator.client.get(url(item["id"]), headers=evaluator.auth("department"))
    assert again.headers["ETag"].startswith('"1.')
    stored = again.json()
    assert stored["saved"] is True and stored["id"] == saved.json()["id"]
    assert [line["target_line_id"] for line in stored["lines"]] == [
        line["target_line_id"] for line in draft["lines"]
    ]
    assert evaluator.audit(stored["id"]) == ["self_evaluation.created"]


def test_who_reads_the_draft_is_who_reads_the_item(evaluator):
    item = evaluator.funded()
    for user in ("department", "finance", "oversight"):
        assert evaluator.evaluation(item["id"], user=user)["saved"] is False
    for user in ("unit", "health", "thirdparty", "expert"):
        response = evaluator.client.get(url(item["id"]), headers=evaluator.auth(user))
        assert_problem(response, 404, "NOT_FOUND")
    response = evaluator.client.get(url(2**31 - 1), headers=evaluator.auth("finance"))
    assert_problem(response, 404, "NOT_FOUND")


def refused(evaluator, item_id: int, code: str) -> None:
    response = evaluator.client.get(url(item_id), headers=evaluator.auth("finance"))
    assert_problem(response, 409, code)


def test_where_none_can_start_the_read_refuses_as_the_save_would(evaluator):
    unfunded = evaluator.flow.targets_approved()
    overall = evaluator.flow.create(kind="department_overall", name="县教育局部门整体支出")
    assert evaluator.flow.post(overall["id"], "submit", "department").status_code == 200
    assert evaluator.flow.decide(overall["id"], "1200000.00").status_code == 200
    preparing = evaluator.funded(execute=False)

    refused(evaluator, preparing["id"], "EVALUATION_NOT_OPEN")  # the year is in preparation
    evaluator.start_execution()
    refused(evaluator, unfunded["id"], "EVALUATION_NOT_APPLICABLE")
    refused(evaluator, overall["id"], "TARGETS_NOT_APPROVED")  # overall targets not approved


def test_after_the_window_closes_the_read_refuses_too(evaluator):
    item = evaluator.funded(execute=False)
    evaluator.set_parameters(self_evaluation_due="2028-01-10")  # today is 20 January
    evaluator.start_execution()
    body = assert_problem(
        evaluator.client.get(url(item["id"]), headers=evaluator.auth("department")),
        409,
        "EVALUATION_NOT_OPEN",
    )
    assert body["due_on"] == "2028-01-10"
