"""Issue 12: what the events say (decisions, amounts, grades, hold reasons) is finance's to
read; the admin runs the subscriptions and their delivery log without seeing the contents."""

import pytest

from tests.conftest import DEMO_USERS
from tests.events.conftest import SUBSCRIPTIONS, Events
from tests.problems import assert_problem
from tests.workflow import Workflow

EVENTS = "/api/v1/events"


@pytest.fixture
def decided(flow: Workflow, events: Events) -> dict[str, object]:
    subscription = events.subscribe(event_types=["budget.decided"])
    item = flow.targets_approved(code="JY-2027-001")
    assert flow.decide(item["id"], "987654.00").status_code == 200
    return subscription


@pytest.mark.parametrize("user", [u for u in DEMO_USERS if u != "finance"])
def test_only_finance_reads_the_contents_of_events(events: Events, decided, user: str):
    for params in ({}, {"event_type": "budget.decided"}):
        response = events.client.get(EVENTS, params=params, headers=events.auth(user))
        assert_problem(response, 403, "PERMISSION_DENIED")
        assert "987654.00" not in response.text


def test_finance_reads_the_outbox(events: Events, decided):
    response = events.client.get(EVENTS, headers=events.auth("finance"))
    assert response.status_code == 200, response.text
    [event] = response.json()["items"]
    assert (event["event_type"], event["data"]["approved_amount"]) == (
        "budget.decided",
        "987654.00",
    )


def test_the_admin_manages_subscriptions_and_deliveries_without_the_contents(
    events: Events, decided
):
    admin = events.auth("admin")
    url = f"{SUBSCRIPTIONS}/{decided['id']}"
    assert events.client.get(SUBSCRIPTIONS, headers=admin).status_code == 200
    assert events.client.get(url, headers=admin).status_code == 200
    patched = events.client.patch(url, json={"version": 1, "name": "国库"}, headers=admin)
    assert patched.status_code == 200, patched.text
    deactivated = events.client.post(f"{url}/deactivate", json={"version": 2}, headers=admin)
    assert deactivated.status_code == 200, deactivated.text

    log = events.client.get("/api/v1/event-deliveries", headers=admin)
    assert log.status_code == 200, log.text
    [delivery] = log.json()["items"]
    assert (delivery["event_type"], delivery["status"]) == ("budget.decided", "pending")
    assert "data" not in delivery and "987654.00" not in log.text
