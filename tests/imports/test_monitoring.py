"""Monthly monitoring reports: one row per target line; rows of one item and month form
one report, saved as a draft (and submitted with ?submit=true)."""

import pytest

from tests.imports.conftest import FORMATS
from tests.problems import assert_problem


def report_rows(monitor, item_id: int, month: int = 6, **fields):
    rows = []
    for answer in monitor.answers(item_id):
        rows.append(
            {
                "item_id": item_id,
                "month": month,
                "cumulative_execution": "500000.00",
                "target_line_id": answer["target_line_id"],
                "actual": answer.get("actual", ""),
                "qualitative_status": answer.get("qualitative_status", ""),
                **fields,
            }
        )
    return rows


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_files_one_report_per_item_and_month(monitor, send, fmt):
    item = monitor.funded()
    response = send("monitoring-reports", report_rows(monitor, item["id"]), fmt, user="department")
    assert response.status_code == 201, response.text
    assert response.json()["rows"] == 4
    assert response.json()["imported"] == 1
    report = monitor.read(item["id"], 6)
    assert report["status"] == "draft"
    assert report["cumulative_execution"] == "500000.00"
    assert {line["name"]: line["actual"] for line in report["lines"]}["培训教师人数"] == "250"


def test_chinese_labels_and_api_names_both_read(monitor, send):
    item = monitor.funded()
    rows = report_rows(monitor, item["id"], target_expected="是")
    for row in rows:
        if row["qualitative_status"]:
            row["qualitative_status"] = "达成"
    chinese = send("monitoring-reports", rows, user="department")
    assert chinese.status_code == 201, chinese.text
    api = send(
        "monitoring-reports",
        report_rows(monitor, item["id"], month=5),
        "xlsx",
        user="department",
        chinese=False,
    )
    assert api.status_code == 201, api.text


def test_submit_sends_each_report_on(monitor, send):
    item = monitor.funded()
    response = send(
        "monitoring-reports",
        report_rows(monitor, item["id"]),
        user="department",
        params={"submit": "true"},
    )
    assert response.status_code == 201, response.text
    report = monitor.read(item["id"], 6)
    assert report["status"] == "finance_review"
    assert report["item_light"] is not None


def test_a_bad_line_rejects_the_whole_upload_and_names_its_row(monitor, send):
    first, second = monitor.funded(execute=False), monitor.funded(execute=False)
    monitor.start_execution()
    rows = report_rows(monitor, first["id"]) + report_rows(monitor, second["id"])
    rows[6]["target_line_id"] = 999999  # file row 8
    body = assert_problem(
        send("monitoring-reports", rows, user="department"), 422, "IMPORT_REJECTED"
    )
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (8, "target_line_id", "TARGET_LINE_UNKNOWN")
    ]
    assert monitor.calendar(first["id"])["months"][5]["report"] is None


def test_a_month_not_yet_ended_is_named_on_every_row_of_its_report(monitor, send):
    item = monitor.funded()
    body = assert_problem(
        send("monitoring-reports", report_rows(monitor, item["id"], month=8), user="department"),
        422,
        "IMPORT_REJECTED",
    )
    assert {(e["row"], e["column"], e["code"]) for e in body["errors"]} == {
        (row, "month", "MONTH_NOT_ENDED") for row in range(2, 6)
    }


def test_another_departments_item_is_not_found(monitor, send):
    item = monitor.funded()
    body = assert_problem(
        send("monitoring-reports", report_rows(monitor, item["id"]), user="health"),
        422,
        "IMPORT_REJECTED",
    )
    assert {(e["column"], e["code"]) for e in body["errors"]} == {("item_id", "NOT_FOUND")}


def test_finance_may_not_file_reports_by_upload(monitor, send):
    item = monitor.funded()
    response = send("monitoring-reports", report_rows(monitor, item["id"]), user="finance")
    assert_problem(response, 403, "PERMISSION_DENIED")


def test_rows_of_one_report_must_agree(monitor, send):
    item = monitor.funded()
    rows = report_rows(monitor, item["id"])
    rows[2]["cumulative_execution"] = "1.00"
    body = assert_problem(
        send("monitoring-reports", rows, user="department"), 422, "IMPORT_REJECTED"
    )
    assert {e["code"] for e in body["errors"]} == {"IMPORT_GROUP_INCONSISTENT"}


def test_a_negative_actual_is_named_on_its_row(monitor, send):
    item = monitor.funded()
    rows = report_rows(monitor, item["id"])
    (row,) = [number for number, row in enumerate(rows) if row["actual"] == "250"]
    rows[row]["actual"] = "-250"
    body = assert_problem(
        send("monitoring-reports", rows, user="department"), 422, "IMPORT_REJECTED"
    )
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (row + 2, "actual", "NEGATIVE_ACTUAL")
    ]
    assert "“培训教师人数” -250" in body["errors"][0]["message_zh"]
    assert monitor.calendar(item["id"])["months"][5]["report"] is None
