"""The gates (S2.1.1, S2.2.2): each refuses the decision, and GET …/gates explains it."""

from perfbudget.assessments.models import AssessmentConclusion
from tests.problems import assert_problem


def _refused(flow, item_id, code):
    body = assert_problem(flow.decide(item_id), 409, code)
    gate = flow.gates(item_id)[code]
    assert gate["satisfied"] is False
    assert gate["blocking"] is True
    assert body["detail"] == gate["message"]
    assert body["clause"] == gate["clause"]
    assert flow.get(item_id)["status"] == "finance_review"
    assert code in flow.get(item_id)["gates"]["blocking"]
    return body


def test_no_approved_targets_no_budget(flow):
    item = flow.submitted()
    body = _refused(flow, item["id"], "TARGETS_NOT_APPROVED")
    assert "S2.2.2" in body["detail"]
    en = flow.gates(item["id"], lang="en")["TARGETS_NOT_APPROVED"]
    assert en["message"] == "No approved performance targets, no budget (S2.2.2)."


def test_a_new_major_project_needs_its_assessment(flow):
    item = flow.targets_approved(new_major=True)
    _refused(flow, item["id"], "ASSESSMENT_REQUIRED")
    flow.assessment(item["id"], conclusion=None)  # filed, not yet concluded
    _refused(flow, item["id"], "ASSESSMENT_REQUIRED")


def test_an_assessment_concluded_not_supported_blocks(flow):
    item = flow.targets_approved(new_major=True, kind="policy")
    flow.assessment(item["id"], conclusion=AssessmentConclusion.not_supported)
    gates = flow.gates(item["id"])
    assert gates["ASSESSMENT_REQUIRED"]["satisfied"] is True
    _refused(flow, item["id"], "ASSESSMENT_NOT_SUPPORTED")


def test_capital_construction_needs_the_investment_authority(flow):
    item = flow.targets_approved(new_major=True, capital_construction=True)
    assert "ASSESSMENT_REQUIRED" not in flow.gates(item["id"])
    flow.assessment(item["id"], role="department")
    _refused(flow, item["id"], "INVESTMENT_ASSESSMENT_REQUIRED")


def test_with_every_gate_satisfied_the_item_is_funded(flow):
    item = flow.targets_approved(new_major=True, capital_construction=True)
    flow.assessment(
        item["id"], role="investment", conclusion=AssessmentConclusion.supported_with_changes
    )
    gates = flow.gates(item["id"])
    assert set(gates) == {
        "TARGETS_NOT_APPROVED",
        "INVESTMENT_ASSESSMENT_REQUIRED",
        "ASSESSMENT_NOT_SUPPORTED",
    }
    assert all(gate["satisfied"] for gate in gates.values())
    assert flow.decide(item["id"]).json()["status"] == "funded"


def test_mid_year_additions_pass_the_same_gates(flow):
    flow.client.post(
        "/api/v1/fiscal-years/2027/start-execution",
        json={"version": 1},
        headers=flow.auth("finance"),
    )
    item = flow.submitted(mid_year_addition=True, name="追加项目")
    _refused(flow, item["id"], "TARGETS_NOT_APPROVED")


def test_gates_are_visible_to_whoever_sees_the_item_only(flow):
    item = flow.submitted()
    assert set(flow.gates(item["id"], user="department")) == {"TARGETS_NOT_APPROVED"}
    response = flow.client.get(
        f"/api/v1/budget-items/{item['id']}/gates", headers=flow.auth("unit")
    )
    assert_problem(response, 404, "NOT_FOUND")
