"""Set-based uploads (issue 11): re-uploads replace drafts with the version they read, the
upload is one audit event that each object's trail shows, an imported item's history names
its run, the statements of an upload do not grow with its rows, the write checks again,
one upload per user at a time, and blank rows count toward the limit."""

import hashlib
import io
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import Workbook

from perfbudget import clock
from perfbudget.imports import parsing
from perfbudget.imports.models import ImportOutcome, ImportRun
from perfbudget.payments import batch as payment_batch
from perfbudget.payments import service as payment_service
from perfbudget.payments.schemas import DisbursementCreate
from tests.imports.conftest import IMPORTS, XLSX, encode
from tests.imports.test_budget_items_and_targets import item_row, target_rows
from tests.imports.test_disbursements import ledger, payment
from tests.imports.test_indicator_library import indicator
from tests.imports.test_monitoring import report_rows
from tests.imports.test_self_evaluation import evaluation_rows as first_evaluation_rows
from tests.problems import assert_problem


def events(client: Any, auth: Any, **params: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/v1/audit-events", params={"limit": "100", **params}, headers=auth("finance")
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def evaluation_rows(monitor, item_id: int, submit: str) -> list[dict[str, Any]]:
    """The item's self-evaluation rows; to submit, a second upload carries the version."""
    rows = first_evaluation_rows(monitor, item_id)
    for row in rows:
        row.update(problems="无", improvements="持续改进")
        if submit == "true":
            row["version"] = 1
    return rows


def me(client: Any, auth: Any, user: str) -> int:
    return int(client.get("/api/v1/auth/me", headers=auth(user)).json()["id"])


# --- drafts replaced by a later upload --------------------------------------------------------


def test_a_report_uploaded_again_needs_the_version_it_read(monitor, send):
    item = monitor.funded()
    assert send("monitoring-reports", report_rows(monitor, item["id"]), user="department")
    first = monitor.read(item["id"], 6)
    assert first["version"] == 1

    again = report_rows(monitor, item["id"], cumulative_execution="600000.00")
    body = assert_problem(
        send("monitoring-reports", again, user="department"), 422, "IMPORT_REJECTED"
    )
    assert {(e["column"], e["code"]) for e in body["errors"]} == {("version", "VERSION_REQUIRED")}

    for row in again:
        row["version"] = 1
    response = send("monitoring-reports", again, user="department")
    assert response.status_code == 201, response.text
    second = monitor.read(item["id"], 6)
    assert second["version"] == 2
    assert second["cumulative_execution"] == "600000.00"
    assert len(second["lines"]) == len(first["lines"])

    stale = assert_problem(
        send("monitoring-reports", again, user="department"), 422, "IMPORT_REJECTED"
    )
    assert {(e["column"], e["code"]) for e in stale["errors"]} == {("version", "VERSION_CONFLICT")}


def test_targets_uploaded_again_replace_the_draft_set(flow, send):
    item = flow.create()
    assert send("target-lines", target_rows(item["id"]), user="department").status_code == 201
    targets = flow.targets(item["id"])
    rows = target_rows(item["id"])[:3]
    for row in rows:
        row.update(version=targets["version"], overall_goal="修订后的总体目标")
    response = send("target-lines", rows, user="department")
    assert response.status_code == 201, response.text
    revised = flow.targets(item["id"])
    assert revised["version"] == targets["version"] + 1
    assert revised["overall_goal"] == "修订后的总体目标"
    assert [line["name"] for line in revised["lines"]] == [row["name"] for row in rows]


def test_an_upload_submits_as_the_endpoint_would_and_refuses_what_it_refuses(monitor, send):
    item = monitor.funded()
    # a red light without reasons and measures: refused at submission (S2.3.1)
    behind = report_rows(monitor, item["id"], cumulative_execution="10000.00")
    body = assert_problem(
        send("monitoring-reports", behind, user="department", params={"submit": "true"}),
        422,
        "IMPORT_REJECTED",
    )
    assert {e["code"] for e in body["errors"]} == {"DEVIATION_EXPLANATION_REQUIRED"}
    assert monitor.calendar(item["id"])["months"][5]["report"] is None

    explained = report_rows(
        monitor,
        item["id"],
        cumulative_execution="10000.00",
        deviation_reasons="招标延期",
        corrective_measures="加快实施",
    )
    response = send("monitoring-reports", explained, user="department", params={"submit": "true"})
    assert response.status_code == 201, response.text
    report = monitor.read(item["id"], 6)
    assert report["status"] == "finance_review"
    assert report["item_light"] == "red"
    assert report["lights"]["preview"] is False
    assert report["submitted_at"] is not None


# --- the audited act is the upload ---------------------------------------------------------------


def test_an_upload_is_one_audit_event_that_each_report_trail_shows(monitor, send):
    first, second = monitor.funded(execute=False), monitor.funded(execute=False)
    monitor.start_execution()
    rows = report_rows(monitor, first["id"]) + report_rows(monitor, second["id"])
    body, content_type = encode("monitoring-reports", rows, "csv")
    response = monitor.client.post(
        f"{IMPORTS}/monitoring-reports",
        content=body,
        headers={
            **monitor.auth("department"),
            "Content-Type": content_type,
            "X-Filename": "june-monitoring.csv",
        },
    )
    assert response.status_code == 201, response.text
    run_id = response.json()["import_run_id"]

    (event,) = events(monitor.client, monitor.auth, entity_type="import_run", entity_id=str(run_id))
    assert event["action"] == "import.imported"
    changes = event["changes"]
    assert changes["sha256"] == hashlib.sha256(body).hexdigest()
    assert (changes["kind"], changes["filename"], changes["rows"], changes["dry_run"]) == (
        "monitoring-reports",
        "june-monitoring.csv",
        len(rows),
        False,
    )
    report_ids = {monitor.read(first["id"], 6)["id"], monitor.read(second["id"], 6)["id"]}
    assert set(changes["created"]["monitoring_report"]) == report_ids

    for report_id in report_ids:
        trail = events(
            monitor.client, monitor.auth, entity_type="monitoring_report", entity_id=str(report_id)
        )
        assert [e["seq"] for e in trail] == [event["seq"]]  # no event per report
    runs = monitor.client.get(f"{IMPORTS}/runs", headers=monitor.auth("department")).json()["items"]
    assert (runs[0]["id"], runs[0]["outcome"], runs[0]["imported"]) == (run_id, "imported", 2)
    assert runs[0]["sha256"] == changes["sha256"]
    verified = monitor.client.get("/api/v1/audit-events/verify", headers=monitor.auth("oversight"))
    assert verified.json()["intact"] is True


def test_an_imported_item_history_names_its_run(flow, send):
    org = flow.org_id("201")
    response = send("budget-items", [item_row(org, "导入历史项目")], user="department")
    assert response.status_code == 201, response.text
    run_id = response.json()["import_run_id"]
    listed = flow.client.get(
        "/api/v1/budget-items", params={"search": "导入历史项目"}, headers=flow.auth("department")
    ).json()["items"]
    (item,) = listed
    history = flow.client.get(
        f"/api/v1/budget-items/{item['id']}/history", headers=flow.auth("department")
    ).json()["items"]
    steps = [(e["action"], e["from_status"], e["to_status"], e["import_run_id"]) for e in history]
    assert steps == [("imported", None, "draft", run_id)]
    trail = events(flow.client, flow.auth, entity_type="budget_item", entity_id=str(item["id"]))
    assert [(e["action"], e["entity_id"]) for e in trail] == [("import.imported", str(run_id))]


def test_payments_show_in_their_item_trail(monitor, send):
    item = monitor.funded()
    response = send("disbursements", [payment(item["id"]), payment(item["id"], "20.00")])
    assert response.status_code == 201, response.text
    (event,) = events(
        monitor.client, monitor.auth, entity_type="budget_item", entity_id=str(item["id"])
    )[:1]
    assert event["action"] == "import.imported"
    recorded = {entry["id"] for entry in ledger(monitor, item["id"])["items"]}
    assert set(event["changes"]["created"]["disbursement"]) == recorded


def test_the_rejection_counts_its_errors_in_words(monitor, send):
    item = monitor.funded()
    one = send("disbursements", [payment(999999)], language="en")
    assert_problem(one, 422, "IMPORT_REJECTED")
    assert one.json()["detail"] == "1 error in the upload; nothing was written."
    two = send("disbursements", [payment(999999), payment(999998)], language="en")
    assert two.json()["detail"] == "2 errors in the upload; nothing was written."
    assert two.json()["error_count"] == 2
    zh = send("disbursements", [payment(999999), payment(item["id"])])
    assert zh.json()["detail"] == "上传文件有 1 处错误，未写入任何数据。"


def test_a_rejected_or_dry_upload_is_one_event_naming_no_object(monitor, send):
    item = monitor.funded()
    dry = send("disbursements", [payment(item["id"])], params={"dry_run": "true"})
    assert dry.status_code == 200, dry.text
    bad = send("disbursements", [payment(999999)])
    assert_problem(bad, 422, "IMPORT_REJECTED")
    for run_id, action in (
        (dry.json()["import_run_id"], "import.validated"),
        (bad.json()["import_run_id"], "import.rejected"),
    ):
        (event,) = events(
            monitor.client, monitor.auth, entity_type="import_run", entity_id=str(run_id)
        )
        assert event["action"] == action
        assert "created" not in event["changes"]
    assert events(monitor.client, monitor.auth, entity_type="budget_item", entity_id="999999") == []


# --- a fixed number of statements, whatever the size ---------------------------------------------


def _statements(count_queries, send, kind: str, rows: list[dict[str, Any]], **kw: Any) -> int:
    before = count_queries.count
    response = send(kind, rows, **kw)
    assert response.status_code == 201, response.text
    return count_queries.count - before


def test_the_statements_of_an_upload_do_not_grow_with_its_rows(monitor, send, count_queries):
    count_queries.statements.clear()
    items = [monitor.funded(execute=False) for _ in range(4)]
    monitor.start_execution()
    one = report_rows(monitor, items[0]["id"], month=5)
    three = [row for item in items[1:] for row in report_rows(monitor, item["id"], month=5)]
    for submit in ("false", "true"):
        month = 5 if submit == "false" else 4
        small = [{**row, "month": month} for row in one]
        large = [{**row, "month": month} for row in three]
        counts = [
            _statements(
                count_queries,
                send,
                "monitoring-reports",
                rows,
                user="department",
                params={"submit": submit},
            )
            for rows in (small, large)
        ]
        assert counts[0] == counts[1], (submit, counts)

    payments = [
        _statements(count_queries, send, "disbursements", [payment(item["id"], "1.00")] * size)
        for item, size in ((items[0], 2), (items[1], 40))
    ]
    assert payments[0] == payments[1]

    org = monitor.flow.org_id("201")
    created = [
        _statements(
            count_queries,
            send,
            "budget-items",
            [item_row(org, f"计数项目{size}-{n}", mid_year_addition="是") for n in range(size)],
            user="department",
        )
        for size in (2, 40)
    ]
    assert created[0] == created[1]


def test_the_statements_of_target_and_library_uploads_are_fixed(flow, send, count_queries):
    org = flow.org_id("201")
    one, three = [flow.create()], [flow.create() for _ in range(3)]
    targets = [
        _statements(
            count_queries,
            send,
            "target-lines",
            [row for item in items for row in target_rows(item["id"])],
            user="department",
        )
        for items in (one, three)
    ]
    assert targets[0] == targets[1]
    library = [
        _statements(
            count_queries,
            send,
            "indicator-library",
            [indicator(org, f"计数指标{size}-{n}") for n in range(size)],
            user="department",
        )
        for size in (1, 30)
    ]
    assert library[0] == library[1]


def test_the_statements_of_self_evaluation_uploads_are_fixed(
    monitor, send, count_queries, set_today
):
    items = [monitor.funded(execute=False) for _ in range(3)]
    monitor.start_execution()
    set_today(date(2028, 1, 20))
    for submit in ("false", "true"):
        counts = [
            _statements(
                count_queries,
                send,
                "self-evaluation-actuals",
                [row for item in group for row in evaluation_rows(monitor, item["id"], submit)],
                user="department",
                params={"submit": submit},
            )
            for group in (items[:1], items[1:])
        ]
        assert counts[0] == counts[1], (submit, counts)


# --- the write checks again -------------------------------------------------------------------


def test_the_write_checks_again_what_changed_since_the_check(monitor, send, monkeypatch, db):
    """A payment recorded between the check and the write (by another user) is seen by the
    write's own check: the upload is refused and writes nothing."""
    item = monitor.funded("1000.00")
    plan = payment_batch.plan

    def meanwhile(session, actor, entries, *, lock=False):
        if lock:  # the write's transaction: another payment got in first
            data = DisbursementCreate(amount="900.00", paid_on="2027-03-01", purpose="先拨付")
            payment_service.record_disbursement(session, actor, item["id"], data)
        return plan(session, actor, entries, lock=lock)

    monkeypatch.setattr(payment_batch, "plan", meanwhile)
    body = assert_problem(
        send("disbursements", [payment(item["id"], "200.00")]), 422, "IMPORT_REJECTED"
    )
    assert [(e["row"], e["code"]) for e in body["errors"]] == [(2, "BUDGET_EXCEEDED")]
    assert "200.00" not in [entry["amount"] for entry in ledger(monitor, item["id"])["items"]]


# --- one upload per user at a time -------------------------------------------------------------


def _running(db, user_id: int, minutes_ago: int = 0) -> ImportRun:
    run = ImportRun(
        kind="disbursements",
        user_id=user_id,
        filename=None,
        content_type="text/csv",
        dry_run=False,
        outcome=ImportOutcome.running,
        row_count=0,
        imported=0,
        errors=[],
        created_at=clock.utcnow() - timedelta(minutes=minutes_ago),
    )
    db.add(run)
    db.flush()
    return run


def test_a_second_upload_of_the_same_user_waits_its_turn(monitor, send, db):
    item = monitor.funded()
    _running(db, me(monitor.client, monitor.auth, "finance"))
    refused = send("disbursements", [payment(item["id"])])
    assert_problem(refused, 429, "IMPORT_IN_PROGRESS")
    assert int(refused.headers["Retry-After"]) > 0
    assert ledger(monitor, item["id"])["items"] == []
    # another user is not held up
    other = send("monitoring-reports", report_rows(monitor, item["id"]), user="department")
    assert other.status_code == 201, other.text


def test_a_run_cut_short_long_ago_no_longer_blocks(monitor, send, db):
    item = monitor.funded()
    stale = _running(db, me(monitor.client, monitor.auth, "finance"), minutes_ago=60)
    response = send("disbursements", [payment(item["id"])])
    assert response.status_code == 201, response.text
    db.refresh(stale)
    assert stale.outcome is ImportOutcome.abandoned
    assert stale.finished_at is not None


# --- what a file may be --------------------------------------------------------------------------


def _post(flow, body: bytes, content_type: str):
    return flow.client.post(
        f"{IMPORTS}/disbursements",
        content=body,
        headers={**flow.auth("finance"), "Content-Type": content_type},
    )


def test_blank_rows_count_toward_the_limit(flow, monkeypatch):
    monkeypatch.setattr(parsing, "MAX_ROWS", 5)
    header = "项目编号,拨款金额（元）,拨款日期,用途\n"
    csv_body = (header + "1,1.00,2027-03-15,拨款\n" + ",,,\n" * 5).encode()
    problem = assert_problem(_post(flow, csv_body, "text/csv"), 413, "IMPORT_TOO_MANY_ROWS")
    assert problem["limit_rows"] == 5

    blank_json = b"[" + b",".join([b'{"item_id": ""}'] * 6) + b"]"
    assert_problem(_post(flow, blank_json, "application/json"), 413, "IMPORT_TOO_MANY_ROWS")

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["项目编号", "拨款金额（元）", "拨款日期", "用途"])
    sheet.cell(row=400, column=1, value="")  # a sheet that says it runs to row 400
    sheet.cell(row=400, column=2, value=" ")
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert_problem(_post(flow, buffer.getvalue(), XLSX), 413, "IMPORT_TOO_MANY_ROWS")

    runs = flow.client.get(f"{IMPORTS}/runs", headers=flow.auth("finance")).json()["items"]
    assert runs[0]["outcome"] == "refused"
    assert runs[0]["errors"][0]["code"] == "IMPORT_TOO_MANY_ROWS"


@pytest.mark.parametrize(
    "body", [b"\xe9\xa1\xb9\xe7\x9b\xae\xe7\xbc\x96\xe5\x8f\xb7\n", b"item_id\n,\n\n", b"[]"]
)
def test_a_file_without_a_data_row_is_refused(flow, body):
    content_type = "application/json" if body.startswith(b"[") else "text/csv"
    assert_problem(_post(flow, body, content_type), 422, "IMPORT_EMPTY")


def test_ids_beyond_what_a_row_can_have_are_named_not_a_500(monitor, send):
    item = monitor.funded()
    huge = 99999999999999999999
    body = assert_problem(
        send("disbursements", [payment(huge), payment(item["id"], "0.00")]),
        422,
        "IMPORT_REJECTED",
    )
    assert {(e["row"], e["column"], e["code"]) for e in body["errors"]} == {
        (2, "item_id", "FIELD_INVALID"),
        (3, "amount", "FIELD_INVALID"),
    }
    rows = report_rows(monitor, item["id"])
    rows[0]["target_line_id"] = 2**63
    body = assert_problem(
        send("monitoring-reports", rows, user="department"), 422, "IMPORT_REJECTED"
    )
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (2, "target_line_id", "FIELD_INVALID")
    ]


def test_json_nested_past_any_row_is_malformed(flow):
    body = b"[" * 100_000 + b"]" * 100_000
    assert_problem(_post(flow, body, "application/json"), 422, "IMPORT_MALFORMED")


def test_binary_sent_as_csv_is_malformed(flow):
    assert_problem(_post(flow, b"\xff\xfe" * 500, "text/csv"), 422, "IMPORT_MALFORMED")
