"""Monthly dual monitoring (双监控, S2.3.1): the owner files each month's report on budget
execution and every approved indicator; a unit's report passes its parent department (S3);
finance accepts it, orders rectification, suspends or stops payments (S2.3.2)."""

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.audit import service as audit
from perfbudget.auth.principal import Actor
from perfbudget.budget_items import repository as item_repository
from perfbudget.budget_items import rules
from perfbudget.budget_items import service as item_service
from perfbudget.budget_items.models import BudgetItem, ItemStatus
from perfbudget.errors import RuleViolation, Unprocessable, not_found
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.models import FiscalYearStatus
from perfbudget.indicators.models import Direction
from perfbudget.monitoring import evaluation, reading, rectifications, repository, schedule
from perfbudget.monitoring.models import MonitoringReport, ReportLine, ReportStatus
from perfbudget.monitoring.schemas import (
    ReportAction,
    ReportDepartmentReview,
    ReportDraft,
    ReportFinanceReview,
    ReportLineIn,
    ReportRead,
)
from perfbudget.payments import service as payment_service
from perfbudget.payments.models import HoldKind
from perfbudget.targets import service as target_service
from perfbudget.targets.models import TargetLine
from perfbudget.versioning import check_version
from perfbudget.workflow import check_transition

R = ReportStatus
TRANSITIONS = {
    R.draft: frozenset({R.department_review, R.finance_review}),
    R.returned: frozenset({R.department_review, R.finance_review}),
    R.department_review: frozenset({R.finance_review, R.returned}),
    R.finance_review: frozenset({R.accepted, R.rectify, R.suspended, R.stopped}),
    R.accepted: frozenset[ReportStatus](),
    R.rectify: frozenset[ReportStatus](),
    R.suspended: frozenset[ReportStatus](),
    R.stopped: frozenset[ReportStatus](),
}
FINANCE_DECISIONS = {
    "accept": R.accepted,
    "rectify": R.rectify,
    "suspend": R.suspended,
    "stop": R.stopped,
}
FINANCE_ACTIONS = {
    "accept": "accepted",
    "rectify": "rectification_ordered",
    "suspend": "payments_suspended",
    "stop": "payments_stopped",
}
AUDITED_FIELDS = (
    "cumulative_execution",
    "target_expected",
    "deviation_reasons",
    "corrective_measures",
    "status",
    "item_light",
    "execution_light",
)


def _snapshot(report: MonitoringReport) -> dict[str, Any]:
    return {
        **audit.snapshot(report, AUDITED_FIELDS),
        "lines": [
            {
                "target_line_id": line.target_line_id,
                "actual": None if line.actual is None else str(line.actual),
                "qualitative_status": line.qualitative_status,
                "year_target_expected": line.year_target_expected,
                "note": line.note,
            }
            for line in report.lines
        ],
    }


def _record(
    session: Session,
    actor: Actor,
    action: str,
    report: MonitoringReport,
    before: dict[str, Any] | None,
) -> None:
    after = _snapshot(report)
    audit.record_change(
        session,
        actor,
        f"monitoring_report.{action}",
        entity_type="monitoring_report",
        entity_id=report.id,
        before=before,
        after=after
        if before is not None
        else {"item_id": report.item_id, "month": report.month, **after},
    )


def _move(
    session: Session,
    actor: Actor,
    report: MonitoringReport,
    target: ReportStatus,
    action: str,
    reason: str | None = None,
) -> None:
    check_transition(TRANSITIONS, "monitoring report", "绩效监控报告", report.status, target)
    before = report.status
    report.status = target
    session.flush()
    audit.record(
        session,
        actor,
        f"monitoring_report.{action}",
        entity_type="monitoring_report",
        entity_id=report.id,
        changes={
            "before": {"status": before.value},
            "after": {"status": target.value, "item_light": report.item_light},
            "item_id": report.item_id,
            "month": report.month,
            "reason": reason,
        },
    )


# --- what may be filed, and when ----------------------------------------------------------


def _check_applicable(item: BudgetItem, month: int) -> None:
    """S2.3.1: funded projects and policies every month; a department's overall budget
    at the end of June."""
    if (
        item.status is not ItemStatus.funded
        or item.kind not in reading.MONITORED_KINDS
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


def _check_filing_open(item: BudgetItem, month: int) -> None:
    if item.fiscal_year.status is not FiscalYearStatus.executing:
        raise RuleViolation(
            "FISCAL_YEAR_NOT_EXECUTING",
            "Monitoring runs while the approved budget is executed (S2.3.1).",
            "绩效运行监控在预算批复后的执行期间开展（S2.3.1）。",
            extra={"fiscal_year_status": item.fiscal_year.status.value},
        )
    opens = schedule.after_month(item.fiscal_year.year, month)
    if schedule.local_today() < opens:
        raise RuleViolation(
            "MONTH_NOT_ENDED",
            f"The report for month {month} can be filed from {opens.isoformat()} (S2.3.1).",
            f"{month} 月的监控情况自 {opens.isoformat()} 起报送（S2.3.1）。",
            extra={"opens_on": opens.isoformat()},
        )


def _filable_item(session: Session, actor: Actor, item_id: int, month: int) -> BudgetItem:
    item = item_service.get_item(session, actor, item_id)
    rules.require_owner_side(actor, item)
    _check_applicable(item, month)
    _check_filing_open(item, month)
    return item


# --- filing ----------------------------------------------------------------------------------


def _check_editable(report: MonitoringReport) -> None:
    if report.status not in reading.EDITABLE:
        raise RuleViolation(
            "REPORT_NOT_EDITABLE",
            "Only a draft or returned report can be changed.",
            "仅草稿或退回状态的监控报告可以修改。",
            extra={"report_status": report.status.value},
        )


def _lines(data: list[ReportLineIn], approved: list[TargetLine]) -> list[ReportLine]:
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
    return [ReportLine(**entry.model_dump()) for entry in data]


def _default_execution(session: Session, item: BudgetItem, month: int) -> Decimal:
    """What the treasury says was paid by the month end."""
    month_end = schedule.after_month(item.fiscal_year.year, month)
    return payment_service.disbursed_totals(session, [item.id], month_end).get(
        item.id, evaluation.ZERO
    )


def save_draft(
    session: Session,
    actor: Actor,
    item_id: int,
    month: int,
    data: ReportDraft,
    if_match: str | None,
) -> ReportRead:
    """Create the month's report, or replace its draft (the version read is then required)."""
    item, report, approved = write_draft(session, actor, item_id, month, data, if_match)
    return reading.report_read(session, item, report, approved)


def write_draft(
    session: Session,
    actor: Actor,
    item_id: int,
    month: int,
    data: ReportDraft,
    if_match: str | None,
) -> tuple[BudgetItem, MonitoringReport, list[TargetLine]]:
    """``save_draft`` without the representation (a batch upload does not answer with it)."""
    item = _filable_item(session, actor, item_id, month)
    approved = evaluation.approved_lines(session, item)
    execution = data.cumulative_execution
    if execution is None:
        execution = _default_execution(session, item, month)
    if item.approved_amount is not None and execution > item.approved_amount:
        raise Unprocessable(
            "EXECUTION_EXCEEDS_APPROVED",
            f"Cumulative execution {execution} passes the approved {item.approved_amount}.",
            f"累计执行数 {execution} 元超过批复金额 {item.approved_amount} 元。",
        )
    lines = _lines(data.lines, approved)
    fields = {
        "cumulative_execution": execution,
        "target_expected": data.target_expected,
        "deviation_reasons": data.deviation_reasons,
        "corrective_measures": data.corrective_measures,
    }
    report = repository.get_report(session, item.id, month)
    if report is None:
        parameters = fiscal_year_service.rule_parameters(item.fiscal_year)
        report = MonitoringReport(
            item_id=item.id,
            fiscal_year_id=item.fiscal_year_id,
            organisation_id=item.organisation_id,
            month=month,
            status=R.draft,
            due_on=schedule.due_date(parameters, item.fiscal_year.year, month, item.kind),
            lights={},
            created_by_id=actor.user_id,
            lines=lines,
            **fields,
        )
        repository.add(session, report)
        session.flush()
        _record(session, actor, "created", report, None)
    else:
        _check_editable(report)
        check_version(report.version, data.version, if_match)
        before = _snapshot(report)
        for name, value in fields.items():
            setattr(report, name, value)
        report.lines = lines
        session.flush()
        _record(session, actor, "updated", report, before)
    return item, report, approved


def submit_report(
    session: Session,
    actor: Actor,
    item_id: int,
    month: int,
    data: ReportAction,
    if_match: str | None,
) -> ReportRead:
    """Compute the lights and send the report on: to the parent department for a unit (S3),
    else to finance."""
    item, report, approved = submit(session, actor, item_id, month, data, if_match)
    return reading.report_read(session, item, report, approved)


def submit(
    session: Session,
    actor: Actor,
    item_id: int,
    month: int,
    data: ReportAction,
    if_match: str | None,
) -> tuple[BudgetItem, MonitoringReport, list[TargetLine]]:
    """``submit_report`` without the representation."""
    item = _filable_item(session, actor, item_id, month)
    report = reading.report_of(session, item, month)
    route = R.department_review if rules.needs_department_review(item) else R.finance_review
    check_transition(TRANSITIONS, "monitoring report", "绩效监控报告", report.status, route)
    check_version(report.version, data.version, if_match)
    approved = evaluation.approved_lines(session, item)
    _check_complete(report, approved)
    current = {target.id for target in approved}
    report.lines = [line for line in report.lines if line.target_line_id in current]
    document = evaluation.evaluate(session, item, report, approved, preview=False)
    _check_explained(report, document)
    report.lights = document
    report.item_light = document["item"]["light"]
    report.execution_light = document["execution"]["light"]
    if report.submitted_at is None:
        # lateness is the first submission's: a return for changes is the reviewer's doing
        report.submitted_at = clock.utcnow()
        report.late = schedule.local_today() > report.due_on
    report.return_reason = None
    _move(session, actor, report, route, "submitted")
    return item, report, approved


def _check_complete(report: MonitoringReport, approved: list[TargetLine]) -> None:
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


def _check_explained(report: MonitoringReport, document: dict[str, Any]) -> None:
    """S2.3.1 "correct problems at once": a deviation comes with its reasons and measures."""
    light = document["item"]["light"]
    expects_shortfall = not report.target_expected or any(
        not line.year_target_expected for line in report.lines
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


# --- review ----------------------------------------------------------------------------------


def _require_reason(reason: str | None, en: str, zh: str) -> str:
    if not (reason or "").strip():
        raise Unprocessable("REASON_REQUIRED", en, zh)
    return (reason or "").strip()


def department_review(
    session: Session,
    actor: Actor,
    item_id: int,
    month: int,
    data: ReportDepartmentReview,
    if_match: str | None,
) -> ReportRead:
    """The parent department passes a unit's report to finance, or returns it (S3)."""
    item = item_service.get_item(session, actor, item_id)
    rules.require_parent_reviewer(actor, item)
    report = reading.report_of(session, item, month)
    target = R.finance_review if data.decision == "approve" else R.returned
    check_transition(TRANSITIONS, "monitoring report", "绩效监控报告", report.status, target)
    check_version(report.version, data.version, if_match)
    if data.decision == "approve":
        _move(session, actor, report, target, "department_approved", data.reason)
    else:
        reason = _require_reason(
            data.reason, "Give the reasons for returning it.", "退回须说明理由。"
        )
        report.return_reason = reason
        _move(session, actor, report, target, "department_returned", reason)
    return reading.report_read(session, item, report)


def finance_review(
    session: Session,
    actor: Actor,
    item_id: int,
    month: int,
    data: ReportFinanceReview,
    if_match: str | None,
) -> ReportRead:
    """Finance accepts the report, orders rectification, suspends payments until the
    rectification is verified, or stops them for the rest of the year (S2.3.2)."""
    # the item row is locked: a disbursement running alongside sees the hold or precedes it
    item = item_repository.get_for_update(session, actor, item_id)
    if item is None:
        raise not_found("Budget item", "预算项目")
    report = reading.report_of(session, item, month)
    target = FINANCE_DECISIONS[data.decision]
    check_transition(TRANSITIONS, "monitoring report", "绩效监控报告", report.status, target)
    check_version(report.version, data.version, if_match)
    reason = (data.reason or "").strip() or None
    if data.decision in ("suspend", "stop"):
        reason = _require_reason(
            reason,
            "Suspending or stopping payments needs the reasons (S2.3.2).",
            "暂缓或停止拨款须说明理由（S2.3.2）。",
        )
    order = None
    if data.decision in ("rectify", "suspend"):
        order = rectifications.check_order(
            data.required_measures, data.deadline, schedule.local_today()
        )
    report.review_reason = reason
    report.reviewed_by_id = actor.user_id
    report.reviewed_at = clock.utcnow()
    _move(session, actor, report, target, FINANCE_ACTIONS[data.decision], reason)
    hold_id = None
    if data.decision in ("suspend", "stop"):
        kind = HoldKind.suspend if data.decision == "suspend" else HoldKind.stop
        hold_id = payment_service.place_hold(session, actor, item, kind, reason or "", report.id).id
    if order is not None:
        rectifications.open_order(session, actor, report, *order, hold_id=hold_id)
    return reading.report_read(session, item, report)
