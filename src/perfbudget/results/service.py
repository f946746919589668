"""Use of results (结果运用, S2.5): the ledger of graded items and their consequences, the
export by organisation for government and officials' appraisal, rectification plans."""

from collections import Counter
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import RowMapping
from sqlalchemy.orm import Session

from perfbudget import clock, figures
from perfbudget.audit import service as audit
from perfbudget.budget_items import repository as item_repository
from perfbudget.budget_items import rules
from perfbudget.errors import RuleViolation, not_found
from perfbudget.evaluations.models import Consequence, Grade
from perfbudget.exports import Download, add_sheet, csv_download, new_workbook, xlsx_download
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.orgs.models import Organisation, OrganisationKind
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.overview.schemas import ItemRef
from perfbudget.pagination import Page
from perfbudget.principal import Actor
from perfbudget.results import repository
from perfbudget.results.models import AssessmentStatus, Circular, RectificationPlan
from perfbudget.results.schemas import (
    DepartmentResults,
    GradeCounts,
    OrganisationResults,
    RectificationPlanCreate,
    RectificationPlanRead,
    ResultRow,
    ResultsByOrganisation,
    ResultsFilter,
)

CENT = Decimal("0.01")
# S2.5 and DOMAIN §3: 优/良 supported; 中 rectify; 差 funds reduced or cancelled
CONSEQUENCES = {
    Grade.excellent: Consequence.support,
    Grade.good: Consequence.support,
    Grade.fair: Consequence.rectify,
    Grade.poor: Consequence.reduce_or_cancel,
}


def consequence_for(grade: Grade) -> Consequence:
    return CONSEQUENCES[grade]


def department_of(organisation: Organisation) -> int:
    """The top of the materialised path: "/4/5/" → 4."""
    top = organisation.path.strip("/").split("/")[0]
    return int(top) if top.isdigit() else organisation.id


def is_department(organisation: Organisation) -> bool:
    return organisation.parent_id is None and organisation.kind is OrganisationKind.department


def money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


# --- the ledger --------------------------------------------------------------------------------


def _grades(filters: ResultsFilter) -> list[Grade] | None:
    if filters.grade is None and filters.consequence is None:
        return None
    return [
        grade
        for grade in Grade
        if filters.grade in (None, grade) and filters.consequence in (None, consequence_for(grade))
    ]


def _row(row: RowMapping) -> ResultRow:
    grade: Grade = row["grade"]
    consequence = consequence_for(grade)
    return ResultRow(
        evaluation_id=row["evaluation_id"],
        item=ItemRef(id=row["item_id"], code=row["item_code"], name=row["item_name"]),
        organisation=OrganisationRef(
            id=row["organisation_id"],
            code=row["organisation_code"],
            name_zh=row["organisation_name_zh"],
        ),
        kind=row["kind"],
        approved_amount=row["approved_amount"],
        final_score=row["final_score"],
        grade=grade,
        grade_label_zh=grade.label_zh,
        consequence=consequence,
        consequence_label_zh=consequence.label_zh,
        rectification_plan_on_file=bool(row["plan_on_file"]),
        graded_at=row["graded_at"],
    )


def _ledger(
    session: Session, year: int, filters: ResultsFilter, *, everything: bool
) -> tuple[list[ResultRow], int]:
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    rows, total = repository.ledger_page(
        session,
        fiscal_year.id,
        organisation_id=filters.organisation_id,
        grades=_grades(filters),
        kind=filters.kind,
        sort=filters.sort,
        limit=None if everything else filters.limit,
        offset=0 if everything else filters.offset,
    )
    return [_row(row) for row in rows], total


def results_ledger(session: Session, year: int, filters: ResultsFilter) -> Page[ResultRow]:
    rows, total = _ledger(session, year, filters, everything=False)
    return Page[ResultRow](items=rows, total=total, limit=filters.limit, offset=filters.offset)


LEDGER_HEADERS = [
    "单位编码",
    "单位",
    "项目编码",
    "项目名称",
    "项目类型",
    "批复金额（元）",
    "评价得分",
    "评价等级",
    "结果运用",
    "整改计划",
]


def results_export(session: Session, year: int, filters: ResultsFilter) -> Download:
    """The whole filtered ledger as a workbook or a CSV (UTF-8 with BOM)."""
    rows, _ = _ledger(session, year, filters, everything=True)
    lines = [
        (
            row.organisation.code,
            row.organisation.name_zh,
            row.item.code or "",
            row.item.name,
            row.kind.label_zh,
            row.approved_amount,
            row.final_score,
            row.grade_label_zh,
            row.consequence_label_zh,
            "已报送" if row.rectification_plan_on_file else "",
        )
        for row in rows
    ]
    if filters.format == "csv":
        return csv_download(LEDGER_HEADERS, lines, f"{year}年度绩效评价结果.csv")
    workbook = new_workbook()
    add_sheet(workbook, "评价结果", LEDGER_HEADERS, lines)
    return xlsx_download(workbook, f"{year}年度绩效评价结果.xlsx")


# --- by organisation -----------------------------------------------------------------------------


def _figures(tally: Counter[str]) -> OrganisationResults:
    scored = tally["scored"]
    # the mean of two-decimal scores, shown by the one rounding rule
    average = (
        figures.shown(figures.EXACT.divide(Decimal(tally["score_cents"]), Decimal(100 * scored)))
        if scored
        else None
    )
    return OrganisationResults(
        graded=tally["graded"],
        grades=GradeCounts(**{grade.value: tally[grade.value] for grade in Grade}),
        average_score=average,
        approved_total=money(tally["approved_cents"]),
    )


def results_by_organisation(session: Session, year: int) -> ResultsByOrganisation:
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    organisations = {org.id: org for org in repository.organisations(session)}
    tallies: dict[int, Counter[str]] = {}
    for organisation_id, counts in repository.results_by_organisation(
        session, fiscal_year.id
    ).items():
        department = department_of(organisations[organisation_id])
        tallies.setdefault(department, Counter()).update(counts)
    county: Counter[str] = Counter()
    for tally in tallies.values():
        county.update(tally)
    shown = [org for org in organisations.values() if org.id in tallies or is_department(org)]
    return ResultsByOrganisation(
        fiscal_year=year,
        county=_figures(county),
        departments=[
            DepartmentResults.model_validate(
                {
                    "department": OrganisationRef.model_validate(org),
                    **dict(_figures(tallies.get(org.id, Counter()))),
                }
            )
            for org in sorted(shown, key=lambda org: org.code)
        ],
    )


def by_organisation_workbook(report: ResultsByOrganisation) -> Download:
    workbook = new_workbook()
    add_sheet(
        workbook,
        "部门评价结果",
        [
            "部门编码",
            "部门",
            "评价项目数",
            "优",
            "良",
            "中",
            "差",
            "平均得分",
            "批复金额合计（元）",
        ],
        (
            (
                entry.department.code,
                entry.department.name_zh,
                entry.graded,
                entry.grades.excellent,
                entry.grades.good,
                entry.grades.fair,
                entry.grades.poor,
                entry.average_score,
                entry.approved_total,
            )
            for entry in report.departments
        ),
    )
    return xlsx_download(workbook, f"{report.fiscal_year}年度部门绩效评价结果汇总.xlsx")


# --- rectification plans (S2.5: 中 → rectify before funding again) ------------------------------


def plans_for_items(session: Session, item_ids: Iterable[int]) -> set[int]:
    return repository.plans_for_items(session, item_ids)


def file_rectification_plan(
    session: Session, actor: Actor, item_id: int, body: RectificationPlanCreate
) -> RectificationPlanRead:
    item = item_repository.get(session, actor, item_id)
    if item is None:
        raise not_found("Budget item", "预算项目")
    rules.require_owner_side(actor, item)
    evaluation = repository.graded_evaluation(session, item.id)
    if evaluation is None or evaluation.grade is not Grade.fair:
        raise RuleViolation(
            "RECTIFICATION_PLAN_NOT_APPLICABLE",
            "A rectification plan is filed for an item graded fair (中) only (S2.5).",
            "仅评价等级为“中”的项目须报送整改计划（S2.5）。",
        )
    if repository.plan_for_item(session, item.id) is not None:
        raise RuleViolation(
            "RECTIFICATION_PLAN_EXISTS",
            "This item's rectification plan is already on file.",
            "该项目已报送整改计划。",
        )
    plan = RectificationPlan(
        item_id=item.id, plan=body.plan, filed_by_id=actor.user_id, filed_at=clock.utcnow()
    )
    repository.add(session, plan)
    audit.record_edit(session, actor, "filed", plan, None)
    return RectificationPlanRead.model_validate(plan)


def get_rectification_plan(session: Session, actor: Actor, item_id: int) -> RectificationPlanRead:
    item = item_repository.get(session, actor, item_id)
    plan = repository.plan_for_item(session, item.id) if item is not None else None
    if plan is None:
        raise not_found("Rectification plan", "整改计划")
    return RectificationPlanRead.model_validate(plan)


def published_circular(session: Session, year: int) -> Circular | None:
    """The year's circular once published (for public disclosure, S4.4); None otherwise."""
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    circular = repository.circular(session, fiscal_year.id)
    return circular if circular and circular.status is AssessmentStatus.published else None
