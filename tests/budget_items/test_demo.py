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


def test_the_demo_year_in_execution_shows_lights_a_hold_and_a_rectification(client, auth, db):
    from perfbudget.demo.execution import load_execution

    load_execution(db)
    db.commit()
    finance = auth("finance")
    items = client.get("/api/v1/budget-items?fiscal_year=2026&limit=100", headers=finance).json()[
        "items"
    ]
    lights = set()
    for item in items:
        report = client.get(
            f"/api/v1/budget-items/{item['id']}/monitoring-reports/10", headers=finance
        ).json()
        lights.add(report["item_light"])
    assert lights == {"green", "blue", "yellow", "red"}
    held = [item for item in items if "PAYMENT_HOLD" in item["gates"]["blocking"]]
    assert len(held) == 1
    refused = client.post(
        f"/api/v1/budget-items/{held[0]['id']}/disbursements",
        json={"amount": "1.00", "paid_on": "2026-11-20", "purpose": "试拨"},
        headers=finance,
    )
    assert refused.json()["code"] == "PAYMENT_HOLD"
    open_orders = client.get("/api/v1/rectifications?status=open", headers=finance).json()
    assert open_orders["total"] == 2  # one with the suspension, one on its own


def test_the_demo_closed_year_shows_grades_a_circular_and_disclosures(client, auth, db):
    from perfbudget.demo.closed_year import load_closed_year

    load_front_gate(db)
    load_closed_year(db)
    db.commit()
    ledger = client.get(
        "/api/v1/fiscal-years/2025/results?limit=100", headers=auth("oversight")
    ).json()
    assert {row["grade"] for row in ledger["items"]} == {"excellent", "good", "fair", "poor"}
    assert (
        client.get("/api/v1/fiscal-years/2025", headers=auth("finance")).json()["status"]
        == "closed"
    )
    circular = client.get("/public/v1/fiscal-years/2025/circular")
    assert circular.status_code == 200
    assert circular.json()["ranking"]
    for kind in ("targets", "results"):
        published = client.get(f"/public/v1/fiscal-years/2025/{kind}").json()
        assert len(published["publications"]) == 4
    held = client.get(
        "/api/v1/budget-items?fiscal_year=2027&search=客运", headers=auth("finance")
    ).json()["items"]
    assert held[0]["gates"]["blocking"] == ["POOR_RESULT_REQUIRES_REDUCTION"]
    assert held[0]["predecessor_grade"] == "poor"
