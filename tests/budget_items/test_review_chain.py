"""The review chain (S3): unit → parent department → finance → decision."""

import pytest

from perfbudget.budget_items import service as item_service
from perfbudget.errors import Forbidden
from perfbudget.principal import Role
from tests.budget_items.conftest import ITEMS
from tests.problems import assert_problem


def test_a_department_request_goes_straight_to_finance(flow):
    item = flow.submitted()
    assert item["status"] == "finance_review"
    assert item["submitted_at"] is not None
    assert item["targets"]["status"] == "finance_review"
    history = flow.client.get(
        f"/api/v1/budget-items/{item['id']}/history", headers=flow.auth("department")
    ).json()["items"]
    assert [(e["from_status"], e["to_status"]) for e in history] == [
        ("draft", "submitted"),
        ("submitted", "finance_review"),
    ]


def test_a_unit_request_passes_its_parent_department_first(flow):
    item = flow.submitted("unit", "201001")
    assert item["status"] == "department_review"
    assert item["targets"]["status"] == "department_review"
    # the unit cannot approve itself; another department cannot even see it
    assert_problem(
        flow.post(item["id"], "department-review", "unit", decision="approve"),
        403,
        "NOT_PARENT_DEPARTMENT",
    )
    assert_problem(
        flow.post(item["id"], "decision", "finance", decision="fund", approved_amount="1.00"),
        409,
        "INVALID_TRANSITION",
    )
    approved = flow.post(item["id"], "department-review", "department", decision="approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "finance_review"
    assert approved.json()["targets"]["status"] == "finance_review"


def test_a_department_returns_with_reasons_and_the_unit_resubmits(flow):
    item = flow.submitted("unit", "201001")
    assert_problem(
        flow.post(item["id"], "department-review", "department", decision="return"),
        422,
        "REASON_REQUIRED",
    )
    returned = flow.post(
        item["id"],
        "department-review",
        "department",
        decision="return",
        reason="培训人数测算依据不足",
    )
    assert returned.json()["status"] == "returned"
    assert returned.json()["return_reason"] == "培训人数测算依据不足"
    targets = flow.targets(item["id"])
    assert targets["status"] == "returned"
    assert targets["return_reason"] == "培训人数测算依据不足"
    fixed = flow.save_targets(item["id"], user="unit", version=targets["version"])
    assert fixed.status_code == 200, fixed.text
    again = flow.post(item["id"], "submit", "unit")
    assert again.json()["status"] == "department_review"
    assert again.json()["return_reason"] is None


def test_finance_returns_a_request(flow):
    item = flow.submitted()
    assert_problem(flow.post(item["id"], "return", "finance", reason=""), 422, "VALIDATION_FAILED")
    response = flow.post(item["id"], "return", "finance", reason="请补充实施方案")
    assert response.json()["status"] == "returned"
    assert flow.targets(item["id"])["status"] == "returned"
    assert_problem(
        flow.post(item["id"], "return", "finance", reason="再退一次"), 409, "INVALID_TRANSITION"
    )


def test_funding_a_request_with_approved_targets(flow):
    item = flow.targets_approved()
    assert item["gates"] == {"passed": True, "blocking": [], "warnings": []}
    funded = flow.decide(item["id"], "1000000.00")
    assert funded.status_code == 200, funded.text
    body = funded.json()
    assert (body["status"], body["approved_amount"]) == ("funded", "1000000.00")
    assert body["decided_at"] is not None
    assert_problem(flow.decide(item["id"]), 409, "INVALID_TRANSITION")


def test_approving_more_than_requested_needs_a_reason(flow):
    item = flow.targets_approved()
    assert_problem(flow.decide(item["id"], "1500000.00"), 422, "REASON_REQUIRED")
    response = flow.decide(item["id"], "1500000.00", reason="政策标准提高")
    assert response.json()["approved_amount"] == "1500000.00"


def test_rejection_needs_a_reason(flow):
    item = flow.submitted()
    assert_problem(
        flow.post(item["id"], "decision", "finance", decision="reject"), 422, "REASON_REQUIRED"
    )
    rejected = flow.post(
        item["id"], "decision", "finance", decision="reject", reason="与上年项目重复"
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["approved_amount"] is None


def test_only_finance_decides_and_reviews(flow):
    item = flow.submitted()
    for user in ("department", "unit", "oversight", "investment", "expert", "admin"):
        decision = flow.post(item["id"], "decision", user, decision="reject", reason="x")
        assert_problem(decision, 403, "PERMISSION_DENIED")
        review = flow.target_post(item["id"], "finance-review", user, decision="approve")
        assert_problem(review, 403, "PERMISSION_DENIED")
    assert flow.get(item["id"])["status"] == "finance_review"


def test_submitting_twice_is_an_invalid_transition(flow):
    item = flow.submitted()
    body = assert_problem(flow.post(item["id"], "submit", "department"), 409, "INVALID_TRANSITION")
    assert (body["from"], body["to"]) == ("finance_review", "submitted")


def test_stale_versions_are_refused_on_transitions(flow):
    item = flow.create()
    flow.save_targets(item["id"])
    assert_problem(
        flow.post(item["id"], "submit", "department", version=item["version"] + 5),
        409,
        "VERSION_CONFLICT",
    )
    assert flow.get(item["id"])["status"] == "draft"


def test_every_step_is_audited(flow):
    item = flow.targets_approved()
    flow.decide(item["id"])
    events = flow.client.get(
        "/api/v1/audit-events",
        params={"entity_type": "budget_item", "entity_id": str(item["id"]), "limit": 50},
        headers=flow.auth("finance"),
    ).json()["items"]
    actions = [event["action"] for event in reversed(events)]
    assert actions == [
        "budget_item.created",
        "budget_item.submitted",
        "budget_item.routed",
        "budget_item.funded",
    ]


REVIEWS = [
    ({"decision": "approve"}, "finance_review"),
    ({"decision": "return", "reason": "补助标准依据不足"}, "returned"),
]


@pytest.mark.parametrize(("decision", "outcome"), REVIEWS)
def test_a_department_does_not_pass_a_unit_request_it_wrote(flow, decision, outcome):
    # issue 12: the parent department wrote its unit's request and reviewed it alone
    item = flow.submitted("department", "201001")
    assert item["status"] == "department_review"
    body = assert_problem(
        flow.post(item["id"], "department-review", "department", **decision),
        403,
        "SAME_PERSON_REVIEW",
    )
    assert "S3" in body["detail"]
    assert (flow.get(item["id"])["status"], flow.targets(item["id"])["status"]) == (
        "department_review",
        "department_review",
    )
    reviewed = flow.post(item["id"], "department-review", flow.colleague("201"), **decision)
    assert reviewed.status_code == 200, reviewed.text
    assert (reviewed.json()["status"], reviewed.json()["targets"]["status"]) == (outcome, outcome)


def test_reviewing_a_request_reviews_the_targets_filed_with_it(flow):
    item = flow.create("unit", "201001")
    assert flow.save_targets(item["id"], user="department").status_code == 200
    assert flow.post(item["id"], "submit", "unit").json()["status"] == "department_review"
    english = flow.client.post(
        f"{ITEMS}/{item['id']}/department-review",
        json={"decision": "approve", "version": flow.get(item["id"])["version"]},
        headers={**flow.auth("department"), "Accept-Language": "en"},
    )
    assert (
        "another reviewer decides (S3)"
        in assert_problem(english, 403, "SAME_PERSON_REVIEW")["detail"]
    )
    assert_problem(
        flow.target_post(item["id"], "department-review", "department", decision="approve"),
        403,
        "SAME_PERSON_REVIEW",
    )
    assert flow.get(item["id"])["status"] == "department_review"
    approved = flow.post(item["id"], "department-review", flow.colleague("201"), decision="approve")
    assert approved.json()["targets"]["status"] == "finance_review"


def test_an_author_moved_to_finance_does_not_decide_their_own_request(flow):
    author = flow.colleague("201")
    item = flow.submitted(author, "201")
    assert item["status"] == "finance_review"
    flow.transfer(author, Role.finance, "100")
    refusals = [
        flow.post(item["id"], "return", author, reason="请补充实施方案"),
        flow.post(item["id"], "decision", author, decision="reject", reason="重复"),
        flow.post(item["id"], "decision", author, decision="fund", approved_amount="1.00"),
        flow.target_post(item["id"], "finance-review", author, decision="approve"),
    ]
    for response in refusals:
        assert_problem(response, 403, "SAME_PERSON_REVIEW")
    assert (flow.get(item["id"])["status"], flow.targets(item["id"])["status"]) == (
        "finance_review",
        "finance_review",
    )
    assert flow.post(item["id"], "return", "finance", reason="请补充实施方案").status_code == 200


def test_an_unrecorded_author_or_reviewer_matches_no_one():
    # rows written before authors were kept, or by the CLI, bind no one
    item_service.CHAIN.check_reviewer(None, None)
    item_service.CHAIN.check_reviewer(7, None, 8)
    with pytest.raises(Forbidden) as refused:
        item_service.CHAIN.check_reviewer(7, None, 7)
    assert refused.value.code == "SAME_PERSON_REVIEW"
    assert "S3" in refused.value.zh and "S3" in refused.value.en
