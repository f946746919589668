"""The standard self-evaluation table (绩效自评表, S2.4) as an Excel workbook, built from the
JSON read (``reading.get_evaluation``): the summary, the indicator lines and the report."""

from typing import Any

from sqlalchemy.orm import Session

from perfbudget.evaluations import reading, scoring
from perfbudget.evaluations.schemas import SECTIONS, EvaluationLineRead, EvaluationRead
from perfbudget.exports import Download, add_sheet, new_workbook, xlsx_download
from perfbudget.principal import Actor

SUMMARY_HEADERS = ["项目", "内容"]
LINE_HEADERS = [
    "一级指标",
    "二级指标",
    "三级指标",
    "指标方向",
    "年度目标值",
    "计量单位",
    "实际完成值",
    "达成等级",
    "分值",
    "自评得分",
    "财政调整得分",
    "偏差原因说明",
]


def workbook(session: Session, actor: Actor, item_id: int) -> Download:
    """The standard self-evaluation table (绩效自评表) as an Excel workbook."""
    read = reading.get_evaluation(session, actor, item_id)
    book = new_workbook()
    add_sheet(book, "基本情况", SUMMARY_HEADERS, _summary_rows(read))
    add_sheet(book, "绩效指标自评", LINE_HEADERS, [_line_row(line) for line in read.lines])
    add_sheet(
        book,
        "自评报告",
        ["部分", "内容"],
        [[reading.SECTION_LABELS[name], read.sections.get(name, "")] for name in SECTIONS],
    )
    return xlsx_download(book, f"{read.fiscal_year}年度{read.item_name}绩效自评表.xlsx")


def _summary_rows(read: EvaluationRead) -> list[list[Any]]:
    card = read.scoring
    return [
        ["项目名称", read.item_name],
        ["预算年度", read.fiscal_year],
        ["主管部门（单位）", read.organisation.name_zh],
        ["批复金额（元）", read.approved_amount],
        ["执行数（元）", read.final_execution],
        ["预算执行得分", None if card is None else card.execution_points],
        ["指标得分", None if card is None else card.indicator_points],
        ["自评总分", None if card is None else card.total],
        ["自评等级", None if card is None else card.grade.label_zh],
        ["最终得分", read.final_score],
        ["评定等级", None if read.grade is None else read.grade.label_zh],
        ["财政审核意见", read.finance_finding],
        ["状态", read.status.label_zh],
        ["计分规则", scoring.ROUNDING_RULE_ZH],
    ]


def _line_row(line: EvaluationLineRead) -> list[Any]:
    return [
        line.category.first_level.label_zh,
        line.category.label_zh,
        line.name,
        line.direction.label_zh,
        line.target_value if line.target_value is not None else line.qualitative_standard,
        line.unit,
        line.final_actual,
        None if line.qualitative_status is None else line.qualitative_status.label_zh,
        line.weight,
        line.computed_points,
        line.adjusted_points,
        line.explanation,
    ]
