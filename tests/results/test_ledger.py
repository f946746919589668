"""The results ledger and the export by organisation (S2.5), figures worked out by hand."""

import io

import pytest
from openpyxl import load_workbook

from perfbudget.evaluations.models import Consequence, Grade
from perfbudget.exports import XLSX
from perfbudget.results.service import consequence_for
from tests.problems import assert_problem, invalid_fields
from tests.results.conftest import BY_ORGANISATION, RESULTS, extra_graded_items, get_json


@pytest.mark.parametrize(
    ("grade", "consequence"),
    [
        (Grade.excellent, Consequence.support),
        (Grade.good, Consequence.support),
        (Grade.fair, Consequence.rectify),
        (Grade.poor, Consequence.reduce_or_cancel),
    ],
)
def test_consequence_of_each_grade(grade, consequence):
    assert consequence_for(grade) is consequence


def test_the_ledger_lists_graded_items_lowest_score_first(flow, county):
    body = get_json(flow, RESULTS)
    assert body["total"] == 4  # F has no evaluation; E's is not graded yet
    rows = body["items"]
    assert [row["item"]["id"] for row in rows] == [county.items[k] for k in "CBDA"]
    c, b, d, a = rows
    assert (c["final_score"], c["grade"], c["grade_label_zh"]) == ("55.00", "poor", "差")
    assert (c["consequence"], c["consequence_label_zh"]) == ("reduce_or_cancel", "调减或取消")
    assert (b["grade"], b["consequence"], b["consequence_label_zh"]) == (
        "fair",
        "rectify",
        "限期整改",
    )
    assert b["organisation"]["code"] == "201001" and b["kind"] == "policy"
    assert (d["grade_label_zh"], d["consequence"], d["approved_amount"]) == (
        "良",
        "support",
        "333333.33",
    )
    assert (a["final_score"], a["grade_label_zh"], a["approved_amount"]) == (
        "92.50",
        "优",
        "1200000.00",
    )
    assert not any(row["rectification_plan_on_file"] for row in rows)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"grade": "fair"}, "B"),
        ({"consequence": "support"}, "DA"),
        ({"consequence": "support", "grade": "poor"}, ""),
        ({"kind": "policy"}, "B"),
        ({"organisation_id": "201"}, "BA"),  # the department with its unit
        ({"organisation_id": "201001"}, "B"),
        ({"limit": 2, "offset": 1}, "BD"),
    ],
)
def test_ledger_filters_and_paging(flow, county, params, expected):
    if "organisation_id" in params:
        params = {**params, "organisation_id": flow.org_id(params["organisation_id"])}
    body = get_json(flow, RESULTS, **params)
    assert [row["item"]["id"] for row in body["items"]] == [county.items[k] for k in expected]
    if "limit" not in params:
        assert body["total"] == len(expected)
    else:
        assert (body["total"], body["limit"], body["offset"]) == (4, 2, 1)


def test_ledger_refuses_unknown_filters_and_years(flow, county):
    assert invalid_fields(
        flow.client.get(RESULTS, params={"grade": "A"}, headers=flow.auth("finance"))
    ) == {"query.grade"}
    response = flow.client.get(RESULTS, params={"grde": "fair"}, headers=flow.auth("finance"))
    assert_problem(response, 422, "VALIDATION_FAILED")
    response = flow.client.get("/api/v1/fiscal-years/1999/results", headers=flow.auth("finance"))
    assert_problem(response, 404, "NOT_FOUND")


def _sheet(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    workbook = load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def test_ledger_as_a_workbook_has_every_matching_row(flow, county):
    response = flow.client.get(
        RESULTS, params={"format": "xlsx", "limit": 1}, headers=flow.auth("oversight")
    )
    rows = _sheet(response)
    assert rows[0][:3] == ["单位编码", "单位", "项目编码"]
    assert len(rows) == 5  # the header and all four graded items, whatever the page size
    assert [row[7] for row in rows[1:]] == ["差", "中", "良", "优"]
    assert [row[8] for row in rows[1:]] == ["调减或取消", "限期整改", "予以支持", "予以支持"]


def test_results_by_organisation(flow, county):
    body = get_json(flow, BY_ORGANISATION, user="oversight")
    assert body["fiscal_year"] == 2027
    # (92.50 + 72.00 + 55.00 + 85.25) ÷ 4 = 76.1875
    assert body["county"] == {
        "graded": 4,
        "grades": {"excellent": 1, "good": 1, "fair": 1, "poor": 1},
        "average_score": "76.19",
        "approved_total": "2933333.33",
    }
    departments = {row["department"]["code"]: row for row in body["departments"]}
    assert list(departments) == ["201", "202", "203", "204"]
    education = departments["201"]
    assert education["grades"] == {"excellent": 1, "good": 0, "fair": 1, "poor": 0}
    assert (education["graded"], education["average_score"], education["approved_total"]) == (
        2,
        "82.25",
        "1800000.00",
    )
    health = departments["202"]  # (55.00 + 85.25) ÷ 2 = 70.125, rounded half up
    assert (health["average_score"], health["approved_total"]) == ("70.13", "1133333.33")
    assert departments["204"]["graded"] == 0 and departments["204"]["average_score"] is None


def test_results_by_organisation_as_a_workbook(flow, county):
    response = flow.client.get(
        BY_ORGANISATION, params={"format": "xlsx"}, headers=flow.auth("finance")
    )
    rows = _sheet(response)
    assert rows[0] == [
        "部门编码",
        "部门",
        "评价项目数",
        "优",
        "良",
        "中",
        "差",
        "平均得分",
        "批复金额合计（元）",
    ]
    assert rows[1][0] == "201" and rows[1][2:7] == [2, 1, 0, 1, 0]
    assert rows[2][7] == pytest.approx(70.13)


@pytest.mark.parametrize(
    "user", ["department", "unit", "expert", "thirdparty", "investment", "admin"]
)
def test_only_finance_and_oversight_read_results(flow, user):
    for url in (RESULTS, BY_ORGANISATION):
        assert_problem(flow.client.get(url, headers=flow.auth(user)), 403, "PERMISSION_DENIED")


def test_an_anonymous_reader_is_401(flow):
    assert_problem(flow.client.get(RESULTS), 401, "NOT_AUTHENTICATED")


def _statements(flow, count_queries, url, **params):
    count_queries.statements.clear()
    get_json(flow, url, **params)
    return count_queries.count


def test_statement_counts_do_not_grow_with_the_rows(flow, county, db, count_queries):
    small = [
        _statements(flow, count_queries, RESULTS, limit=100),
        _statements(flow, count_queries, BY_ORGANISATION),
    ]
    extra_graded_items(db, flow.org_id("203"), 12)
    extra_graded_items(db, flow.org_id("201001"), 5)
    large = [
        _statements(flow, count_queries, RESULTS, limit=100),
        _statements(flow, count_queries, BY_ORGANISATION),
    ]
    assert get_json(flow, RESULTS)["total"] == 21
    assert large == small
    assert small[0] <= 8, count_queries.statements


def test_the_ledger_exports_as_csv_for_excel(client, auth, db):
    """The evaluations list exports with the list's filters, as UTF-8 CSV with a BOM."""
    response = client.get(
        "/api/v1/fiscal-years/2027/results?format=csv&grade=poor", headers=auth("finance")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert "等级" in header or "评价等级" in header
