"""The rules of filing a monthly report (S2.3.1), as pure functions over loaded facts: the
single report's endpoints and a batch upload load the facts their own way (one item, or
every item of the upload in a fixed number of statements) and call these same functions."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from perfbudget.audit import service as audit
from perfbudget.budget_items import rules
from perfbudget.budget_items.models import BudgetItem, ItemStatus
from perfbudget.errors import RuleViolation, Unprocessable
from perfbudget.fiscal_years.models import FiscalYearStatus
from perfbudget.fiscal_years.parameters import RuleParameters
from perfbudget.indicators.models import Direction
from perfbudget.monitoring import evaluation, schedule
from perfbudget.monitoring.models import MonitoringReport, QualitativeStatus, ReportStatus
from perfbudget.monitoring.schemas import ReportDraft, ReportLineIn
from perfbudget.payments import service as payment_service
from perfbudget.principal import Actor
from perfbudget.targets import lines_in_force as targets_in_force
from perfbudget.targets import service as target_service
from perfbudget.targets.models import TargetLine
from perfbudget.versioning import check_version
from perfbudget.workflow import ReviewChain, Trail

# the owner's side may still change these; their lights are a preview until submission
EDITABLE = (ReportStatus.draft, ReportStatus.returned)


class Answer(Protocol):
    """A report line as stored or as sent."""

    @property
    def target_line_id(self) -> int: ...
    @property
    def actual(self) -> Decimal | None: ...
    @property
    def qualitative_status(self) -> QualitativeStatus | None: ...
    @property
    def year_target_expected(self) -> bool: ...


A = TypeVar("A", bound=Answer)


class Report(Protocol):
    """A report as stored, or a draft about to be stored."""

    @property
    def month(self) -> int: ...
    @property
    def status(self) -> ReportStatus: ...
    @property
    def version(self) -> int: ...
    @property
    def due_on(self) -> date: ...
    @property
    def cumulative_execution(self) -> Decimal: ...
    @property
    def target_expected(self) -> bool: ...
    @property
    def deviation_reasons(self) -> str: ...
    @property
    def corrective_measures(self) -> str: ...
    @property
    def lines(self) -> Sequence[Answer]: ...


def _trail(report: MonitoringReport) -> Trail:
    """A move's audit event carries the report's light, and its item and month."""
    return Trail(
        {"item_light": report.item_light}, {"item_id": report.item_id, "month": report.month}
    )


CHAIN = ReviewChain(
    "monitoring report",
    "绩效监控报告",
    states=ReportStatus,
    outcomes=(
        ReportStatus.accepted,
        ReportStatus.rectify,
        ReportStatus.suspended,
        ReportStatus.stopped,
    ),
    finance_returns=False,
    audited=MonitoringReport,
    recorder=audit.record,
    trail=_trail,
)


# --- what may be filed, and when ----------------------------------------------------------


def check_applicable(item: BudgetItem, month: int) -> None:
    """S2.3.1: funded projects and policies every month; a department's overall budget
    at the end of June."""
    if (
        item.status is not ItemStatus.funded
        or item.kind not in evaluation.MONITORED_KINDS
        or month not in schedule.report_months(item.kind)
    ):
        raise RuleViolation(
            "REPORT_NOT_APPLICABLE",
            "Monthly reports are filed for funded projects and policies, months 1 to 12, and "
            "for a department's overall budget at the end of June (S2.3.1).",
            "已安排预算的项目和政策按月（1—12 月）报送绩效监控情况，部门整体支出于 6 月末报送"
            "（S2.3.1）。",
            extra={"item_status": item.status.value, "kind": item.kind.value, "month": month},
        )


def check_filing_open(item: BudgetItem, month: int, today: date) -> None:
    if item.fiscal_year.status is not FiscalYearStatus.executing:
        raise RuleViolation(
            "FISCAL_YEAR_NOT_EXECUTING",
            "Monitoring runs while the approved budget is executed (S2.3.1).",
            "绩效运行监控在预算批复后的执行期间开展（S2.3.1）。",
            extra={"fiscal_year_status": item.fiscal_year.status.value},
        )
    opens = schedule.after_month(item.fiscal_year.year, month)
    if today < opens:
        raise RuleViolation(
            "MONTH_NOT_ENDED",
            f"The report for month {month} can be filed from {opens.isoformat()} (S2.3.1).",
            f"{month} 月的监控情况自 {opens.isoformat()} 起报送（S2.3.1）。",
            extra={"opens_on": opens.isoformat()},
        )


def check_filer(actor: Actor, item: BudgetItem, month: int, today: date) -> None:
    """The owner files, for a month the item is monitored and that has ended."""
    rules.require_owner_side(actor, item)
    check_applicable(item, month)
    check_filing_open(item, month, today)


def check_editable(report: Report) -> None:
    if report.status not in EDITABLE:
        raise RuleViolation(
            "REPORT_NOT_EDITABLE",
            "Only a draft or returned report can be changed.",
            "仅草稿或退回状态的监控报告可以修改。",
            extra={"report_status": report.status.value},
        )


# --- the draft -------------------------------------------------------------------------------


def paid_by_month_end(item: BudgetItem, month: int, paid_by_month: dict[date, Decimal]) -> Decimal:
    """What the treasury says was paid by the month end (a draft's default execution), from
    the item's payments by month."""
    month_end = schedule.after_month(item.fiscal_year.year, month)
    return payment_service.paid_before(paid_by_month, month_end)


@dataclass(frozen=True)
class Draft:
    """What saving a draft stores: its fields and its checked lines."""

    fields: dict[str, Any]
    lines: list[ReportLineIn]


def checked_lines(data: list[ReportLineIn], approved: Sequence[TargetLine]) -> list[ReportLineIn]:
    by_id = target_service.answered_lines(approved, [entry.target_line_id for entry in data])
    mismatched = [
        entry.target_line_id
        for entry in data
        if (
            entry.actual
            if by_id[entry.target_line_id].direction is Direction.qualitative
            else entry.qualitative_status
        )
        is not None
    ]
    if mismatched:
        raise Unprocessable(
            "LINE_VALUE_MISMATCH",
            "Quantitative lines take an actual value, qualitative lines a status.",
            "定量指标填写实际值，定性指标填写达成情况。",
            extra={"target_line_ids": mismatched},
        )
    evaluation.check_actuals(by_id, [(entry.target_line_id, entry.actual) for entry in data])
    return data


def check_startable(
    item: BudgetItem, month: int, approved: Sequence[TargetLine] | None, today: date
) -> Sequence[TargetLine]:
    """A month's report can be started, whoever asks (S2.3.1): the item is monitored that
    month, the month has ended in a year being executed, and its targets are approved (the
    lines in force are returned)."""
    check_applicable(item, month)
    check_filing_open(item, month, today)
    return targets_in_force.require_approved(approved)


def draft(
    actor: Actor,
    item: BudgetItem,
    month: int,
    data: ReportDraft,
    *,
    approved: Sequence[TargetLine] | None,
    stored: Report | None,
    paid_by_month_end: Decimal,
    today: date,
    expected_version: int | None,
) -> Draft:
    """Every rule of saving a month's draft: the first that refuses raises."""
    rules.require_owner_side(actor, item)
    lines_in_force = check_startable(item, month, approved, today)
    execution = rules.stated_execution(
        item, data.cumulative_execution, paid_by_month_end, "Cumulative execution", "累计执行数"
    )
    lines = checked_lines(data.lines, lines_in_force)
    if stored is not None:
        check_editable(stored)
        check_version(stored.version, expected_version)
    return _stored_as(data, execution, lines)


def first_draft(
    item: BudgetItem,
    month: int,
    *,
    approved: Sequence[TargetLine] | None,
    paid_by_month_end: Decimal,
    today: date,
) -> Draft:
    """The draft a month's report starts from before its first save, for whoever may read
    the item: what a save of every approved line unanswered would store (the execution paid
    by the month's end); refused where that save would be, the owner's check aside."""
    lines_in_force = check_startable(item, month, approved, today)
    lines = [ReportLineIn(target_line_id=target.id) for target in lines_in_force]
    return _stored_as(ReportDraft(lines=lines), paid_by_month_end, lines)


def _stored_as(data: ReportDraft, execution: Decimal, lines: list[ReportLineIn]) -> Draft:
    return Draft(
        {
            "cumulative_execution": execution,
            "target_expected": data.target_expected,
            "deviation_reasons": data.deviation_reasons,
            "corrective_measures": data.corrective_measures,
        },
        lines,
    )


# --- submission ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """What submitting sets: the next status, the lines kept (those of the targets in force),
    and the report's fields (the lights; the first submission's time and lateness)."""

    route: ReportStatus
    kept_line_ids: frozenset[int]
    fields: dict[str, Any]

    def kept(self, lines: Sequence[A]) -> list[A]:
        """The lines a submitted report keeps: those of the targets in force."""
        return [line for line in lines if line.target_line_id in self.kept_line_ids]


def submission(
    item: BudgetItem,
    report: Report,
    approved: Sequence[TargetLine] | None,
    *,
    plan: dict[int, Decimal] | None,
    parameters: RuleParameters,
    submitted_at: datetime | None,
    now: datetime,
) -> Submission:
    """Complete, lit and explained (S2.3.1), after ``CHAIN.check_submission``. ``submitted_at``:
    the report's first submission, None if none: its time and lateness stay (lateness is the
    first submission's: a return for changes is the reviewer's doing)."""
    lines_in_force = targets_in_force.require_approved(approved)
    check_complete(report, lines_in_force)
    current = frozenset(target.id for target in lines_in_force)
    kept = [line for line in report.lines if line.target_line_id in current]
    document = evaluation.lights_document(
        item, report, kept, lines_in_force, plan=plan, parameters=parameters, preview=False
    )
    check_explained(report, kept, document)
    fields: dict[str, Any] = {
        "lights": document,
        "item_light": document["item"]["light"],
        "execution_light": document["execution"]["light"],
        "return_reason": None,
    }
    if submitted_at is None:
        fields |= {"submitted_at": now, "late": schedule.local_day(now) > report.due_on}
    return Submission(CHAIN.route(rules.needs_department_review(item)), current, fields)


def check_complete(report: Report, approved: Sequence[TargetLine]) -> None:
    answers = {line.target_line_id: line for line in report.lines}
    missing = [
        target
        for target in approved
        if target.id not in answers or not evaluation.answered(target, answers[target.id])
    ]
    if missing:
        raise RuleViolation(
            "REPORT_INCOMPLETE",
            "Report every approved indicator: an actual value, or a status for qualitative "
            f"ones (S2.3.1); missing: {', '.join(t.name for t in missing)}.",
            f"须逐项填报批复的绩效指标：定量指标填写实际值，定性指标填写达成情况（S2.3.1）；"
            f"缺少：{'、'.join(t.name for t in missing)}。",
            extra={"lines": [{"target_line_id": t.id, "name": t.name} for t in missing]},
        )


def check_explained(report: Report, lines: Sequence[Answer], document: dict[str, Any]) -> None:
    """S2.3.1 "correct problems at once": a deviation comes with its reasons and measures."""
    light = document["item"]["light"]
    expects_shortfall = not report.target_expected or any(
        not line.year_target_expected for line in lines
    )
    if light not in ("red", "yellow") and not expects_shortfall:
        return
    missing = [
        name
        for name in ("deviation_reasons", "corrective_measures")
        if not getattr(report, name).strip()
    ]
    if missing:
        raise RuleViolation(
            "DEVIATION_EXPLANATION_REQUIRED",
            "The report shows a deviation (a red or yellow light, or a target not expected to "
            "be met): give its reasons and the corrective measures (S2.3.1).",
            "监控发现偏差（红灯、黄灯或预计无法完成目标），须说明偏差原因及纠偏措施（S2.3.1）。",
            extra={"item_light": light, "missing": missing},
        )
