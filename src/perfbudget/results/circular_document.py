"""The department assessment circular (考核通报, S3) as a county document (.docx).

Built from the reads the JSON answers come from: the circular (``get_circular``), the
department assessments (``list_assessments``) and the graded results per department
(``results_by_organisation``). The ranking is the published snapshot; a draft circular,
whose JSON ranking is still empty, shows the assessments' ranking as it stands, marked as
a draft.

A circular carries no number of its own. Its number is derived, stable for the circular:
the first character of the finance bureau's name and 财绩 (财政局, 绩效), the fiscal year
assessed and the circular's id — 县财绩〔2027〕3号."""

from decimal import Decimal

from sqlalchemy.orm import Session

from perfbudget import documents
from perfbudget.charts import Bar, Chart, Series
from perfbudget.documents import DASH, CountyDocument
from perfbudget.evaluations.models import Grade
from perfbudget.exports import Download
from perfbudget.monitoring import schedule
from perfbudget.results import assessment, service
from perfbudget.results.models import AssessmentStatus
from perfbudget.results.repository import GRADE_POINTS
from perfbudget.results.schemas import (
    CircularRead,
    DepartmentAssessmentList,
    GradeCounts,
    MetricRead,
    RankingEntry,
    ResultsByOrganisation,
)
from perfbudget.users import repository as user_repository

# when no active finance user names its organisation
DEFAULT_ISSUER = "县财政局"
MEASURES = {
    "targets_on_time": "绩效目标按时报送",
    "reports_on_time": "监控报告按时报送",
    "rectifications_on_time": "整改按期完成",
    "evaluations_submitted": "绩效自评提交",
    "average_grade": "评价等级",
}
GRADE_SERIES = {
    Grade.excellent: Series("EXC", (46, 125, 50)),
    Grade.good: Series("GOOD", (33, 150, 243)),
    Grade.fair: Series("FAIR", (255, 160, 0)),
    Grade.poor: Series("POOR", (211, 47, 47)),
}
RANKING_HEADERS = ["名次", "部门编码", "部门名称", "计算得分", "定性评分", "综合得分"]


def _ranking(circular: CircularRead, listing: DepartmentAssessmentList) -> list[RankingEntry]:
    if circular.status is AssessmentStatus.published:
        return circular.ranking
    return [
        RankingEntry.model_validate(
            {
                "rank": row.rank,
                "department": row.department,
                "computed_score": row.computed_score,
                "qualitative_score": row.qualitative_score,
                "total_score": row.total_score,
            }
        )
        for row in listing.items
        if row.rank is not None
    ]


def _grade_counts(counts: GradeCounts | None) -> list[str]:
    if counts is None:
        return ["0"] * len(GRADE_SERIES)
    return [str(getattr(counts, grade.value)) for grade in GRADE_SERIES]


def _measure(metric: MetricRead) -> str:
    if metric.points is None:
        return "不计"
    return f"{documents.two(metric.points)}（{documents.shown_percent(metric.share)}）"


def _method() -> str:
    weights = "、".join(
        f"{MEASURES[name]}{weight:.0f}分" for name, weight in assessment.WEIGHTS.items()
    )
    grades = "、".join(f"{grade.label_zh}{points}" for grade, points in GRADE_POINTS.items())
    computed = assessment.COMPUTED_SHARE * 100
    qualitative = assessment.QUALITATIVE_SHARE * 100
    return (
        f"考核办法：各项考核指标按得分率计分（权重：{weights}；评价等级按{grades}折算，"
        f"满分{assessment.TOP_GRADE_POINTS}），计算得分＝各项得分之和÷可计量指标权重之和×100，"
        f"无可计量记录的指标不计；综合得分＝计算得分×{computed:.0f}%＋定性评分×{qualitative:.0f}%，"
        "按综合得分排名，得分相同的名次并列。表中各项为“得分（得分率）”。"
    )


def _ranking_section(
    document: CountyDocument, ranking: list[RankingEntry], results: ResultsByOrganisation
) -> None:
    grades = {row.department.code: row.grades for row in results.departments}
    document.heading(f"{documents.heading_number(1)}考核结果排名")
    document.table(
        [*RANKING_HEADERS, *(grade.label_zh for grade in GRADE_SERIES)],
        [
            [
                str(entry.rank),
                entry.department.code,
                entry.department.name_zh,
                documents.two(entry.computed_score),
                documents.two(entry.qualitative_score),
                documents.two(entry.total_score),
                *_grade_counts(grades.get(entry.department.code)),
            ]
            for entry in ranking
        ],
        widths=[12, 16, 38, 18, 18, 18, 9, 9, 9, 9],
    )
    if not ranking:
        document.paragraphs("尚无综合得分的部门，暂不排名。")


def _measures_section(document: CountyDocument, listing: DepartmentAssessmentList) -> None:
    document.heading(f"{documents.heading_number(2)}考核指标得分情况")
    document.table(
        [
            "部门编码",
            "部门名称",
            *(f"{label}（{assessment.WEIGHTS[name]:.0f}分）" for name, label in MEASURES.items()),
            "计算得分",
        ],
        [
            [
                row.department.code,
                row.department.name_zh,
                *(_measure(getattr(row.metrics, name)) for name in MEASURES),
                documents.two(row.computed_score),
            ]
            for row in listing.items
        ],
        widths=[14, 28, 19, 19, 19, 19, 19, 19],
    )
    document.paragraphs(_method())


def _grades_section(document: CountyDocument, results: ResultsByOrganisation) -> None:
    """Grades by department: a stacked bar of 优/良/中/差 per department code."""
    document.heading(f"{documents.heading_number(3)}绩效评价等级分布")
    departments = results.departments
    chart = Chart(
        title=f"{results.fiscal_year}: graded items by department",
        series=tuple(GRADE_SERIES.values()),
        bars=tuple(
            Bar(
                row.department.code,
                tuple(Decimal(getattr(row.grades, grade.value)) for grade in GRADE_SERIES),
            )
            for row in departments
        ),
    )
    keys = "，".join(f"{series.name}＝{grade.label_zh}" for grade, series in GRADE_SERIES.items())
    codes = "；".join(f"{row.department.code} {row.department.name_zh}" for row in departments)
    document.chart(
        chart,
        "各部门绩效评价等级分布（项目数）",
        [
            f"图例：{keys}；纵轴为经财政评定等级的项目数（含所属单位），横轴为部门编码。",
            f"部门编码：{codes or DASH}。",
        ],
    )


def circular_document(session: Session, year: int) -> Download:
    """The year's circular as the county prints it: number, ranking, measures, chart."""
    circular = assessment.get_circular(session, year)
    listing = assessment.list_assessments(session, year)
    results = service.results_by_organisation(session, year)
    bureau = user_repository.finance_bureau(session)
    issuer = bureau.name_zh if bureau is not None else DEFAULT_ISSUER
    published = circular.status is AssessmentStatus.published
    document = CountyDocument(
        mark=f"{issuer}文件",
        number=documents.document_number(f"{issuer[0]}财绩", year, circular.id),
        title=circular.title,
        issuer=issuer,
        issued_on=(
            schedule.local_day(circular.published_at)
            if published and circular.published_at is not None
            else schedule.local_today()
        ),
        draft=not published,
    )
    document.paragraphs(circular.body)
    _ranking_section(document, _ranking(circular, listing), results)
    _measures_section(document, listing)
    _grades_section(document, results)
    return document.download(f"{year}年度部门预算绩效管理工作考核通报.docx")
