"""An item's self-evaluation report (绩效自评报告, S2.4) as a county document (.docx).

Built from the JSON read (``reading.get_evaluation``): the same lines, points, total and
grade, with the report's four sections as its text. The report is the organisation's,
addressed to the finance bureau. A self-evaluation carries no number of its own: it is
derived, stable, from the organisation's code and 绩自 (绩效自评), the fiscal year and the
self-evaluation's id — 201绩自〔2027〕5号; a draft not yet saved has no id, and its serial
is left blank."""

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from perfbudget import documents
from perfbudget.charts import Bar, Chart, Series
from perfbudget.documents import DASH, CountyDocument
from perfbudget.evaluations import reading
from perfbudget.evaluations.models import EDITABLE
from perfbudget.evaluations.schemas import EvaluationLineRead, EvaluationRead, ScoringRead
from perfbudget.exports import Download
from perfbudget.monitoring import schedule
from perfbudget.principal import Actor
from perfbudget.users import repository as user_repository

EXECUTION = Series("EXECUTION RATE", (33, 150, 243))
INDICATORS = Series("INDICATOR SCORE RATE", (46, 125, 50))
LINE = Series("LINE SCORE RATE", (129, 199, 132))
LINE_HEADERS = [
    "序号",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标方向",
    "年度目标值",
    "实际完成值",
    "分值",
    "自评得分",
    "调整后得分",
]


def _target(line: EvaluationLineRead) -> str:
    if line.target_value is None:
        return line.qualitative_standard or DASH
    return documents.plain(line.target_value) + (line.unit or "")


def _actual(line: EvaluationLineRead) -> str:
    if line.qualitative_status is not None:
        share = "" if line.qualitative_share is None else f"（{line.qualitative_share:.2f}%）"
        return line.qualitative_status.label_zh + share
    if line.final_actual is None:
        return DASH
    return documents.plain(line.final_actual) + (line.unit or "")


def line_points(read: EvaluationRead) -> dict[int, Decimal | None]:
    """Each line's points as the read shows them: the score's line (a draft's preview too),
    else the line's computed points; None for a line not answered."""
    scored = {
        line.target_line_id: line.points
        for line in (read.scoring.lines if read.scoring is not None else [])
    }
    return {
        line.target_line_id: scored.get(line.target_line_id, line.computed_points)
        for line in read.lines
    }


def _chart(
    read: EvaluationRead, card: ScoringRead | None, points: dict[int, Decimal | None]
) -> Chart:
    """Execution rate against indicator achievement (points ÷ weight), overall and by line."""
    empty = Decimal(0)
    bars = [Bar("EXEC", (_rate(read) or empty, empty, empty))]
    if card is not None:
        weight = sum((line.weight for line in card.lines), Decimal(0))
        overall = documents.percent(card.indicator_points, weight)
        bars.append(Bar("IND", (empty, overall or empty, empty)))
    for number, line in enumerate(read.lines, start=1):
        achieved = points[line.target_line_id]
        rate = None if achieved is None else documents.percent(achieved, line.weight)
        bars.append(Bar(f"L{number}", (empty, empty, rate or empty)))
    return Chart(
        title=f"{read.fiscal_year}: execution rate vs indicator score rate",
        series=(EXECUTION, INDICATORS, LINE),
        bars=tuple(bars),
        unit="%",
        reference=Decimal(100),
    )


def _rate(read: EvaluationRead) -> Decimal | None:
    return documents.percent(read.final_execution, read.approved_amount)


def _legend(read: EvaluationRead, points: dict[int, Decimal | None]) -> list[str]:
    lines = "；".join(
        f"L{number} {line.name}" + ("（未自评）" if points[line.target_line_id] is None else "")
        for number, line in enumerate(read.lines, start=1)
    )
    return [
        "图例：EXEC＝预算执行率（执行数÷批复数）；IND＝绩效指标得分率（指标得分÷指标分值）；"
        "L1、L2……＝各项指标得分率（得分÷分值）；虚线为100%。",
        "指标：" + (lines or DASH) + "。",
    ]


def _issued_on(read: EvaluationRead) -> date:
    if read.submitted_at is not None and read.status not in EDITABLE:
        return schedule.local_day(read.submitted_at)
    return schedule.local_today()


def _facts(document: CountyDocument, read: EvaluationRead) -> None:
    document.heading(documents.heading_number(1) + reading.SECTION_LABELS["overview"])
    document.paragraphs(read.sections.get("overview", ""))
    document.table(
        ["项目", "内容"],
        [
            ["项目名称", read.item_name],
            ["项目类型", read.kind.label_zh],
            ["预算年度", str(read.fiscal_year)],
            ["实施单位", f"{read.organisation.name_zh}（{read.organisation.code}）"],
            ["批复金额（元）", documents.two(read.approved_amount)],
            ["自评状态", read.status.label_zh],
        ],
        widths=[45, 110],
    )


def _execution(document: CountyDocument, read: EvaluationRead) -> None:
    card = read.scoring
    document.heading(documents.heading_number(2) + "预算执行情况")
    document.table(
        ["批复金额（元）", "执行数（元）", "预算执行率", "分值", "得分"],
        [
            [
                documents.two(read.approved_amount),
                documents.two(read.final_execution),
                documents.shown_percent(_rate(read)),
                DASH if card is None else documents.two(card.execution.weight),
                DASH if card is None else documents.two(card.execution_points),
            ]
        ],
        widths=[38, 38, 28, 25, 26],
    )


def _indicators(
    document: CountyDocument, read: EvaluationRead, points: dict[int, Decimal | None]
) -> None:
    document.heading(documents.heading_number(3) + reading.SECTION_LABELS["achievements"])
    document.paragraphs(read.sections.get("achievements", ""))
    document.table(
        LINE_HEADERS,
        [
            [
                f"L{number}",
                line.category.first_level.label_zh,
                line.category.label_zh,
                line.name,
                line.direction.label_zh,
                _target(line),
                _actual(line),
                documents.two(line.weight),
                documents.two(points[line.target_line_id]),
                documents.two(line.adjusted_points),
            ]
            for number, line in enumerate(read.lines, start=1)
        ],
        widths=[10, 16, 16, 26, 14, 18, 18, 12, 13, 13],
    )
    for number, line in enumerate(read.lines, start=1):
        if line.explanation.strip():
            document.paragraphs(f"L{number} {line.name}：{line.explanation.strip()}")


def _score(
    document: CountyDocument, read: EvaluationRead, points: dict[int, Decimal | None]
) -> None:
    card = read.scoring
    document.heading(documents.heading_number(4) + "自评得分及等级")
    document.table(
        ["评分项目", "得分"],
        [
            ["预算执行得分", DASH if card is None else documents.two(card.execution_points)],
            ["绩效指标得分", DASH if card is None else documents.two(card.indicator_points)],
            ["自评总分", DASH if card is None else documents.two(card.total)],
            ["自评等级", DASH if card is None else card.grade.label_zh],
            ["财政调整后得分", documents.two(read.adjusted_score)],
            ["最终得分", documents.two(read.final_score)],
            ["评定等级", DASH if read.grade is None else read.grade.label_zh],
        ],
        widths=[60, 95],
    )
    document.chart(_chart(read, card, points), "预算执行率与绩效指标得分率", _legend(read, points))


def report_document(session: Session, actor: Actor, item_id: int) -> Download:
    """The self-evaluation report as the organisation files it: facts, execution,
    indicators, score and grade, a chart, and its four sections."""
    read = reading.get_evaluation(session, actor, item_id)
    bureau = user_repository.finance_bureau(session)
    issuer = read.organisation.name_zh
    document = CountyDocument(
        mark=f"{issuer}文件",
        number=documents.document_number(
            f"{read.organisation.code}绩自", read.fiscal_year, read.id
        ),
        title=f"{read.fiscal_year}年度{read.item_name}绩效自评报告",
        issuer=issuer,
        issued_on=_issued_on(read),
        addressee=None if bureau is None else f"{bureau.name_zh}：",
        draft=read.status in EDITABLE,
    )
    points = line_points(read)
    _facts(document, read)
    _execution(document, read)
    _indicators(document, read, points)
    _score(document, read, points)
    labels, heading = reading.SECTION_LABELS, documents.heading_number
    document.heading(heading(5) + labels["problems"])
    document.paragraphs(read.sections.get("problems", "") or DASH)
    document.heading(heading(6) + labels["improvements"])
    document.paragraphs(read.sections.get("improvements", "") or DASH)
    if read.finance_finding:
        document.heading(heading(7) + "财政审核意见")
        document.paragraphs(read.finance_finding)
    return document.download(f"{read.fiscal_year}年度{read.item_name}绩效自评报告.docx")
