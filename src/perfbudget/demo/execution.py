"""The demo county's year in execution: dual monitoring of every month that has ended, last
month's reports in every light, one item whose payments are suspended, one open rectification
order, one report filed late and one not filed yet (due on the 10th, overdue after it).

Each month is filed when the story says (the 5th of the next month, by the county's clock),
so the compliance listing shows the one late report and no others on any day."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.budget_items import decisions as item_decisions
from perfbudget.budget_items import preparation as item_preparation
from perfbudget.budget_items import review as item_review
from perfbudget.budget_items.models import BudgetItem
from perfbudget.budget_items.schemas import BudgetDecisionRequest, BudgetItemCreate
from perfbudget.demo.calendar import DemoCalendar
from perfbudget.demo.front_gate import _actor, _lines
from perfbudget.fiscal_years import repository as fiscal_year_repository
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.models import FiscalYearStatus
from perfbudget.fiscal_years.schemas import FiscalYearCreate
from perfbudget.indicators.models import Direction
from perfbudget.monitoring import review as monitoring_review
from perfbudget.monitoring import service as monitoring_service
from perfbudget.monitoring.models import QualitativeStatus
from perfbudget.monitoring.schemas import (
    ReportAction,
    ReportDepartmentReview,
    ReportDraft,
    ReportFinanceReview,
    ReportLineIn,
)
from perfbudget.orgs import repository as org_repository
from perfbudget.payments import service as payment_service
from perfbudget.payments.schemas import DisbursementCreate, PlanMonth, SpendingPlanWrite
from perfbudget.principal import Actor
from perfbudget.targets import service as target_service
from perfbudget.targets.schemas import TargetReview, TargetSetWrite

LATE_BY_DAYS = 3  # the transport bureau filed January's report three days after it fell due


@dataclass(frozen=True)
class Profile:
    """How an item runs in the last reported month: execution ÷ time progress, and
    indicator actual ÷ expected (both as fractions); earlier months run on plan."""

    execution: Decimal
    indicators: Decimal
    decision: str = "accept"


ITEMS = [
    # owner user, org, name, amount, profile in the last ended month
    (
        "department",
        "201",
        "家庭经济困难学生资助",
        "3600000.00",
        Profile(Decimal("0.96"), Decimal(1)),
    ),
    (
        "unit",
        "201001",
        "校园安全防范能力提升",
        "480000.00",
        Profile(Decimal("0.90"), Decimal("1.30")),
    ),
    (
        "health",
        "202",
        "基本公共卫生服务补助",
        "5200000.00",
        Profile(Decimal("0.70"), Decimal("0.95")),
    ),
    (
        "agriculture",
        "203",
        "农业技术推广服务",
        "1500000.00",
        Profile(Decimal("0.40"), Decimal("0.55"), "rectify"),
    ),
    (
        "transport",
        "204",
        "农村客运班线补贴",
        "2400000.00",
        Profile(Decimal("0.35"), Decimal("0.50"), "suspend"),
    ),
]
# the education bureau has not filed last month's report of this one yet: the integration
# recipe (docs/integration.md) uploads it, and the to-do inbox and the reminders show it
NOT_YET_FILED = ("department", "201", "教师能力提升培训", "2000000.00")


def _item(session: Session, who: str, org: str, name: str, amount: str, year: int) -> BudgetItem:
    """A request filed, its targets approved and the item funded, all at 'now' (the loader
    replays the story: the budget was approved in December of the year before)."""
    owner = org_repository.get_by_code(session, org)
    assert owner is not None
    actor, finance = _actor(session, who), _actor(session, "finance")
    item = item_preparation.create_item(
        session,
        actor,
        BudgetItemCreate(
            fiscal_year=year,
            organisation_id=owner.id,
            name=name,
            kind="project",
            requested_amount=Decimal(amount),
            serves_public=True,
        ),
    )
    target_service.write_targets(
        session,
        actor,
        item.id,
        TargetSetWrite(
            overall_goal=f"{name}年度目标",
            lines=_lines("服务对象人数", "人", "12000", "群众获得感"),
        ),
        None,
    )
    item_review.submit_item(session, actor, item.id, item.version)
    if item.status.value == "department_review":
        item_review.department_review(
            session, _actor(session, "department"), item.id, _approve(item.version), item.version
        )
    current = target_service.current_set(session, finance, item.id)
    target_service.finance_review(
        session,
        finance,
        item.id,
        TargetReview(decision="approve", version=current.version),
        current.version,
    )
    item_decisions.decide(
        session,
        finance,
        item.id,
        BudgetDecisionRequest(
            decision="fund", approved_amount=Decimal(amount), version=item.version
        ),
        item.version,
    )
    return item


def _approve(version: int):  # type: ignore[no-untyped-def]
    from perfbudget.budget_items.schemas import ReviewDecision

    return ReviewDecision(decision="approve", version=version)


def _report(
    session: Session,
    who: str,
    item: BudgetItem,
    month: int,
    profile: Profile,
    deadline: date,
) -> None:
    actor, finance = _actor(session, who), _actor(session, "finance")
    approved = item.approved_amount or Decimal(0)
    progress = Decimal(month) / 12
    spent = (approved * progress * profile.execution).quantize(Decimal("0.01"))
    approved_set = target_service.current_set(session, finance, item.id)
    lines = []
    for line in approved_set.lines:
        if line.direction is Direction.qualitative:
            status = (
                QualitativeStatus.achieved
                if profile.indicators >= Decimal("0.8")
                else QualitativeStatus.partially_achieved
            )
            lines.append(ReportLineIn(target_line_id=line.id, qualitative_status=status))
        else:
            target = line.target_value or Decimal(0)
            actual = (target * progress * profile.indicators).quantize(Decimal("0.0001"))
            lines.append(
                ReportLineIn(
                    target_line_id=line.id,
                    actual=actual,
                    year_target_expected=profile.indicators >= Decimal("0.8"),
                )
            )
    behind = profile.execution < Decimal("0.8") or profile.indicators < Decimal("0.8")
    draft = monitoring_service.save_draft(
        session,
        actor,
        item.id,
        month,
        ReportDraft(
            cumulative_execution=spent,
            target_expected=not behind,
            lines=lines,
            deviation_reasons="项目实施进度滞后，资金支付慢于计划。" if behind else "",
            corrective_measures="倒排工期，加快资金支付进度。" if behind else "",
        ),
        None,
    )
    report = monitoring_service.submit(
        session, actor, item.id, month, ReportAction(version=draft.version), draft.version
    )
    if report.status.value == "department_review":
        report = monitoring_review.department_review(
            session,
            _actor(session, "department"),
            item.id,
            month,
            ReportDepartmentReview(decision="approve", version=report.version),
            report.version,
        )
    review = ReportFinanceReview(decision=profile.decision, version=report.version)
    if profile.decision in ("rectify", "suspend"):
        review.required_measures = "十二月底前完成剩余服务任务，并报送整改报告。"
        review.deadline = deadline
    if profile.decision == "suspend":
        review.reason = "执行进度与绩效目标严重偏离，暂缓拨款（S2.3.2）。"
    monitoring_review.finance_review(session, finance, item.id, month, review, review.version)


def load_execution(session: Session, calendar: DemoCalendar) -> None:
    year, last_month = calendar.executing, calendar.last_month
    finance = _actor(session, "finance")
    with clock.replaying(calendar.moment(date(year - 1, 12, 1))):
        if fiscal_year_repository.get_by_year(session, year) is None:
            fiscal_year_service.create_fiscal_year(session, finance, FiscalYearCreate(year=year))
    with clock.replaying(calendar.moment(date(year - 1, 12, 20))):
        funded = [
            (who, _item(session, who, org, name, amount, year), profile)
            for who, org, name, amount, profile in ITEMS
        ]
        who, org, name, amount = NOT_YET_FILED
        pending = (who, _item(session, who, org, name, amount, year))
    with clock.replaying(calendar.moment(date(year, 1, 1), hour=9)):
        current = fiscal_year_service.get_fiscal_year(session, year)
        fiscal_year_service.change_status(
            session, finance, year, FiscalYearStatus.executing, current.version
        )
        first = funded[0][1]
        approved = first.approved_amount or Decimal(0)
        payment_service.set_plan(
            session,
            _actor(session, "department"),
            first.id,
            SpendingPlanWrite(
                months=[
                    PlanMonth(
                        month=m, cumulative_amount=(approved * m / 12).quantize(Decimal("0.01"))
                    )
                    for m in range(1, 13)
                ]
            ),
        )
    # rectification is due a month after the last review, whatever day the demo is loaded
    deadline = calendar.today + timedelta(days=30)
    on_plan = Profile(Decimal(1), Decimal(1))
    for month in range(1, last_month + 1):
        with clock.replaying(calendar.moment(date(year, month, 20), hour=15)):
            for _who, item, profile in [*funded, (pending[0], pending[1], on_plan)]:
                if month < last_month or profile.decision == "accept":
                    _pay(session, finance, item, month, profile, last_month)
        for who, item, profile in funded:
            late = LATE_BY_DAYS if (month == 1 and profile.decision == "suspend") else 0
            with clock.replaying(calendar.report_filed(year, month, days_late=late)):
                shown = profile if month == last_month else on_plan
                _report(session, who, item, month, shown, deadline)
        if month < last_month:
            with clock.replaying(calendar.report_filed(year, month)):
                _report(session, pending[0], pending[1], month, on_plan, deadline)


def _pay(
    session: Session, finance: Actor, item: BudgetItem, month: int, profile: Profile, last: int
) -> None:
    amount = (
        (item.approved_amount or Decimal(0))
        / 12
        * (profile.execution if month == last else Decimal("0.9"))
    ).quantize(Decimal("0.01"))
    payment_service.record_disbursement(
        session,
        finance,
        item.id,
        DisbursementCreate(
            amount=amount,
            paid_on=date(item.fiscal_year.year, month, 20),
            purpose=f"{month}月拨款",
        ),
    )
