"""?format=xlsx|csv on the lists: every matching row, the list's filters and visibility."""

import csv
import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from perfbudget.budget_items.models import ItemStatus
from perfbudget.integration import exports
from perfbudget.monitoring.models import Light, ReportStatus
from tests.factories import demo_org
from tests.overview.conftest import QUEUE, Rows, fund
from tests.problems import assert_problem, invalid_fields
from tests.workflow import ITEMS, Workflow, valid_lines

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table(response: httpx.Response) -> list[list[Any]]:
    """The export as rows of cells, header first, whichever the format."""
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    if response.headers["content-type"] == XLSX:
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        return [["" if cell is None else cell for cell in row] for row in sheet.values]
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel looks for
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def export(flow: Workflow, url: str, fmt: str, user: str = "finance", **params: Any) -> Any:
    return table(flow.client.get(url, params={**params, "format": fmt}, headers=flow.auth(user)))


def column(rows: list[list[Any]], header: str) -> list[Any]:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


@pytest.fixture
def items(flow: Workflow) -> dict[str, int]:
    return {
        "formula": flow.create(name="=1+2")["id"],
        "plain": flow.create(name="导出-教育")["id"],
        "unit": flow.create("unit", "201001", name="导出-单位")["id"],
        "health": flow.create("health", "202", name="@SUM(A1)")["id"],
    }


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_items_export_every_matching_row_not_one_page(
    flow: Workflow, items: dict[str, int], fmt: str
) -> None:
    rows = export(flow, ITEMS, fmt, fiscal_year=2027, limit=1, offset=1)

    assert rows[0] == list(exports.ITEM_HEADERS)
    ids = [int(value) for value in column(rows, "编号")]
    assert set(items.values()) <= set(ids)
    listed = flow.client.get(ITEMS, params={"fiscal_year": 2027}, headers=flow.auth("finance"))
    assert len(ids) == listed.json()["total"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_items_export_neutralises_formulas(flow: Workflow, items: dict[str, int], fmt: str) -> None:
    rows = export(flow, ITEMS, fmt, fiscal_year=2027)

    names = column(rows, "项目名称")
    assert "'=1+2" in names and "'@SUM(A1)" in names
    assert not any(str(name).startswith(("=", "+", "-", "@")) for name in names)
    assert "导出-教育" in names  # a dash inside the text is left alone
    by_id = dict(zip(column(rows, "编号"), column(rows, "状态"), strict=True))
    assert by_id[items["formula"] if fmt == "xlsx" else str(items["formula"])] == (
        ItemStatus.draft.label_zh  # labels, not codes
    )


def test_an_xlsx_formula_cell_is_text(flow: Workflow, items: dict[str, int]) -> None:
    response = flow.client.get(
        ITEMS, params={"format": "xlsx", "search": "=1+2"}, headers=flow.auth("finance")
    )
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    name = sheet.cell(row=2, column=exports.ITEM_HEADERS.index("项目名称") + 1)
    assert (name.value, name.data_type) == ("'=1+2", "s")
    assert sheet.max_row == 2


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_items_export_applies_the_filters(
    flow: Workflow, items: dict[str, int], db: Session, fmt: str
) -> None:
    unit = demo_org(db, "201001").id
    by_org = export(flow, ITEMS, fmt, organisation_id=unit, fiscal_year=2027)
    assert set(column(by_org, "项目名称")) == {"导出-单位"}
    by_search = export(flow, ITEMS, fmt, search="导出-")
    assert sorted(column(by_search, "项目名称")) == sorted(["导出-教育", "导出-单位"])


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_department_exports_only_its_subtree(
    flow: Workflow, items: dict[str, int], fmt: str
) -> None:
    rows = export(flow, ITEMS, fmt, user="department", fiscal_year=2027)

    assert set(column(rows, "单位代码")) <= {"201", "201001"}
    ids = {int(value) for value in column(rows, "编号")}
    assert {items["formula"], items["plain"], items["unit"]} <= ids
    assert items["health"] not in ids


def test_items_export_refuses_beyond_the_limit(
    flow: Workflow, items: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "MAX_EXPORT_ROWS", 2)
    response = flow.client.get(
        ITEMS, params={"format": "csv", "fiscal_year": 2027}, headers=flow.auth("finance")
    )
    body = assert_problem(response, 422, "EXPORT_TOO_LARGE")
    assert body["limit_rows"] == 2 and body["total"] >= 4


def test_the_json_list_is_unchanged(flow: Workflow, items: dict[str, int]) -> None:
    response = flow.client.get(ITEMS, params={"limit": 2}, headers=flow.auth("finance"))
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"items", "total", "limit", "offset"}
    assert len(response.json()["items"]) == 2
    bad = flow.client.get(ITEMS, params={"format": "pdf"}, headers=flow.auth("finance"))
    assert invalid_fields(bad) == {"query.format"}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_target_versions_export_one_row_per_line(flow: Workflow, fmt: str) -> None:
    item = flow.create()
    lines = valid_lines()
    lines[0]["name"] = "-培训人数"
    assert flow.save_targets(item["id"], lines=lines, goal="+提升能力").status_code == 200

    rows = export(flow, f"{ITEMS}/{item['id']}/targets/versions", fmt, user="department")

    assert rows[0] == list(exports.TARGET_HEADERS)
    assert len(rows) == 1 + len(lines)
    assert column(rows, "指标名称")[0] == "'-培训人数"
    assert set(column(rows, "总体目标")) == {"'+提升能力"}
    assert [int(v) for v in column(rows, "序号")] == list(range(1, len(lines) + 1))
    assert {str(v) for v in column(rows, "权重")} <= {"30", "20", "10", "30.00", "20.00", "10.00"}


def test_target_versions_export_follows_visibility(flow: Workflow) -> None:
    item = flow.create("health", "202")
    response = flow.client.get(
        f"{ITEMS}/{item['id']}/targets/versions",
        params={"format": "csv"},
        headers=flow.auth("department"),
    )
    assert response.status_code in (403, 404)
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.fixture
def queue(flow: Workflow, db: Session) -> dict[str, int]:
    rows = Rows(db)
    education = fund(flow, "100000.00", name="=HYPERLINK(1)")
    health = fund(flow, "200000.00", user="health", org="202", name="卫生项目")
    return {
        "education": rows.report(education, 6, ReportStatus.finance_review, light=Light.red),
        "health": rows.report(health, 6, ReportStatus.finance_review, light=Light.green),
        "draft": rows.report(health, 5, ReportStatus.draft),
    }


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_finance_queue_exports_with_its_filters(
    flow: Workflow, queue: dict[str, int], fmt: str
) -> None:
    rows = export(flow, QUEUE, fmt, limit=1)
    assert rows[0] == list(exports.QUEUE_HEADERS)
    assert sorted(int(v) for v in column(rows, "报告编号")) == sorted(
        [queue["education"], queue["health"]]
    )
    assert "'=HYPERLINK(1)" in column(rows, "项目名称")

    red = export(flow, QUEUE, fmt, light="red")
    assert [int(v) for v in column(red, "报告编号")] == [queue["education"]]
    drafts = export(flow, QUEUE, fmt, status="draft", user="oversight")
    assert [int(v) for v in column(drafts, "报告编号")] == [queue["draft"]]


def test_the_queue_export_needs_the_queue_permission(flow: Workflow, queue: dict[str, int]) -> None:
    response = flow.client.get(QUEUE, params={"format": "xlsx"}, headers=flow.auth("department"))
    assert_problem(response, 403, response.json()["code"])


def test_openapi_documents_json_and_spreadsheets(flow: Workflow) -> None:
    spec = flow.client.get("/openapi.json").json()
    for path in (ITEMS, QUEUE, ITEMS + "/{item_id}/targets/versions"):
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert {"application/json", XLSX, "text/csv"} <= content.keys(), path
        assert "schema" in content["application/json"]
