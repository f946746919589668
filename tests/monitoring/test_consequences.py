"""What finance does about a report (S2.3.2): accept, rectify, suspend or stop payments, and
the rectification that answers and, once verified, lifts a suspension."""

import io
from datetime import date

from tests.monitoring.conftest import RECTIFICATIONS, audit_actions
from tests.problems import assert_problem

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
BEHIND = {
    "cumulative_execution": "100000.00",
    "deviation_reasons": "项目招标延期",
    "corrective_measures": "加快招标进度",
}


def upload(monitor, rectification_id, user="unit", name="整改报告.pdf", content=PDF):
    return monitor.client.post(
        f"{RECTIFICATIONS}/{rectification_id}/attachments",
        files={"file": (name, io.BytesIO(content), "application/pdf")},
        headers=monitor.auth(user),
    )


def pay(monitor, item_id, amount="10000.00"):
    return monitor.client.post(
        f"/api/v1/budget-items/{item_id}/disbursements",
        json={"amount": amount, "paid_on": "2027-07-05", "purpose": "拨付项目资金"},
        headers=monitor.auth("finance"),
    )


def test_the_whole_chain_from_unit_to_a_lifted_suspension(monitor):
    item = monitor.funded(user="unit", org="201001")
    item_id = item["id"]
    monitor.pay(item_id, "100000.00")
    report = monitor.submitted(item_id, user="unit", **BEHIND)
    assert (report["status"], report["item_light"]) == ("department_review", "red")
    monitor.act(item_id, 6, "department-review", "department", decision="approve")
    suspended = monitor.decided(item_id, "suspend", reason="执行进度严重滞后（红灯）")
    assert suspended["status"] == "suspended"
    assert suspended["review_reason"] == "执行进度严重滞后（红灯）"
    hold = suspended["hold"]
    assert hold["kind"] == "suspend" and hold["lifted_at"] is None
    assert hold["reason"] == "执行进度严重滞后（红灯）"
    assert_problem(pay(monitor, item_id), 409, "PAYMENT_HOLD")

    rectification = monitor.rectification(suspended["rectification_id"], user="unit")
    assert rectification["status"] == "open"
    assert rectification["hold_id"] == hold["id"]
    assert rectification["report_id"] == suspended["id"]
    assert rectification["month"] == 6
    assert rectification["item_name"] == item["name"]
    assert rectification["organisation"]["code"] == "201001"
    assert rectification["deadline"] == "2027-08-31"
    assert rectification["overdue"] is False

    evidence = upload(monitor, rectification["id"])
    assert evidence.status_code == 201, evidence.text
    answered = monitor.rectification_post(
        rectification["id"], "response", "unit", measures_taken="已完成招标并签订合同"
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered"
    assert [a["filename"] for a in answered.json()["attachments"]] == ["整改报告.pdf"]
    download = monitor.client.get(
        f"{RECTIFICATIONS}/{rectification['id']}/attachments/{evidence.json()['id']}",
        headers=monitor.auth("finance"),
    )
    assert download.status_code == 200 and download.content == PDF

    rejected = monitor.rectification_post(
        rectification["id"], "verification", "finance", decision="rejected", note="合同未附"
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["verification_note"] == "合同未附"
    assert_problem(pay(monitor, item_id), 409, "PAYMENT_HOLD")  # the hold stays

    assert upload(monitor, rectification["id"], name="合同.pdf").status_code == 201
    monitor.rectification_post(
        rectification["id"], "response", "unit", measures_taken="已补充合同扫描件"
    )
    accepted = monitor.rectification_post(
        rectification["id"], "verification", "finance", decision="accepted"
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["verified_at"] is not None
    (lifted,) = monitor.holds(item_id)
    assert lifted["active"] is False and lifted["lifted_at"] is not None
    assert pay(monitor, item_id).status_code == 201
    assert monitor.read(item_id)["hold"]["lifted_at"] is not None

    assert audit_actions(monitor, "rectification", rectification["id"]) == [
        "rectification.ordered",
        "rectification.answered",
        "rectification.rejected",
        "rectification.answered",
        "rectification.accepted",
    ]
    assert audit_actions(monitor, "monitoring_report", report["id"])[-2:] == [
        "monitoring_report.department_approved",
        "monitoring_report.payments_suspended",
    ]
    item_actions = audit_actions(monitor, "budget_item", item_id)
    assert "payment_hold.suspend" in item_actions and "payment_hold.lifted" in item_actions


def test_rectification_without_a_hold(monitor):
    item = monitor.funded()
    monitor.submitted(item["id"], **BEHIND)
    ordered = monitor.decided(item["id"], "rectify", required_measures="补充绩效佐证材料")
    assert ordered["status"] == "rectify"
    assert ordered["hold"] is None
    rectification = monitor.rectification(ordered["rectification_id"])
    assert (rectification["hold_id"], rectification["required_measures"]) == (
        None,
        "补充绩效佐证材料",
    )
    assert pay(monitor, item["id"]).status_code == 201  # payments go on
    monitor.rectification_post(
        rectification["id"], "response", "department", measures_taken="已补充"
    )
    accepted = monitor.rectification_post(
        rectification["id"], "verification", "finance", decision="accepted", note="到位"
    )
    assert accepted.json()["status"] == "accepted"
    assert monitor.holds(item["id"]) == []


def test_stopping_payments_reports_the_unspent_balance(monitor):
    item = monitor.funded()
    monitor.pay(item["id"], "100000.00")
    monitor.submitted(item["id"], **BEHIND)
    stopped = monitor.decided(item["id"], "stop", reason="项目已无实施条件")
    assert stopped["status"] == "stopped"
    assert stopped["rectification_id"] is None
    assert stopped["hold"]["kind"] == "stop"
    assert stopped["hold"]["unspent_balance"] == "900000.00"
    assert_problem(pay(monitor, item["id"]), 409, "ITEM_STOPPED")
    assert audit_actions(monitor, "monitoring_report", stopped["id"])[-1] == (
        "monitoring_report.payments_stopped"
    )


def test_accepting_changes_nothing_else(monitor):
    item = monitor.funded()
    monitor.submitted(item["id"])
    accepted = monitor.decided(item["id"], "accept")
    assert (accepted["status"], accepted["rectification_id"], accepted["hold"]) == (
        "accepted",
        None,
        None,
    )


def test_rectification_refusals(monitor):
    item = monitor.funded()
    monitor.submitted(item["id"], **BEHIND)
    rectification_id = monitor.decided(item["id"], "suspend")["rectification_id"]
    assert_problem(
        monitor.rectification_post(
            rectification_id, "verification", "finance", decision="accepted"
        ),
        409,
        "INVALID_TRANSITION",
    )
    empty = monitor.rectification_post(
        rectification_id, "response", "department", measures_taken=" "
    )
    assert_problem(empty, 422, "VALIDATION_FAILED")
    monitor.rectification_post(rectification_id, "response", "department", measures_taken="已整改")
    assert_problem(
        monitor.rectification_post(
            rectification_id, "response", "department", measures_taken="再报"
        ),
        409,
        "INVALID_TRANSITION",
    )
    assert_problem(
        upload(monitor, rectification_id, user="department"), 409, "RECTIFICATION_NOT_OPEN"
    )
    assert_problem(
        monitor.rectification_post(
            rectification_id, "verification", "finance", decision="rejected"
        ),
        422,
        "REASON_REQUIRED",
    )
    stale = monitor.rectification(rectification_id)["version"] - 1
    assert_problem(
        monitor.rectification_post(
            rectification_id, "verification", "finance", decision="accepted", version=stale
        ),
        409,
        "VERSION_CONFLICT",
    )
    monitor.rectification_post(rectification_id, "verification", "finance", decision="accepted")
    assert_problem(
        monitor.rectification_post(
            rectification_id, "verification", "finance", decision="rejected", note="x"
        ),
        409,
        "INVALID_TRANSITION",
    )
    assert_problem(
        monitor.rectification_post(
            rectification_id, "response", "department", measures_taken="再报"
        ),
        409,
        "INVALID_TRANSITION",
    )


def test_evidence_is_pdf_word_or_excel(monitor):
    item = monitor.funded()
    monitor.submitted(item["id"], **BEHIND)
    rectification_id = monitor.decided(item["id"], "rectify")["rectification_id"]
    refused = upload(
        monitor, rectification_id, user="department", name="photo.png", content=b"\x89PNG"
    )
    assert_problem(refused, 415, "ATTACHMENT_TYPE_NOT_ALLOWED")


def test_overdue_rectifications_are_listed(monitor, set_today):
    first = monitor.funded(execute=False)
    second = monitor.funded(user="unit", org="201001")
    monitor.submitted(first["id"], **BEHIND)
    early = monitor.decided(first["id"], "rectify", deadline="2027-07-20")["rectification_id"]
    monitor.submitted(second["id"], user="unit", **BEHIND)
    monitor.act(second["id"], 6, "department-review", "department", decision="approve")
    late = monitor.decided(second["id"], "suspend", deadline="2027-09-30")["rectification_id"]

    def listed(user="finance", **params):
        response = monitor.client.get(RECTIFICATIONS, params=params, headers=monitor.auth(user))
        assert response.status_code == 200, response.text
        return [row["id"] for row in response.json()["items"]]

    assert listed() == [early, late]  # by deadline
    assert listed(overdue="true") == []
    set_today(date(2027, 7, 21))
    assert listed(overdue="true") == [early]
    assert listed(overdue="false") == [late]
    assert monitor.rectification(early)["overdue"] is True
    assert listed(item_id=second["id"]) == [late]
    assert listed(organisation_id=monitor.flow.org_id("201001")) == [late]
    assert listed(status="open") == [early, late]
    monitor.rectification_post(early, "response", "department", measures_taken="已整改")
    assert listed(status="answered") == [early]
    assert listed(overdue="true") == [early]  # answered is not yet accepted
    monitor.rectification_post(early, "verification", "finance", decision="accepted")
    assert listed(overdue="true") == []
    assert monitor.rectification(early)["overdue"] is False
    # the unit sees its own; the parent department its subtree
    assert listed("unit") == [late]
    assert listed("department") == [early, late]
