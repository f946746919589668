"""Monthly dual monitoring (双监控, S2.3.1): the owner files each month's report on budget
execution and every approved indicator; a unit's report passes its parent department (S3);
finance accepts it, orders rectification, suspends or stops payments (S2.3.2)."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.audit import service as audit
from perfbudget.auth.principal import Actor
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import rules
from perfbudget.budget_items.models import BudgetItem
from perfbudget.errors import Unprocessable
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.monitoring import (
    evaluation,
    filing,
    reading,
    rectifications,
    repository,
    schedule,
)
from perfbudget.monitoring.models import MonitoringReport, ReportLine, ReportStatus
from perfbudget.monitoring.schemas import (
    ReportAction,
    ReportDepartmentReview,
    ReportDraft,
    ReportFinanceReview,
    ReportRead,
)
from perfbudget.payments import service as payment_service
from perfbudget.payments.models import HoldKind
from perfbudget.targets.models import TargetLine
from perfbudget.versioning import check_version

FINANCE_DECISIONS = {
    "accept": ReportStatus.accepted,
    "rectify": ReportStatus.rectify,
    "suspend": ReportStatus.suspended,
    "stop": ReportStatus.stopped,
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
    filing.check_transition_to(report.status, target)
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


# --- filing ----------------------------------------------------------------------------------


def _filable_item(session: Session, actor: Actor, item_id: int, month: int) -> BudgetItem:
    item = item_access.get_item(session, actor, item_id)
    filing.check_filer(actor, item, month, schedule.local_today())
    return item


def paid_by_month_end(session: Session, item: BudgetItem, month: int) -> Decimal:
    """What the treasury says was paid by the month end (a draft's default execution)."""
    month_end = schedule.after_month(item.fiscal_year.year, month)
    paid = payment_service.paid_by_month(session, [item.id]).get(item.id, {})
    return payment_service.paid_before(paid, month_end)


def read_report(session: Session, actor: Actor, item_id: int, month: int) -> ReportRead:
    """The month's report; before its first save, the draft it starts from (not saved: no
    id, no version), or the refusal the first save would meet (S2.3.1)."""
    item = item_access.get_item(session, actor, item_id)
    report = repository.get_report(session, item.id, month)
    if report is not None:
        return reading.report_read(session, item, report)
    approved = evaluation.target_lines(session, item)
    checked = filing.first_draft(
        item,
        month,
        approved=approved,
        paid_by_month_end=paid_by_month_end(session, item, month),
        today=schedule.local_today(),
    )
    draft = _new_report(item, month, checked, created_by_id=None)
    return reading.report_read(session, item, draft, evaluation.require_approved(approved))


def _new_report(
    item: BudgetItem, month: int, checked: filing.Draft, *, created_by_id: int | None
) -> MonitoringReport:
    """A month's report as its first save stores it (not yet added to the session)."""
    parameters = fiscal_year_service.rule_parameters(item.fiscal_year)
    return MonitoringReport(
        item_id=item.id,
        fiscal_year_id=item.fiscal_year_id,
        organisation_id=item.organisation_id,
        month=month,
        status=ReportStatus.draft,
        due_on=schedule.due_date(parameters, item.fiscal_year.year, month, item.kind),
        late=False,
        lights={},
        created_by_id=created_by_id,
        lines=[ReportLine(**entry.model_dump()) for entry in checked.lines],
        **checked.fields,
    )


def save_draft(
    session: Session,
    actor: Actor,
    item_id: int,
    month: int,
    data: ReportDraft,
    expected_version: int | None,
) -> ReportRead:
    """Create the month's report, or replace its draft (the version read is then required)."""
    item, report, approved = write_draft(session, actor, item_id, month, data, expected_version)
    return reading.report_read(session, item, report, approved)


def write_draft(
    session: Session,
    actor: Actor,
    item_id: int,
    month: int,
    data: ReportDraft,
    expected_version: int | None,
) -> tuple[BudgetItem, MonitoringReport, Sequence[TargetLine]]:
    """``save_draft`` without the representation."""
    item = item_access.get_item(session, actor, item_id)
    approved = evaluation.target_lines(session, item)
    report = repository.get_report(session, item.id, month)
    checked = filing.draft(
        actor,
        item,
        month,
        data,
        approved=approved,
        stored=report,
        paid_by_month_end=paid_by_month_end(session, item, month),
        today=schedule.local_today(),
        expected_version=expected_version,
    )
    if report is None:
        report = _new_report(item, month, checked, created_by_id=actor.user_id)
        repository.add(session, report)
        session.flush()
        _record(session, actor, "created", report, None)
    else:
        before = _snapshot(report)
        for name, value in checked.fields.items():
            setattr(report, name, value)
        report.lines = [ReportLine(**entry.model_dump()) for entry in checked.lines]
        session.flush()
        _record(session, actor, "updated", report, before)
    return item, report, evaluation.require_approved(approved)


def submit_report(
    session: Session,
    actor: Actor,
    item_id: int,
    month: int,
    data: ReportAction,
    expected_version: int | None,
) -> ReportRead:
    """Compute the lights and send the report on: to the parent department for a unit (S3),
    else to finance."""
    item, report, approved = submit(session, actor, item_id, month, data, expected_version)
    return reading.report_read(session, item, report, approved)


def submit(
    session: Session,
    actor: Actor,
    item_id: int,
    month: int,
    data: ReportAction,
    expected_version: int | None,
) -> tuple[BudgetItem, MonitoringReport, Sequence[TargetLine]]:
    """``submit_report`` without the representation."""
    item = _filable_item(session, actor, item_id, month)
    report = reading.report_of(session, item, month)
    filing.check_submittable(report, item, expected_version)
    approved = evaluation.target_lines(session, item)
    checked = filing.submission(
        item,
        report,
        approved,
        plan=payment_service.plans_for(session, [item.id]).get(item.id),
        parameters=fiscal_year_service.rule_parameters(item.fiscal_year),
        first=None if report.submitted_at is not None else (report.due_on, clock.utcnow()),
    )
    report.lines = [line for line in report.lines if line.target_line_id in checked.kept_line_ids]
    for name, value in checked.fields.items():
        setattr(report, name, value)
    _move(session, actor, report, checked.route, "submitted")
    return item, report, evaluation.require_approved(approved)


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
    expected_version: int | None,
) -> ReportRead:
    """The parent department passes a unit's report to finance, or returns it (S3)."""
    item = item_access.get_item(session, actor, item_id)
    rules.require_parent_reviewer(actor, item)
    report = reading.report_of(session, item, month)
    filing.CHAIN.check_reviewer(actor.user_id, report.created_by_id)
    target = ReportStatus.finance_review if data.decision == "approve" else ReportStatus.returned
    filing.check_transition_to(report.status, target)
    check_version(report.version, expected_version)
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
    expected_version: int | None,
) -> ReportRead:
    """Finance accepts the report, orders rectification, suspends payments until the
    rectification is verified, or stops them for the rest of the year (S2.3.2)."""
    # the item row is locked: a disbursement running alongside sees the hold or precedes it
    item = item_access.get_locked_item(session, actor, item_id)
    report = reading.report_of(session, item, month)
    filing.CHAIN.check_reviewer(actor.user_id, report.created_by_id)
    target = FINANCE_DECISIONS[data.decision]
    filing.check_transition_to(report.status, target)
    check_version(report.version, expected_version)
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
