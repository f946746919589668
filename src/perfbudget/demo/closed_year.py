"""The demo county's closed year (the one before the year in execution): self-evaluations
graded 优 / 良 / 中 / 差, the department assessment circulated, targets and results published
— and a request for the year in preparation that continues the poor item, held by
POOR_RESULT_REQUIRES_REDUCTION (S2.5).

Its story is replayed: funded in the December before, paid in November, evaluated, graded
and closed in the January after (always in the past, whatever day the demo is loaded)."""

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.budget_items import preparation as item_preparation
from perfbudget.budget_items import review as item_review
from perfbudget.budget_items.models import BudgetItem
from perfbudget.budget_items.schemas import BudgetItemCreate
from perfbudget.demo.calendar import DemoCalendar
from perfbudget.demo.execution import _item
from perfbudget.demo.front_gate import _actor, _lines
from perfbudget.disclosure import service as disclosure_service
from perfbudget.disclosure.schemas import PublicationCreate
from perfbudget.evaluations import review as evaluation_review
from perfbudget.evaluations import service as evaluation_service
from perfbudget.evaluations.schemas import DepartmentReview as EvaluationReview
from perfbudget.evaluations.schemas import (
    EvaluationAction,
    EvaluationDraft,
    EvaluationLineIn,
    GradeDecision,
    Sections,
)
from perfbudget.fiscal_years import repository as fiscal_year_repository
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.models import FiscalYearStatus
from perfbudget.fiscal_years.schemas import FiscalYearCreate
from perfbudget.indicators.models import Direction
from perfbudget.monitoring.models import QualitativeStatus
from perfbudget.orgs import repository as org_repository
from perfbudget.payments import service as payment_service
from perfbudget.payments.schemas import DisbursementCreate
from perfbudget.results import assessment as assessment_service
from perfbudget.results.schemas import AssessmentUpdate, CircularCreate, CircularPublish
from perfbudget.targets import service as target_service
from perfbudget.targets.schemas import TargetReview, TargetSetWrite

# owner, org, name, amount, share of each target achieved, share of budget spent
ITEMS = [
    ("department", "201", "农村义务教育营养改善", "2800000.00", Decimal("1.00"), Decimal("0.98")),
    ("health", "202", "妇幼健康服务", "1600000.00", Decimal("0.85"), Decimal("0.90")),
    ("agriculture", "203", "农机购置补贴", "2200000.00", Decimal("0.70"), Decimal("0.75")),
    ("transport", "204", "农村客运班线补贴", "2000000.00", Decimal("0.40"), Decimal("0.45")),
]
DEPARTMENTS = ("201", "202", "203", "204")


def _evaluate(
    session: Session, who: str, item: BudgetItem, achieved: Decimal, spent: Decimal
) -> None:
    actor, finance = _actor(session, who), _actor(session, "finance")
    approved_set = target_service.current_set(session, finance, item.id)
    lines = []
    for line in approved_set.lines:
        if line.direction is Direction.qualitative:
            status = (
                QualitativeStatus.achieved
                if achieved >= Decimal("0.9")
                else QualitativeStatus.partially_achieved
                if achieved >= Decimal("0.6")
                else QualitativeStatus.not_achieved
            )
            share = {"achieved": "90", "partially_achieved": "70", "not_achieved": "40"}
            lines.append(
                EvaluationLineIn(
                    target_line_id=line.id,
                    qualitative_status=status,
                    qualitative_share=Decimal(share[status.value]),
                    explanation="" if achieved >= 1 else "部分任务未完成",
                )
            )
        else:
            target = line.target_value or Decimal(0)
            lines.append(
                EvaluationLineIn(
                    target_line_id=line.id,
                    final_actual=(target * achieved).quantize(Decimal("0.01")),
                    explanation="" if achieved >= 1 else "受实施条件影响未达目标",
                )
            )
    approved = item.approved_amount or Decimal(0)
    draft = evaluation_service.save_draft(
        session,
        actor,
        item.id,
        EvaluationDraft(
            final_execution=(approved * spent).quantize(Decimal("0.01")),
            lines=lines,
            sections=Sections(
                overview=f"{item.name}按年度计划实施。",
                achievements="完成主要任务。",
                problems="部分指标未达预期。",
                improvements="加强过程管理。",
            ),
        ),
        None,
    )
    submitted = evaluation_service.submit(
        session, actor, item.id, EvaluationAction(version=draft.version), draft.version
    )
    if submitted.status.value == "department_review":
        submitted = evaluation_review.department_review(
            session,
            _actor(session, "department"),
            item.id,
            EvaluationReview(decision="approve", version=submitted.version),
            submitted.version,
        )
    evaluation_review.grade(
        session,
        finance,
        item.id,
        GradeDecision(
            decision="approve", finding="自评资料真实、完整。", version=submitted.version
        ),
        submitted.version,
    )


def load_closed_year(session: Session, calendar: DemoCalendar) -> None:
    year, after = calendar.closed, calendar.closed + 1
    finance = _actor(session, "finance")
    with clock.replaying(calendar.moment(date(year - 1, 12, 1))):
        if fiscal_year_repository.get_by_year(session, year) is None:
            fiscal_year_service.create_fiscal_year(session, finance, FiscalYearCreate(year=year))
    with clock.replaying(calendar.moment(date(year - 1, 12, 20))):
        funded = [
            (who, _item(session, who, org, name, amount, year), achieved, spent)
            for who, org, name, amount, achieved, spent in ITEMS
        ]
    with clock.replaying(calendar.moment(date(year, 1, 1), hour=9)):
        current = fiscal_year_service.get_fiscal_year(session, year)
        fiscal_year_service.change_status(
            session, finance, year, FiscalYearStatus.executing, current.version
        )
    for who, item, achieved, spent in funded:
        with clock.replaying(calendar.moment(date(year, 11, 30), hour=15)):
            payment_service.record_disbursement(
                session,
                finance,
                item.id,
                DisbursementCreate(
                    amount=((item.approved_amount or Decimal(0)) * spent).quantize(Decimal("0.01")),
                    paid_on=date(year, 11, 30),
                    purpose="全年拨款",
                ),
            )
        with clock.replaying(calendar.moment(date(after, 1, 15))):
            _evaluate(session, who, item, achieved, spent)
    with clock.replaying(calendar.moment(date(after, 1, 31))):
        _close_and_publish(session, year)

    # the year in preparation: the transport bureau asks for the same money again after a 差
    _continue_the_poor_item(session, funded[-1][1], calendar.preparing)


def _close_and_publish(session: Session, year: int) -> None:
    finance = _actor(session, "finance")
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    fiscal_year_service.change_status(
        session, finance, year, FiscalYearStatus.closed, fiscal_year.version
    )

    # the department assessment and its circular (S3)
    computed = assessment_service.compute_assessments(session, finance, year)
    for entry in computed.items:
        if entry.computed_score is None:
            continue
        # scoring one department re-ranks the others: read the current version each time
        current = next(
            a for a in assessment_service.list_assessments(session, year).items if a.id == entry.id
        )
        assessment_service.score_assessment(
            session,
            finance,
            year,
            entry.id,
            AssessmentUpdate(
                qualitative_score=Decimal(85), note="按时报送，配合良好。", version=current.version
            ),
            current.version,
        )
    circular = assessment_service.create_circular(
        session,
        finance,
        year,
        CircularCreate(
            title=f"关于{year}年度部门预算绩效管理工作考核情况的通报",
            body="各部门：现将考核结果通报如下。",
        ),
    )
    assessment_service.publish_circular(
        session, finance, year, CircularPublish(version=circular.version), circular.version
    )

    # disclosure with the budget and the final accounts (S4.4)
    for code in DEPARTMENTS:
        department = org_repository.get_by_code(session, code)
        assert department is not None
        for kind in ("targets", "results"):
            disclosure_service.publish(
                session, finance, year, PublicationCreate(organisation_id=department.id, kind=kind)
            )
    disclosure_service.publish_circular(session, finance, year)


def _continue_the_poor_item(session: Session, poor: BudgetItem, year: int) -> None:
    finance = _actor(session, "finance")
    transport = _actor(session, "transport")
    again = item_preparation.create_item(
        session,
        transport,
        BudgetItemCreate(
            fiscal_year=year,
            organisation_id=poor.organisation_id,
            name=f"农村客运班线补贴（{year}）",
            kind="project",
            requested_amount=Decimal("2000000.00"),
            continues_item_id=poor.id,
        ),
    )
    target_service.write_targets(
        session,
        transport,
        again.id,
        TargetSetWrite(
            overall_goal="保障农村客运", lines=_lines("客运班线", "条", "40", "群众出行便利")
        ),
        None,
    )
    item_review.submit_item(session, transport, again.id, again.version)
    targets = target_service.current_set(session, finance, again.id)
    target_service.finance_review(
        session,
        finance,
        again.id,
        TargetReview(decision="approve", version=targets.version),
        targets.version,
    )
