"""Disbursements (拨款): refused while held or stopped, never beyond the approved amount."""

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from perfbudget.errors import RuleViolation
from perfbudget.payments.models import HoldKind
from perfbudget.principal import Actor
from tests.payments.conftest import pay
from tests.problems import assert_problem


def test_finance_records_a_payment_and_the_ledger_adds_up(flow, funded):
    first = pay(flow, funded["id"], "300000.00", external_reference="GK2027-0001")
    assert first.status_code == 201, first.text
    assert first.json()["amount"] == "300000.00"
    assert pay(flow, funded["id"], "200000.50", paid_on="2027-04-01").status_code == 201
    ledger = flow.client.get(
        f"/api/v1/budget-items/{funded['id']}/disbursements", headers=flow.auth("department")
    ).json()
    assert (ledger["approved_amount"], ledger["disbursed"], ledger["remaining"]) == (
        "1000000.00",
        "500000.50",
        "499999.50",
    )
    assert [d["paid_on"] for d in ledger["items"]] == ["2027-03-15", "2027-04-01"]


def test_never_beyond_the_approved_amount(flow, funded):
    assert pay(flow, funded["id"], "999999.99").status_code == 201
    body = assert_problem(pay(flow, funded["id"], "0.02"), 409, "BUDGET_EXCEEDED")
    assert body["disbursed"] == "999999.99"
    assert pay(flow, funded["id"], "0.01").status_code == 201


def test_a_suspension_holds_the_money_until_it_is_lifted(flow, funded, hold):
    hold_id = hold(funded["id"], HoldKind.suspend)
    body = assert_problem(pay(flow, funded["id"], "10.00"), 409, "PAYMENT_HOLD")
    assert "项目进度严重滞后" in body["detail"]
    gates = flow.gates(funded["id"])
    assert gates["PAYMENT_HOLD"]["satisfied"] is False
    assert gates["ITEM_STOPPED"]["satisfied"] is True
    assert flow.get(funded["id"])["gates"]["blocking"] == ["PAYMENT_HOLD"]
    from perfbudget.payments import service

    service.lift_suspension(flow.db, Actor.system("t"), hold_id, "整改到位")
    flow.db.commit()
    assert pay(flow, funded["id"], "10.00").status_code == 201
    assert flow.gates(funded["id"])["PAYMENT_HOLD"]["satisfied"] is True


def test_a_stop_is_final_and_reports_the_unspent_balance(flow, funded, hold):
    assert pay(flow, funded["id"], "250000.00").status_code == 201
    hold_id = hold(funded["id"], HoldKind.stop, "虚报冒领")
    assert_problem(pay(flow, funded["id"], "10.00"), 409, "ITEM_STOPPED")
    holds = flow.client.get(
        f"/api/v1/budget-items/{funded['id']}/holds", headers=flow.auth("oversight")
    ).json()["items"]
    assert holds[0]["kind"] == "stop"
    assert holds[0]["unspent_balance"] == "750000.00"
    assert holds[0]["active"] is True
    from perfbudget.payments import service

    with pytest.raises(RuleViolation) as refused:
        service.lift_suspension(flow.db, Actor.system("t"), hold_id, "想恢复")
    assert refused.value.code == "HOLD_NOT_LIFTABLE"
    with pytest.raises(RuleViolation) as again:
        hold(funded["id"], HoldKind.suspend)
    assert again.value.code == "ITEM_STOPPED"
    assert flow.gates(funded["id"], lang="en")["ITEM_STOPPED"]["message"].endswith("虚报冒领")


def test_only_funded_items_take_payments(flow):
    item = flow.submitted()
    assert_problem(pay(flow, item["id"], "10.00"), 409, "ITEM_NOT_FUNDED")


def test_payment_dates_fall_in_the_fiscal_year(flow, funded):
    assert_problem(
        pay(flow, funded["id"], "10.00", paid_on="2026-12-31"),
        422,
        "DISBURSEMENT_DATE_OUTSIDE_YEAR",
    )


def test_a_treasury_payment_number_is_recorded_once(flow, funded):
    assert pay(flow, funded["id"], "10.00", external_reference="GK-1").status_code == 201
    assert_problem(
        pay(flow, funded["id"], "10.00", external_reference="GK-1"), 409, "DUPLICATE_REFERENCE"
    )


def test_only_finance_records_payments(flow, funded):
    for user in ("department", "oversight", "admin", "investment"):
        assert_problem(pay(flow, funded["id"], "10.00", user=user), 403, "PERMISSION_DENIED")
    assert_problem(pay(flow, funded["id"], "0"), 422, "VALIDATION_FAILED")


def test_payments_are_audited(flow, funded):
    pay(flow, funded["id"], "12.34")
    events = flow.client.get(
        "/api/v1/audit-events",
        params={"action": "disbursement.recorded", "entity_id": str(funded["id"])},
        headers=flow.auth("finance"),
    ).json()["items"]
    assert events[0]["changes"]["after"]["amount"] == "12.34"


def test_concurrent_payments_never_pass_the_approved_amount(tmp_path):
    """Real threads on separate connections: the item row lock lets one of two 600,000
    payments through against 1,000,000 approved (PostgreSQL: SELECT … FOR UPDATE)."""
    from tests.payments.race import funded_item_in_fresh_database, race

    with funded_item_in_fresh_database(tmp_path) as (engine, item_id):
        outcomes = race(engine, item_id, [Decimal("600000.00")] * 2)
        assert sorted(outcomes) == ["BUDGET_EXCEEDED", "ok"]
        with Session(engine) as session:
            from perfbudget.payments import repository

            assert repository.disbursed_totals(session, [item_id])[item_id] == Decimal("600000.00")
        outcomes = race(engine, item_id, [Decimal("100000.00")] * 8)
        assert outcomes.count("ok") == 4
        assert outcomes.count("BUDGET_EXCEEDED") == 4
