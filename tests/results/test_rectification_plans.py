"""Rectification plans for items graded 中 (S2.5), filed once by the owning side."""

import pytest
from sqlalchemy import select

from perfbudget.audit.models import AuditEvent
from perfbudget.results import repository
from tests.problems import assert_problem, invalid_fields
from tests.results.conftest import RESULTS, get_json

PLAN = "/api/v1/budget-items/{}/rectification-plan"
TEXT = "调整培训方式，增加实地督导，下年度按季度报送整改进展"


def _file(flow, item_id, user="department", plan=TEXT):
    return flow.client.post(PLAN.format(item_id), json={"plan": plan}, headers=flow.auth(user))


@pytest.mark.parametrize("user", ["unit", "department"])  # the unit, or its department
def test_the_owning_side_files_a_plan_once(flow, county, db, user):
    b = county.items["B"]
    response = _file(flow, b, user)
    assert response.status_code == 201, response.text
    plan = response.json()
    assert (plan["item_id"], plan["plan"]) == (b, TEXT)
    assert plan["filed_at"].startswith("2028-03-01")
    assert_problem(_file(flow, b, user), 409, "RECTIFICATION_PLAN_EXISTS")

    for reader in ("finance", "oversight", "unit", "department"):
        assert get_json(flow, PLAN.format(b), user=reader)["plan"] == TEXT
    (row,) = [r for r in get_json(flow, RESULTS)["items"] if r["item"]["id"] == b]
    assert row["rectification_plan_on_file"] is True
    assert repository.plans_for_items(db, [b, county.items["A"], 999999]) == {b}
    assert repository.plans_for_items(db, []) == set()
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "rectification_plan.filed")
    ).one()
    assert event.changes["after"]["item_id"] == b and event.entity_id == str(plan["id"])


@pytest.mark.parametrize(
    ("key", "user"), [("A", "department"), ("F", "department"), ("C", "health"), ("D", "health")]
)
def test_only_an_item_graded_fair_takes_a_plan(flow, county, key, user):
    response = _file(flow, county.items[key], user)
    assert_problem(response, 409, "RECTIFICATION_PLAN_NOT_APPLICABLE")


def test_plans_are_refused_outside_the_owning_side(flow, county):
    b = county.items["B"]
    assert_problem(_file(flow, b, "health"), 404, "NOT_FOUND")  # not in Health's view
    assert_problem(_file(flow, 999999), 404, "NOT_FOUND")
    for user in ("finance", "oversight", "expert", "admin"):
        assert_problem(_file(flow, b, user), 403, "PERMISSION_DENIED")
    assert invalid_fields(_file(flow, b, plan="  ")) == {"body.plan"}


def test_reading_a_plan(flow, county):
    b = county.items["B"]
    assert_problem(flow.client.get(PLAN.format(b), headers=flow.auth("finance")), 404, "NOT_FOUND")
    assert _file(flow, b).status_code == 201
    assert_problem(flow.client.get(PLAN.format(b), headers=flow.auth("health")), 404, "NOT_FOUND")
    for user in ("expert", "admin", "investment"):
        assert_problem(
            flow.client.get(PLAN.format(b), headers=flow.auth(user)), 403, "PERMISSION_DENIED"
        )
