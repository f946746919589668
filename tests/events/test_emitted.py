"""Each state change other systems act on writes one event, in the same transaction as the
change: a refused change writes nothing."""

from tests.events.conftest import Events
from tests.problems import assert_problem
from tests.workflow import Workflow


def test_a_funding_decision_emits_budget_decided_with_a_delivery(flow: Workflow, events: Events):
    subscription = events.subscribe(event_types=["budget.decided"])
    events.subscribe(name="只订阅评价", event_types=["evaluation.graded"])
    item = flow.targets_approved(code="JY-2027-001")

    assert flow.decide(item["id"], "1000000.00").status_code == 200

    [event] = events.outbox("budget.decided")
    assert event["data"] == {
        "item_id": item["id"],
        "code": "JY-2027-001",
        "name": "教师培训项目",
        "organisation_code": "201",
        "fiscal_year": 2027,
        "decision": "fund",
        "approved_amount": "1000000.00",
    }
    [delivery] = events.deliveries()
    assert delivery["subscription_id"] == subscription["id"]
    assert (delivery["event_id"], delivery["status"]) == (event["event_id"], "pending")


def test_a_rejection_emits_budget_decided_without_an_amount(flow: Workflow, events: Events):
    item = flow.targets_approved()
    response = flow.post(item["id"], "decision", "finance", decision="reject", reason="财力不足")
    assert response.status_code == 200, response.text
    [event] = events.outbox("budget.decided")
    assert (event["data"]["decision"], event["data"]["approved_amount"]) == ("reject", None)


def test_a_refused_decision_emits_nothing(flow: Workflow, events: Events):
    events.subscribe()
    draft = flow.create()
    assert_problem(flow.decide(draft["id"]), 409, "INVALID_TRANSITION")
    item = flow.targets_approved()
    refused = flow.post(item["id"], "decision", "finance", decision="fund")
    assert_problem(refused, 422, "APPROVED_AMOUNT_REQUIRED")
    assert events.outbox() == []
    assert events.deliveries() == []


def test_an_event_emitted_without_subscribers_waits_in_the_outbox(flow: Workflow, events: Events):
    item = flow.targets_approved()
    assert flow.decide(item["id"]).status_code == 200
    assert [e["event_type"] for e in events.outbox()] == ["budget.decided"]
    assert events.deliveries() == []


def test_a_deactivated_subscription_gets_no_new_deliveries(flow: Workflow, events: Events):
    subscription = events.subscribe()
    deactivated = events.client.post(
        f"/api/v1/event-subscriptions/{subscription['id']}/deactivate",
        json={"version": subscription["version"]},
        headers=events.auth("admin"),
    )
    assert deactivated.status_code == 200, deactivated.text
    item = flow.targets_approved()
    assert flow.decide(item["id"]).status_code == 200
    assert len(events.outbox()) == 1
    assert events.deliveries() == []
