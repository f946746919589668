"""The circular (考核通报, S3) as a Word document, on the county of conftest.py: read back,
its number, ranking and measures are the JSON answers' own."""

from typing import Any

import pytest
from sqlalchemy import delete

from perfbudget.results.models import DepartmentAssessment
from tests.documents import read_docx
from tests.problems import assert_problem
from tests.results.conftest import (
    ASSESSMENTS,
    BY_ORGANISATION,
    CIRCULAR,
    extra_graded_items,
    get_json,
)

TITLE = "2027年度预算绩效管理工作考核情况的通报"
BODY = "各部门：\n现将2027年度预算绩效管理工作考核结果通报如下。"


def _docx(flow, user="finance"):
    return flow.client.get(CIRCULAR, params={"format": "docx"}, headers=flow.auth(user))


def _assessed(flow) -> dict[str, dict[str, Any]]:
    """Computed, scored (201: 90, 202: 95), and a draft circular."""
    computed = flow.client.post(f"{ASSESSMENTS}/compute", headers=flow.auth("finance"))
    assert computed.status_code == 200, computed.text
    for row in computed.json()["items"]:
        score = {"201": "90", "202": "95"}.get(row["department"]["code"])
        if score:
            response = flow.client.patch(
                f"{ASSESSMENTS}/{row['id']}",
                json={"qualitative_score": score, "version": row["version"]},
                headers=flow.auth("finance"),
            )
            assert response.status_code == 200, response.text
    created = flow.client.post(
        CIRCULAR, json={"title": TITLE, "body": BODY}, headers=flow.auth("finance")
    )
    assert created.status_code == 201, created.text
    return {row["department"]["code"]: row for row in get_json(flow, ASSESSMENTS)["items"]}


def _finance_bureau(flow) -> str:
    organisation = get_json(flow, f"/api/v1/organisations/{flow.org_id('100')}")
    return str(organisation["name_zh"])


def _ranking_rows(ranking: list[dict[str, Any]], grades: dict[str, dict[str, int]]):
    return [
        [
            str(entry["rank"]),
            entry["department"]["code"],
            entry["department"]["name_zh"],
            entry["computed_score"],
            entry["qualitative_score"],
            entry["total_score"],
            *(
                str(grades[entry["department"]["code"]][grade])
                for grade in ("excellent", "good", "fair", "poor")
            ),
        ]
        for entry in ranking
    ]


def test_the_published_circular_prints_its_number_ranking_measures_and_chart(flow, county):
    rows = _assessed(flow)
    draft = get_json(flow, CIRCULAR)
    published = flow.client.post(
        f"{CIRCULAR}/publish", json={"version": draft["version"]}, headers=flow.auth("finance")
    )
    assert published.status_code == 200, published.text
    circular = published.json()

    printed = read_docx(_docx(flow, user="oversight"))
    bureau = _finance_bureau(flow)
    assert printed.filename == "2027年度部门预算绩效管理工作考核通报.docx"
    number = f"{bureau[0]}财绩〔2027〕{circular['id']}号"
    assert printed.paragraphs[:5] == [f"{bureau}文件", "", number, "", TITLE]
    assert "（草稿）" not in printed.paragraphs
    assert "各部门：" in printed.paragraphs
    assert printed.paragraphs[-2:] == [bureau, "2028年3月1日"]  # published on 1 March
    assert printed.east_asian_font == "仿宋"

    grades = {
        row["department"]["code"]: row["grades"]
        for row in get_json(flow, BY_ORGANISATION)["departments"]
    }
    ranking = printed.table_with("名次")
    assert ranking[0] == [
        "名次",
        "部门编码",
        "部门名称",
        "计算得分",
        "定性评分",
        "综合得分",
        "优",
        "良",
        "中",
        "差",
    ]
    assert ranking[1:] == _ranking_rows(circular["ranking"], grades)
    # worked out by hand in test_assessment.py: the JSON's numbers, and so the document's
    assert [row[:6] for row in ranking[1:]] == [
        ["1", "201", rows["201"]["department"]["name_zh"], "64.58", "90.00", "69.66"],
        ["2", "202", rows["202"]["department"]["name_zh"], "52.90", "95.00", "61.32"],
    ]
    assert [row[6:] for row in ranking[1:]] == [["1", "0", "1", "0"], ["0", "1", "0", "1"]]

    measures = next(table for table in printed.tables if table[0][0] == "部门编码")
    assert measures[0][2] == "绩效目标按时报送（20分）"
    by_code = {row[0]: row for row in measures[1:]}
    assert list(by_code) == list(rows)  # every department, as listed
    education = rows["201"]["metrics"]
    assert by_code["201"][2] == (
        f"{education['targets_on_time']['points']}（{education['targets_on_time']['share']}%）"
    )
    assert by_code["201"][2] == "13.33（66.67%）"
    assert by_code["201"][6] == "18.75（75.00%）"  # the average grade, 3 of 4
    assert by_code["204"][2:] == ["不计"] * 5 + ["—"]  # nothing on record to assess
    assert [row[-1] for row in measures[1:]] == [
        row["computed_score"] or "—" for row in rows.values()
    ]

    assert len(printed.images) == 1
    chart = printed.images[0]
    assert chart.format == "PNG" and chart.size == (1600, 820)
    legend = next(text for text in printed.paragraphs if text.startswith("图例"))
    assert "EXC＝优" in legend and "POOR＝差" in legend
    assert any(text.startswith("图1") for text in printed.paragraphs)


def test_a_draft_prints_the_ranking_as_it_stands_marked_as_a_draft(flow, county):
    rows = _assessed(flow)
    draft = get_json(flow, CIRCULAR)
    assert draft["ranking"] == []
    printed = read_docx(_docx(flow))
    assert "（草稿）" in printed.paragraphs
    assert f"〔2027〕{draft['id']}号" in printed.paragraphs[2]  # the same number once published
    assert printed.paragraphs[-1] == "2028年3月1日"  # today
    ranking = printed.table_with("名次")
    assert [row[:6] for row in ranking[1:]] == [
        [
            str(rows[code]["rank"]),
            code,
            rows[code]["department"]["name_zh"],
            rows[code]["computed_score"],
            rows[code]["qualitative_score"],
            rows[code]["total_score"],
        ]
        for code in ("201", "202")
    ]


def test_refusals_are_the_json_reads(flow, county):
    assert_problem(_docx(flow), 404, "NOT_FOUND")  # no circular yet
    _assessed(flow)
    assert_problem(flow.client.get(CIRCULAR, params={"format": "docx"}), 401, "NOT_AUTHENTICATED")
    for user in ("department", "unit", "thirdparty", "investment"):
        assert_problem(_docx(flow, user), 403, "PERMISSION_DENIED")
    response = flow.client.get(CIRCULAR, params={"format": "pdf"}, headers=flow.auth("finance"))
    assert_problem(response, 422, "VALIDATION_FAILED")


@pytest.mark.parametrize("user", ["finance", "oversight"])
def test_json_is_still_the_default(flow, county, user):
    _assessed(flow)
    response = flow.client.get(CIRCULAR, headers=flow.auth(user))
    assert response.status_code == 200 and response.json()["title"] == TITLE
    assert response.headers["etag"]


def test_statements_do_not_grow_with_the_records(flow, county, db, count_queries):
    _assessed(flow)

    def statements() -> int:
        count_queries.statements.clear()
        assert _docx(flow).status_code == 200
        return count_queries.count

    small = statements()
    db.execute(delete(DepartmentAssessment))
    db.commit()
    extra_graded_items(db, flow.org_id("203"), 10)
    extra_graded_items(db, flow.org_id("201001"), 5)
    assert (
        flow.client.post(f"{ASSESSMENTS}/compute", headers=flow.auth("finance")).status_code == 200
    )
    assert statements() == small, count_queries.statements
