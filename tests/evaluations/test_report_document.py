"""The self-evaluation report (自评报告, S2.4) as a Word document: read back, its number,
facts, execution, indicator lines, total and grade are the JSON read's own."""

from typing import Any

from tests.documents import read_docx
from tests.evaluations.conftest import SECTIONS, url
from tests.problems import assert_problem

GRADES = {"excellent": "优", "good": "良", "fair": "中", "poor": "差"}
DASH = "—"


def _docx(evaluator, item_id: int, user: str = "department"):
    return evaluator.client.get(
        url(item_id), params={"format": "docx"}, headers=evaluator.auth(user)
    )


def _finance_bureau(evaluator) -> str:
    organisation_id = evaluator.flow.org_id("100")
    response = evaluator.client.get(
        f"/api/v1/organisations/{organisation_id}", headers=evaluator.auth("finance")
    )
    return str(response.json()["name_zh"])


def _points(read: dict[str, Any]) -> dict[int, str]:
    return {line["target_line_id"]: line["points"] for line in read["scoring"]["lines"]}


def _line_rows(read: dict[str, Any]) -> list[list[str]]:
    """What the indicator table should hold, from the JSON read."""
    points = _points(read)
    rows = []
    for number, line in enumerate(read["lines"], start=1):
        unit = line["unit"] or ""
        if line["direction"] == "qualitative":
            target = line["qualitative_standard"]
            actual = f"达成（{line['qualitative_share']}%）"
        else:
            target = line["target_value"] + unit
            actual = line["final_actual"] + unit if line["final_actual"] else DASH
        rows.append(
            [
                f"L{number}",
                target,
                actual,
                line["weight"],
                points.get(line["target_line_id"], line["computed_points"] or DASH),
                line["adjusted_points"] or DASH,
            ]
        )
    return rows


def test_a_graded_report_prints_the_reads_numbers_and_a_chart(evaluator):
    item = evaluator.funded()
    answers = evaluator.final_answers(item["id"], 培训教师人数="400")
    answers[0]["explanation"] = "部分课程延至次年"  # below target (§3)
    evaluator.filed(item["id"], final_execution="850000.00", lines=answers)
    graded = evaluator.do(item["id"], "grade", "finance", decision="approve", finding="材料属实")
    assert graded.status_code == 200, graded.text
    read = evaluator.evaluation(item["id"], user="department")
    card = read["scoring"]
    # 8.50 + 400 ÷ 500 × 30 + 20 + 30 + 10 = 92.50
    assert (card["execution_points"], card["total"], read["grade"]) == (
        "8.50",
        "92.50",
        "excellent",
    )

    printed = read_docx(_docx(evaluator, item["id"]))
    organisation = read["organisation"]
    title = f"2027年度{read['item_name']}绩效自评报告"
    assert printed.filename == f"{title}.docx"
    assert printed.paragraphs[:5] == [
        f"{organisation['name_zh']}文件",
        "",
        f"{organisation['code']}绩自〔2027〕{read['id']}号",
        "",
        title,
    ]
    assert "（草稿）" not in printed.paragraphs
    assert f"{_finance_bureau(evaluator)}：" in printed.paragraphs
    assert printed.paragraphs[-2:] == [organisation["name_zh"], "2028年1月20日"]  # submitted
    for text in SECTIONS.values():
        assert text in printed.paragraphs
    assert "材料属实" in printed.paragraphs
    assert printed.east_asian_font == "仿宋"

    facts = dict(printed.table_with("内容")[1:])
    assert facts["项目名称"] == read["item_name"]
    assert facts["批复金额（元）"] == read["approved_amount"] == "1000000.00"
    assert facts["实施单位"] == f"{organisation['name_zh']}（{organisation['code']}）"

    execution = printed.table_with("预算执行率")
    assert execution[1] == [
        read["approved_amount"],
        read["final_execution"],
        "85.00%",
        card["execution"]["weight"],
        card["execution_points"],
    ]

    lines = printed.table_with("三级指标")
    assert [row[3] for row in lines[1:]] == [line["name"] for line in read["lines"]]
    assert [[row[0], *row[5:]] for row in lines[1:]] == _line_rows(read)
    assert lines[1][5:9] == ["500人次", "400人次", "30.00", "24.00"]

    score = dict(printed.table_with("评分项目")[1:])
    assert score == {
        "预算执行得分": card["execution_points"],
        "绩效指标得分": card["indicator_points"],
        "自评总分": card["total"],
        "自评等级": GRADES[card["grade"]],
        "财政调整后得分": read["adjusted_score"],
        "最终得分": read["final_score"],
        "评定等级": GRADES[read["grade"]],
    }
    assert score["最终得分"] == "92.50"

    assert len(printed.images) == 1
    assert printed.images[0].format == "PNG" and printed.images[0].size == (1600, 820)
    legend = next(text for text in printed.paragraphs if text.startswith("图例"))
    assert "EXEC＝预算执行率" in legend
    assert any("L1 培训教师人数" in text for text in printed.paragraphs)
    assert "L1 培训教师人数：部分课程延至次年" in printed.paragraphs


def test_a_draft_prints_its_preview_marked_as_a_draft(evaluator):
    item = evaluator.funded()
    answers = [
        line
        for line in evaluator.final_answers(item["id"], 按期完成率="90")
        if line["target_line_id"] != evaluator.lines(item["id"])["参训教师满意度"]
    ]
    saved = evaluator.file(item["id"], final_execution="1000000.00", lines=answers)
    assert saved.status_code == 200, saved.text
    read = evaluator.evaluation(item["id"], user="department")
    assert read["scoring"]["preview"] is True

    printed = read_docx(_docx(evaluator, item["id"], user="finance"))
    assert "（草稿）" in printed.paragraphs
    lines = printed.table_with("三级指标")
    assert [[row[0], *row[5:]] for row in lines[1:]] == _line_rows(read)
    by_name = {row[3]: row for row in lines[1:]}
    assert by_name["按期完成率"][8] == "18.00"  # 90 ÷ 100 × 20, the preview's points
    score = dict(printed.table_with("评分项目")[1:])
    assert score["自评总分"] == read["scoring"]["total"]
    assert (score["最终得分"], score["评定等级"]) == (DASH, DASH)


def test_refusals_are_the_json_reads(evaluator):
    item = evaluator.funded()
    evaluator.filed(item["id"])
    anonymous = evaluator.client.get(url(item["id"]), params={"format": "docx"})
    assert_problem(anonymous, 401, "NOT_AUTHENTICATED")
    for user in ("health", "thirdparty", "expert", "unit"):
        assert_problem(_docx(evaluator, item["id"], user), 404, "NOT_FOUND")
    for user in ("department", "finance", "oversight"):
        assert _docx(evaluator, item["id"], user).status_code == 200
    response = evaluator.client.get(
        url(item["id"]), params={"format": "pdf"}, headers=evaluator.auth("finance")
    )
    assert_problem(response, 422, "VALIDATION_FAILED")


def test_the_document_reads_what_the_json_reads(evaluator, count_queries):
    item = evaluator.funded()
    evaluator.filed(item["id"])

    def statements(**params: str) -> int:
        count_queries.statements.clear()
        response = evaluator.client.get(
            url(item["id"]), params=params, headers=evaluator.auth("finance")
        )
        assert response.status_code == 200, response.text
        return count_queries.count

    # the JSON read's statements, and one for the finance bureau it is addressed to
    assert statements(format="docx") == statements() + 1, count_queries.statements
