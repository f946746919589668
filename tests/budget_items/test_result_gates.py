"""Results tied to next year's money (S2.5): a poor predecessor must be reduced or
cancelled; a fair one needs a rectification plan on file."""

from datetime import UTC, datetime
from decimal import Decimal

from perfbudget.evaluations.models import EvaluationStatus, Grade, SelfEvaluation
from perfbudget.results.models import RectificationPlan
from tests.problems import assert_problem


def _graded_predecessor(flow, grade: Grade) -> dict:
    created = flow.client.post(
        "/api/v1/fiscal-years", json={"year": 2026}, headers=flow.auth("finance")
    )
    assert created.status_code == 201
    before = flow.targets_approved(fiscal_year=2026, name="教师培训项目（2026）")
    assert flow.decide(before["id"], "1000000.00").status_code == 200
    flow.db.add(
        SelfEvaluation(
            item_id=before["id"],
            fiscal_year_id=created.json()["id"],
            organisation_id=before["organisation"]["id"],
            status=EvaluationStatus.graded,
            final_execution=Decimal("900000.00"),
            final_score=Decimal("55.00"),
            grade=grade,
            graded_at=datetime.now(UTC),
        )
    )
    flow.db.commit()
    return before


def test_a_poor_predecessor_must_be_reduced(flow):
    before = _graded_predecessor(flow, Grade.poor)
    item = flow.targets_approved(continues_item_id=before["id"])
    assert item["predecessor_grade"] == "poor"
    gate = flow.gates(item["id"])["POOR_RESULT_REQUIRES_REDUCTION"]
    assert gate["satisfied"] is False  # the request (1,200,000) is not below 1,000,000
    assert gate["clause"] == "S2.5"
    body = assert_problem(
        flow.decide(item["id"], "1000000.00"), 409, "POOR_RESULT_REQUIRES_REDUCTION"
    )
    assert "1000000.00" in body["detail"]
    funded = flow.decide(item["id"], "999999.99")
    assert funded.status_code == 200, funded.text
    assert funded.json()["approved_amount"] == "999999.99"


def test_a_poor_predecessor_may_be_cancelled(flow):
    before = _graded_predecessor(flow, Grade.poor)
    item = flow.targets_approved(continues_item_id=before["id"])
    rejected = flow.post(
        item["id"], "decision", "finance", decision="reject", reason="上年评价为差，取消"
    )
    assert rejected.json()["status"] == "rejected"


def test_a_reduced_request_satisfies_the_gate_before_the_decision(flow):
    before = _graded_predecessor(flow, Grade.poor)
    item = flow.targets_approved(continues_item_id=before["id"], requested_amount="800000.00")
    assert flow.gates(item["id"])["POOR_RESULT_REQUIRES_REDUCTION"]["satisfied"] is True


def test_a_fair_predecessor_expects_a_rectification_plan_as_a_warning(flow):
    before = _graded_predecessor(flow, Grade.fair)
    item = flow.targets_approved(continues_item_id=before["id"])
    gate = flow.gates(item["id"])["RECTIFICATION_PLAN_EXPECTED"]
    assert (gate["satisfied"], gate["blocking"]) == (False, False)
    assert flow.get(item["id"])["gates"]["warnings"] == ["RECTIFICATION_PLAN_EXPECTED"]
    flow.db.add(
        RectificationPlan(item_id=before["id"], plan="调整培训方式", filed_at=datetime.now(UTC))
    )
    flow.db.commit()
    assert flow.gates(item["id"])["RECTIFICATION_PLAN_EXPECTED"]["satisfied"] is True
    assert flow.decide(item["id"], "1200000.00").status_code == 200


def test_a_good_predecessor_adds_no_gate(flow):
    before = _graded_predecessor(flow, Grade.good)
    item = flow.targets_approved(continues_item_id=before["id"])
    assert set(flow.gates(item["id"])) == {"TARGETS_NOT_APPROVED"}
    assert flow.get(item["id"])["predecessor_grade"] == "good"
