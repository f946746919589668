"""The demo county shows the whole front gate: every state, and one item held by each gate."""

from perfbudget.demo.front_gate import load_front_gate


def test_the_demo_shows_every_state_and_every_gate(client, auth, db):
    load_front_gate(db)
    db.commit()
    items = client.get(
        "/api/v1/budget-items?fiscal_year=2027&limit=100", headers=auth("finance")
    ).json()["items"]
    states = {item["status"] for item in items}
    assert states >= {
        "draft",
        "department_review",
        "finance_review",
        "funded",
        "rejected",
        "returned",
    }
    held = {
        code
        for item in items
        if item["status"] == "finance_review"
        for code in item["gates"]["blocking"]
    }
    assert held >= {
        "TARGETS_NOT_APPROVED",
        "ASSESSMENT_REQUIRED",
        "ASSESSMENT_NOT_SUPPORTED",
        "INVESTMENT_ASSESSMENT_REQUIRED",
    }
    for item in items:
        if item["status"] == "finance_review" and item["gates"]["blocking"]:
            code = item["gates"]["blocking"][0]
            refused = client.post(
                f"/api/v1/budget-items/{item['id']}/decision",
                json={
                    "decision": "fund",
                    "approved_amount": item["requested_amount"],
                    "version": item["version"],
                },
                headers=auth("finance"),
            )
            assert refused.status_code == 409
            assert refused.json()["code"] == code
    reviews = client.get("/api/v1/assessment-reviews", headers=auth("expert")).json()
    assert reviews["total"] == 2
    package = client.get(
        "/api/v1/fiscal-years/2027/congress-package", headers=auth("oversight")
    ).json()
    assert package["item_count"] >= 4
