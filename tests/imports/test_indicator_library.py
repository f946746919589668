"""A department's indicator library uploaded in one go (S2.2.1)."""

import pytest

from tests.imports.conftest import FORMATS
from tests.problems import assert_problem

LIBRARY = "/api/v1/indicator-library"


def indicator(org: int, name: str, **fields: str) -> dict[str, object]:
    return {
        "organisation_id": org,
        "category": "数量指标",
        "name": name,
        "direction": "≥（正向）",
        "unit": "人次",
        "sector": "教育",
        **fields,
    }


def names(flow, org: int) -> set[str]:
    response = flow.client.get(
        LIBRARY, params={"organisation_id": org, "limit": 100}, headers=flow.auth("department")
    )
    assert response.status_code == 200, response.text
    return {entry["name"] for entry in response.json()["items"]}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("chinese", [True, False])
def test_each_format_adds_every_indicator(flow, send, fmt, chinese):
    org = flow.org_id("201")
    rows = [
        indicator(org, "导入指标甲"),
        indicator(org, "导入指标乙", category="quality", direction="gte", unit="%"),
    ]
    response = send("indicator-library", rows, fmt, user="department", chinese=chinese)
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 2
    assert {"导入指标甲", "导入指标乙"} <= names(flow, org)


def test_service_rules_and_scope_apply_per_row(flow, send):
    org, other = flow.org_id("201"), flow.org_id("202")
    rows = [
        indicator(org, "导入指标丙"),
        indicator(org, "导入指标丙"),  # the same name twice
        indicator(org, "导入指标丁", unit=""),  # quantitative without a unit
        indicator(other, "导入指标戊"),  # another department's library
        indicator(org, "导入指标己", direction="朝上"),
    ]
    body = assert_problem(
        send("indicator-library", rows, user="department"), 422, "IMPORT_REJECTED"
    )
    assert {(e["row"], e["column"], e["code"]) for e in body["errors"]} == {
        (3, "name", "INDICATOR_NAME_TAKEN"),
        (4, "unit", "INDICATOR_UNIT_REQUIRED"),
        (5, "organisation_id", "NOT_FOUND"),
        (6, "direction", "FIELD_INVALID"),
    }
    assert "导入指标丙" not in names(flow, org)


def test_roles_without_library_write_are_refused(flow, send):
    org = flow.org_id("201")
    response = send("indicator-library", [indicator(org, "导入指标庚")], user="expert")
    assert_problem(response, 403, "PERMISSION_DENIED")


def test_the_template_lists_categories_and_directions(flow):
    import io

    from openpyxl import load_workbook

    response = flow.client.get(
        "/api/v1/imports/indicator-library/template.xlsx", headers=flow.auth("department")
    )
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    formulas = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert any("数量指标" in f for f in formulas)
    assert any("定性" in f for f in formulas)
