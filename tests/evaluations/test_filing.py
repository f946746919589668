"""Filing a self-evaluation: a whole item from targets through monitoring to grading, the
default execution, the unit route, department overall items, attachments and the workbook."""

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from perfbudget.exports import XLSX
from tests.evaluations.conftest import by_name, url
from tests.monitoring.conftest import OVERALL_ASPECTS

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_whole_item_from_targets_to_grade(evaluator, set_today):
    set_today(date(2027, 7, 5))
    item = evaluator.funded()
    item_id = item["id"]
    evaluator.pay(item_id, "900000.00")
    evaluator.submitted(item_id, 6)  # 培训教师人数 250 by June
    evaluator.decided(item_id, "accept")
    set_today(date(2028, 1, 20))

    answers = evaluator.final_answers(
        item_id, 培训教师人数="200", 教学质量提升=("partially_achieved", "70")
    )
    for answer in answers:
        answer["explanation"] = "部分培训因场地原因顺延"
    saved = evaluator.client.put(
        url(item_id),
        json={"sections": {"overview": "概况"}, "lines": answers},
        headers=evaluator.auth("department"),
    )
    assert saved.status_code == 200, saved.text
    draft = saved.json()
    assert draft["status"] == "draft"
    assert draft["final_execution"] == "900000.00"  # the disbursed total
    assert draft["scoring"]["preview"] is True
    # the draft shows what submitting will: each line's points, and the plausibility flags
    assert {line["name"]: line["computed_points"] for line in draft["lines"]} == {
        "培训教师人数": "12.00",
        "按期完成率": "20.00",
        "教学质量提升": "21.00",
        "参训教师满意度": "10.00",
    }
    assert [flag["code"] for flag in draft["plausibility_flags"]] == [
        "FINAL_CONTRADICTS_MONITORING"
    ]
    checks = {check["code"]: check["ok"] for check in draft["completeness"]}
    assert checks == {
        "SECTIONS_FILLED": False,
        "LINES_ANSWERED": True,
        "EXPLANATIONS_PRESENT": True,
        "ATTACHMENTS_PRESENT": False,
    }

    submitted = evaluator.do(item_id, "submit", "department")
    assert submitted.status_code == 200, submitted.text
    read = submitted.json()
    assert read["status"] == "finance_review"
    scoring = read["scoring"]
    assert scoring["preview"] is False
    assert scoring["execution"]["points"] == "9.00"
    assert scoring["execution"]["formula"]["zh"] == (
        "执行数 ÷ 批复数 × 分值 = 900000 ÷ 1000000 × 10 = 9.00"
    )
    lines = by_name(read)
    assert lines["培训教师人数"]["points"] == "12.00"  # 200 ÷ 500 × 30
    assert lines["培训教师人数"]["formula"]["en"] == (
        "actual ÷ target × weight = 200 ÷ 500 × 30 = 12.00"
    )
    assert lines["培训教师人数"]["inputs"] == {
        "target_value": "500",
        "actual": "200",
        "weight": "30.00",
    }
    assert lines["培训教师人数"]["parameters"] == {
        "weight": "30",
        "over_achievement_threshold": "120",
    }
    assert lines["培训教师人数"]["achievement"] == "40.00"
    assert lines["培训教师人数"]["explanation"]["en"] == (
        "§3 a positive line below its target scores its share of the target; achievement "
        "40.00%, below the over-achievement threshold 120%; ratios and scores are rounded half "
        "up to 0.01; bands are read from the figure shown."
    )
    assert lines["教学质量提升"]["formula"]["zh"] == "评价比例 × 分值 = 70% × 30 = 21.00"
    assert lines["教学质量提升"]["explanation"]["zh"] == (
        "§3 定性指标在达成等级的区间内评分：部分达成：60%–80%，即本项 30 分中的 18.00–24.00 分；"
        "比率和得分四舍五入保留两位小数，档次按显示的数值判定。"
    )
    assert lines["教学质量提升"]["parameters"]["band_points"] == "18.00–24.00"
    assert [line["computed_points"] for line in read["lines"]] == [
        line["computed_points"] for line in draft["lines"]
    ]
    assert lines["按期完成率"]["points"] == "20.00"
    assert lines["教学质量提升"]["points"] == "21.00"  # 70 % of 30
    assert lines["参训教师满意度"]["points"] == "10.00"
    assert scoring["indicator_points"] == "63.00"
    assert scoring["total"] == "72.00" and scoring["grade"] == "fair"
    assert read["computed_score"] == "72.00"
    assert [flag["code"] for flag in read["plausibility_flags"]] == [
        "FINAL_CONTRADICTS_MONITORING"  # 200 at the year end after 250 in June
    ]
    assert read["plausibility_flags"][0]["inputs"]["month"] == 6

    line_id = evaluator.lines(item_id)["培训教师人数"]
    adjusted = evaluator.do(
        item_id, f"lines/{line_id}/adjustment", "finance", points="10", reason="实际人数核减"
    )
    assert adjusted.status_code == 200, adjusted.text
    assert adjusted.json()["adjusted_score"] == "70.00"
    assert adjusted.json()["final_score"] == "70.00"
    graded = evaluator.do(item_id, "grade", "finance", decision="approve", finding="资料真实完整")
    assert graded.status_code == 200, graded.text
    result = graded.json()
    assert (result["status"], result["final_score"], result["grade"]) == ("graded", "70.00", "fair")
    assert result["finance_finding"] == "资料真实完整"
    assert evaluator.audit(result["id"]) == [
        "self_evaluation.created",
        "self_evaluation.submitted",
        "self_evaluation.line_adjusted",
        "self_evaluation.graded",
    ]


def test_full_marks_grade_excellent(evaluator):
    item = evaluator.funded()
    read = evaluator.filed(item["id"])
    assert read["scoring"]["total"] == "100.00" and read["scoring"]["grade"] == "excellent"
    assert read["plausibility_flags"] == []
    graded = evaluator.do(item["id"], "grade", "finance", decision="approve", finding="属实")
    assert graded.json()["grade"] == "excellent"


def test_a_units_self_evaluation_passes_its_department(evaluator):
    item = evaluator.funded(user="unit", org="201001")
    read = evaluator.filed(item["id"], user="unit")
    assert read["status"] == "department_review"
    returned = evaluator.do(
        item["id"], "department-review", "department", decision="return", reason="补充问题分析"
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    assert returned.json()["return_reason"] == "补充问题分析"
    again = evaluator.filed(item["id"], user="unit", version=returned.json()["version"])
    assert again["status"] == "department_review" and again["return_reason"] is None
    approved = evaluator.do(item["id"], "department-review", "department", decision="approve")
    assert approved.json()["status"] == "finance_review"


def test_a_department_overall_item_is_evaluated_on_its_aspects(evaluator):
    item = evaluator.overall()
    lines = evaluator.final_answers(item["id"], 公用经费控制率="110", 家长满意度=("achieved", "90"))
    for answer in lines:
        answer["explanation"] = "说明"
    read = evaluator.filed(item["id"], lines=lines, final_execution="1200000.00")
    scored = by_name(read)
    assert set(scored) == {entry["name"] for entry in OVERALL_ASPECTS}
    assert scored["公用经费控制率"]["points"] == "13.50"  # (1 − 10 ÷ 100) × 15
    assert scored["家长满意度"]["points"] == "18.00"
    assert read["scoring"]["total"] == str(
        Decimal("10") + Decimal("13.50") + 15 + 20 + 20 + Decimal("18.00")
    )


def test_attachments_and_the_checklist(evaluator):
    item = evaluator.funded()
    assert evaluator.file(item["id"]).status_code == 200
    upload = evaluator.client.post(
        url(item["id"], "/attachments"),
        files={"file": ("自评报告.pdf", PDF, "application/pdf")},
        headers=evaluator.auth("department"),
    )
    assert upload.status_code == 201, upload.text
    listed = evaluator.client.get(
        url(item["id"], "/attachments"), headers=evaluator.auth("finance")
    )
    assert [a["filename"] for a in listed.json()["items"]] == ["自评报告.pdf"]
    download = evaluator.client.get(
        url(item["id"], f"/attachments/{upload.json()['id']}"), headers=evaluator.auth("finance")
    )
    assert download.status_code == 200 and download.content == PDF
    read = evaluator.filed(item["id"], version=evaluator.evaluation(item["id"])["version"])
    assert all(check["ok"] for check in read["completeness"])
    assert [a["filename"] for a in read["attachments"]] == ["自评报告.pdf"]


def test_the_self_evaluation_table_as_a_workbook(evaluator):
    item = evaluator.funded()
    evaluator.filed(item["id"])
    response = evaluator.client.get(
        url(item["id"]), params={"format": "xlsx"}, headers=evaluator.auth("finance")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["基本情况", "绩效指标自评", "自评报告"]
    summary = {row[0]: row[1] for row in book["基本情况"].iter_rows(min_row=2, values_only=True)}
    assert summary["自评总分"] == 100 and summary["自评等级"] == "优"
    header = [cell.value for cell in book["绩效指标自评"][1]]
    assert header[:3] == ["一级指标", "二级指标", "三级指标"]
    assert book["绩效指标自评"].max_row == 5
