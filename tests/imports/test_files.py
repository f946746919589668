"""What an upload may be: formats, limits, archives, and the templates to fill in."""

import io
import zipfile

import pytest
from openpyxl import load_workbook

from perfbudget.imports import parsing
from perfbudget.imports.kinds import KINDS, ImportKind
from tests.imports.conftest import IMPORTS, XLSX, encode
from tests.problems import assert_problem


def row(item_id: int = 1) -> dict[str, object]:
    return {"item_id": item_id, "amount": "1.00", "paid_on": "2027-03-15", "purpose": "拨款"}


def post(flow, body: bytes, content_type: str, **params: str):
    return flow.client.post(
        f"{IMPORTS}/disbursements",
        content=body,
        params=params,
        headers={**flow.auth("finance"), "Content-Type": content_type},
    )


def test_other_media_types_are_refused(flow):
    assert_problem(post(flow, b"x", "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE")


def test_a_json_body_must_be_an_array_of_objects(flow):
    assert_problem(post(flow, b'{"a": 1}', "application/json"), 422, "IMPORT_MALFORMED")
    assert_problem(post(flow, b"[1, 2]", "application/json"), 422, "IMPORT_MALFORMED")


def test_a_broken_workbook_is_malformed(flow):
    assert_problem(post(flow, b"not a zip", XLSX), 422, "IMPORT_MALFORMED")


def test_too_large_names_the_limit(flow, monkeypatch):
    monkeypatch.setattr(parsing, "MAX_BYTES", 100)
    body, content_type = encode("disbursements", [row()] * 10, "csv")
    problem = assert_problem(post(flow, body, content_type), 413, "IMPORT_TOO_LARGE")
    assert "100" in problem["detail"]
    assert problem["limit_bytes"] == 100


def test_too_many_rows_names_the_limit(flow, monkeypatch):
    monkeypatch.setattr(parsing, "MAX_ROWS", 3)
    body, content_type = encode("disbursements", [row()] * 4, "csv")
    problem = assert_problem(post(flow, body, content_type), 413, "IMPORT_TOO_MANY_ROWS")
    assert "3" in problem["detail"]


def test_a_suspiciously_compressed_workbook_is_refused(flow):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    assert_problem(post(flow, buffer.getvalue(), XLSX), 422, "IMPORT_ARCHIVE_SUSPICIOUS")


def test_unknown_columns_are_named(flow):
    body, content_type = encode("disbursements", [row()], "csv")
    body = body.replace("用途".encode(), "用处".encode())
    problem = assert_problem(post(flow, body, content_type), 422, "IMPORT_REJECTED")
    assert {(e["column"], e["code"]) for e in problem["errors"]} == {
        ("用处", "FIELD_UNKNOWN"),
        ("purpose", "FIELD_REQUIRED"),
    }


def test_multipart_with_a_file_field_is_accepted(monitor):
    item = monitor.funded()
    body, _ = encode("disbursements", [row(item["id"])], "xlsx")
    response = monitor.client.post(
        f"{IMPORTS}/disbursements",
        files={"file": ("拨款.xlsx", body, XLSX)},
        headers=monitor.auth("finance"),
    )
    assert response.status_code == 201, response.text
    runs = monitor.client.get(f"{IMPORTS}/runs", headers=monitor.auth("finance")).json()["items"]
    assert runs[0]["filename"] == "拨款.xlsx"


def test_an_unknown_kind_is_refused(flow):
    response = flow.client.post(
        f"{IMPORTS}/nonsense",
        content=b"[]",
        headers={**flow.auth("finance"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("kind", "user", "headers", "dropdowns"),
    [
        (
            "disbursements",
            "finance",
            ["项目编号", "拨款金额（元）", "拨款日期", "用途"],
            {"F": "国库支付系统导入"},
        ),
        ("monitoring-reports", "department", ["项目编号", "月份"], {"D": "是", "I": "达成"}),
        ("users", "admin", ["用户名", "姓名", "角色"], {"C": "部门单位"}),
        ("budget-items", "department", ["预算年度", "机构编号"], {"E": "政策", "H": "否"}),
    ],
)
def test_templates_carry_headers_dropdowns_notes_and_an_example(
    flow, kind, user, headers, dropdowns
):
    response = flow.client.get(f"{IMPORTS}/{kind}/template.xlsx", headers=flow.auth(user))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    first_row = [cell.value for cell in sheet[1]]
    assert first_row[: len(headers)] == headers
    validations = {
        str(v.sqref).split(":")[0][0]: v.formula1 for v in sheet.data_validations.dataValidation
    }
    for letter, choice in dropdowns.items():
        assert choice in validations[letter]
    notes = workbook["说明"]
    assert [c.value for c in notes[2]][:2] == [
        first_row[0],
        KINDS[ImportKind(kind)].columns[0].field,
    ]
    example = workbook["示例"]
    assert example.max_row == 2


def test_a_filled_template_uploads(monitor):
    item = monitor.funded()
    response = monitor.client.get(
        f"{IMPORTS}/disbursements/template.xlsx", headers=monitor.auth("finance")
    )
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    sheet.append([item["id"], 1200.5, "2027-04-01", "第二期", "GK-77", "国库支付系统导入"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    uploaded = post(monitor, buffer.getvalue(), XLSX)
    assert uploaded.status_code == 201, uploaded.text


def test_templates_and_runs_follow_the_upload_permission(flow):
    template = flow.client.get(
        f"{IMPORTS}/disbursements/template.xlsx", headers=flow.auth("department")
    )
    assert_problem(template, 403, "PERMISSION_DENIED")
    assert_problem(
        flow.client.get(f"{IMPORTS}/runs", headers=flow.auth("expert")), 403, "PERMISSION_DENIED"
    )
    assert flow.client.get(f"{IMPORTS}/runs", headers=flow.auth("department")).status_code == 200


def test_a_json_upload_may_exceed_the_1_mib_json_limit(client, auth):
    """The 1 MiB cap is for API bodies; an upload of a JSON array has the 10 MB import limit."""
    rows = [
        {"item_id": 999999, "amount": "1.00", "paid_on": "2027-03-01", "purpose": "x" * 200}
        for _ in range(6000)
    ]
    import json

    body = json.dumps(rows).encode()
    assert len(body) > 1024 * 1024
    response = client.post(
        "/api/v1/imports/disbursements?dry_run=true",
        content=body,
        headers={**auth("finance"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "IMPORT_REJECTED"  # parsed and checked, not cut off
