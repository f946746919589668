"""A whole year end to end through HTTP (S1.2, the closed loop): targets, monitoring,
self-evaluation, grading, publication — and next year's money follows the result (S2.5)."""

from datetime import date

from tests.evaluations.conftest import Evaluator, attachments_dir  # noqa: F401
from tests.monitoring.conftest import SetToday, set_today  # noqa: F401
from tests.problems import assert_problem


def test_a_poor_year_costs_the_next_years_money(flow, set_today: SetToday):  # noqa: F811
    client, auth = flow.client, flow.auth
    run = Evaluator(flow)

    # 2027: targets approved, funded 1,000,000 (S2.2.2)
    item = run.funded("1000000.00")
    run.pay(item["id"], "400000.00")

    # June: dual monitoring finds it seriously behind; finance orders rectification (S2.3)
    set_today(date(2027, 7, 5))
    report = run.submitted(
        item["id"],
        6,
        cumulative_execution="200000.00",
        lines=run.answers(item["id"], 培训教师人数="50"),
        deviation_reasons="师资未到位",
        corrective_measures="调整培训计划",
        target_expected=False,
    )
    assert report["item_light"] == "red"
    decided = run.decided(item["id"], "rectify")
    assert decided["status"] == "rectify"

    # January 2028: the self-evaluation scores poorly and finance grades it 差 (S2.4)
    set_today(date(2028, 1, 20))
    answers = run.final_answers(
        item["id"], 培训教师人数="100", 按期完成率="40", 参训教师满意度="50"
    )
    for answer in answers:
        answer["explanation"] = "师资未到位，培训大幅压缩"  # every shortfall explained (S2.4)
    evaluation = run.filed(
        item["id"],
        final_execution="400000.00",
        lines=answers,
        sections={
            "overview": "未完成",
            "achievements": "部分培训",
            "problems": "师资不足",
            "improvements": "重新设计",
        },
    )
    assert evaluation["status"] == "finance_review"
    graded = run.do(item["id"], "grade", "finance", decision="approve", finding="属实、完整")
    assert graded.status_code == 200, graded.text
    assert graded.json()["grade"] == "poor"

    # the results ledger shows it with its consequence (S2.5)
    ledger = client.get("/api/v1/fiscal-years/2027/results", headers=auth("oversight")).json()
    (row,) = [r for r in ledger["items"] if r["item"]["id"] == item["id"]]
    assert (row["grade"], row["consequence"]) == ("poor", "reduce_or_cancel")

    # the targets and the result are published and the public reads them (S4.4)
    for kind in ("targets", "results"):
        published = client.post(
            "/api/v1/fiscal-years/2027/publications",
            json={"organisation_id": flow.org_id("201"), "kind": kind},
            headers=auth("finance"),
        )
        assert published.status_code == 201, published.text
    public = client.get("/public/v1/fiscal-years/2027/results")
    assert public.status_code == 200
    assert "教师培训项目" in public.text

    # 2028: continuing the item at the same money is refused; less is funded (S2.5)
    created = client.post("/api/v1/fiscal-years", json={"year": 2028}, headers=auth("finance"))
    assert created.status_code == 201
    successor = flow.targets_approved(
        fiscal_year=2028, continues_item_id=item["id"], requested_amount="1000000.00"
    )
    assert successor["predecessor_grade"] == "poor"
    assert_problem(
        flow.decide(successor["id"], "1000000.00"), 409, "POOR_RESULT_REQUIRES_REDUCTION"
    )
    assert flow.decide(successor["id"], "600000.00").json()["status"] == "funded"
