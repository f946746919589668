"""The monthly spending plan: cumulative, at most the approved amount (§3 time progress)."""

from tests.problems import assert_problem


def _plan(amounts):
    return {
        "months": [{"month": m, "cumulative_amount": a} for m, a in enumerate(amounts, start=1)]
    }


STEADY = [f"{m * 80000}.00" for m in range(1, 13)]  # 960,000 by December


def test_the_owner_sets_a_plan_and_everyone_who_sees_the_item_reads_it(flow, funded):
    url = f"/api/v1/budget-items/{funded['id']}/spending-plan"
    empty = flow.client.get(url, headers=flow.auth("finance")).json()
    assert empty["months"] == []
    saved = flow.client.put(url, json=_plan(STEADY), headers=flow.auth("department"))
    assert saved.status_code == 200, saved.text
    assert saved.json()["months"][5] == {"month": 6, "cumulative_amount": "480000.00"}
    read = flow.client.get(url, headers=flow.auth("oversight")).json()
    assert len(read["months"]) == 12
    assert read["approved_amount"] == "1000000.00"


def test_a_plan_is_cumulative(flow, funded):
    amounts = list(STEADY)
    amounts[6] = "1.00"
    response = flow.client.put(
        f"/api/v1/budget-items/{funded['id']}/spending-plan",
        json=_plan(amounts),
        headers=flow.auth("department"),
    )
    assert_problem(response, 422, "PLAN_NOT_CUMULATIVE")


def test_a_plan_stays_within_the_approved_amount(flow, funded):
    amounts = list(STEADY)
    amounts[11] = "1000000.01"
    response = flow.client.put(
        f"/api/v1/budget-items/{funded['id']}/spending-plan",
        json=_plan(amounts),
        headers=flow.auth("department"),
    )
    assert_problem(response, 409, "PLAN_EXCEEDS_APPROVED")


def test_every_month_once(flow, funded):
    body = _plan(STEADY)
    body["months"][3]["month"] = 3
    response = flow.client.put(
        f"/api/v1/budget-items/{funded['id']}/spending-plan",
        json=body,
        headers=flow.auth("department"),
    )
    assert_problem(response, 422, "PLAN_MONTHS_INVALID")
    short = {"months": body["months"][:11]}
    response = flow.client.put(
        f"/api/v1/budget-items/{funded['id']}/spending-plan",
        json=short,
        headers=flow.auth("department"),
    )
    assert_problem(response, 422, "VALIDATION_FAILED")


def test_only_a_funded_item_has_a_plan(flow):
    item = flow.submitted()
    response = flow.client.put(
        f"/api/v1/budget-items/{item['id']}/spending-plan",
        json=_plan(STEADY),
        headers=flow.auth("department"),
    )
    assert_problem(response, 409, "ITEM_NOT_FUNDED")


def test_other_organisations_neither_see_nor_set_it(flow, funded):
    url = f"/api/v1/budget-items/{funded['id']}/spending-plan"
    assert_problem(
        flow.client.put(url, json=_plan(STEADY), headers=flow.auth("health")), 404, "NOT_FOUND"
    )
    assert_problem(
        flow.client.put(url, json=_plan(STEADY), headers=flow.auth("unit")), 404, "NOT_FOUND"
    )
    assert_problem(
        flow.client.put(url, json=_plan(STEADY), headers=flow.auth("finance")),
        403,
        "PERMISSION_DENIED",
    )
