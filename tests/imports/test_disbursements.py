"""The treasury feed: disbursements uploaded by finance, every format, all or nothing."""

import pytest

from tests.imports.conftest import FORMATS
from tests.problems import assert_problem


def payment(item_id: int, amount: str = "1000.00", **fields: str) -> dict[str, object]:
    return {
        "item_id": item_id,
        "amount": amount,
        "paid_on": "2027-03-15",
        "purpose": "拨付项目资金",
        "external_reference": "",
        **fields,
    }


def ledger(monitor, item_id):
    response = monitor.client.get(
        f"/api/v1/budget-items/{item_id}/disbursements", headers=monitor.auth("finance")
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("chinese", [True, False])
def test_each_format_with_either_header_imports_every_row(monitor, send, fmt, chinese):
    item = monitor.funded()
    rows = [
        payment(item["id"], "1000.00", external_reference="GK-1"),
        payment(item["id"], "250.50"),
    ]
    response = send("disbursements", rows, fmt, chinese=chinese)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["kind"], body["rows"], body["imported"]) == ("disbursements", 2, 2)
    book = ledger(monitor, item["id"])
    assert book["disbursed"] == "1250.50"
    assert {entry["source"] for entry in book["items"]} == {"treasury"}
    assert {entry["purpose"] for entry in book["items"]} == {"拨付项目资金"}


def test_one_bad_row_among_a_thousand_writes_nothing_and_is_named(monitor, send):
    item = monitor.funded()
    rows = [payment(item["id"], "100.00") for _ in range(1000)]
    rows[499] = payment(item["id"], "一百元")  # file row 501
    rows[700] = payment(999999, "100.00")  # file row 702
    body = assert_problem(send("disbursements", rows), 422, "IMPORT_REJECTED")
    assert body["rows"] == 1000
    assert body["error_count"] == 2
    found = {(e["row"], e["column"], e["code"]) for e in body["errors"]}
    assert found == {(501, "amount", "FIELD_INVALID"), (702, "item_id", "NOT_FOUND")}
    named = next(e for e in body["errors"] if e["row"] == 702)
    assert named["column_zh"] == "项目编号"
    assert named["message_zh"] and named["message_en"]
    assert ledger(monitor, item["id"])["items"] == []
    page = monitor.client.get("/api/v1/imports/runs", headers=monitor.auth("finance")).json()
    runs = page["items"]
    assert runs[0]["outcome"] == "rejected"
    assert runs[0]["row_count"] == 1000
    assert len(runs[0]["errors"]) == 2


def test_rules_of_the_single_endpoint_apply_per_row(monitor, send):
    item = monitor.funded("1000.00")
    rows = [
        payment(item["id"], "600.00", external_reference="GK-9"),
        payment(item["id"], "600.00"),  # together past the approved 1000
        payment(item["id"], "10.00", external_reference="GK-9"),
        payment(item["id"], "10.00", paid_on="2026-12-31"),
    ]
    body = assert_problem(send("disbursements", rows), 422, "IMPORT_REJECTED")
    found = {(e["row"], e["column"], e["code"]) for e in body["errors"]}
    assert found == {
        (3, "amount", "BUDGET_EXCEEDED"),
        (4, "external_reference", "DUPLICATE_REFERENCE"),
        (5, "paid_on", "DISBURSEMENT_DATE_OUTSIDE_YEAR"),
    }
    assert ledger(monitor, item["id"])["items"] == []


def test_a_dry_run_checks_everything_and_writes_nothing(monitor, send):
    item = monitor.funded()
    response = send("disbursements", [payment(item["id"])], params={"dry_run": "true"})
    assert response.status_code == 200, response.text
    assert response.json()["dry_run"] is True
    assert response.json()["errors"] == []
    assert ledger(monitor, item["id"])["items"] == []
    bad = send("disbursements", [payment(999999)], params={"dry_run": "true"})
    assert assert_problem(bad, 422, "IMPORT_REJECTED")["errors"][0]["code"] == "NOT_FOUND"


def test_a_department_cannot_upload_what_it_may_not_record(monitor, send):
    item = monitor.funded()
    response = send("disbursements", [payment(item["id"])], user="department")
    assert_problem(response, 403, "PERMISSION_DENIED")
    assert ledger(monitor, item["id"])["items"] == []


def test_an_upload_is_recorded_and_audited(monitor, send):
    item = monitor.funded()
    response = send("disbursements", [payment(item["id"])])
    run_id = response.json()["import_run_id"]
    runs = monitor.client.get("/api/v1/imports/runs", headers=monitor.auth("department")).json()
    assert all(run["id"] != run_id for run in runs["items"])  # a department sees only its own
    events = monitor.client.get(
        "/api/v1/audit-events",
        params={"entity_type": "import_run", "entity_id": str(run_id)},
        headers=monitor.auth("finance"),
    ).json()["items"]
    assert [event["action"] for event in events] == ["import.imported"]
