"""The S3 review chain of a monthly report: each move on the audit trail; the parent
department passes a unit's report on to finance or returns it (S3); finance accepts it,
orders rectification, suspends or stops payments (S2.3.2)."""

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import rules
from perfbudget.budget_items.models import BudgetItem
from perfbudget.monitoring import filing, reading, rectifications, schedule
from perfbudget.monitoring.models import MonitoringReport, ReportStatus
from perfbudget.monitoring.schemas import ReportDepartmentReview, ReportFinanceReview, ReportRead
from perfbudget.payments import service as payment_service
from perfbudget.payments.models import HoldKind
from perfbudget.principal import Actor
from perfbudget.versioning import check_version
from perfbudget.workflow import require_reason

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
    filing.CHAIN.decide_as_department(
        session,
        actor,
        report,
        approve=data.decision == "approve",
        reason=data.reason,
        expected_version=expected_version,
        authors=(report.created_by_id,),
    )
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
    filing.CHAIN.check(report.status, target)
    check_version(report.version, expected_version)
    reason = (data.reason or "").strip() or None
    if data.decision in ("suspend", "stop"):
        reason = require_reason(
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
    filing.CHAIN.move_to(
        session, actor, report, target, FINANCE_ACTIONS[data.decision], reason=reason
    )
    hold_id = _place_hold(session, actor, item, report, data)
    if order is not None:
        rectifications.open_order(session, actor, report, *order, hold_id=hold_id)
    return reading.report_read(session, item, report)


def _place_hold(
    session: Session,
    actor: Actor,
    item: BudgetItem,
    report: MonitoringReport,
    data: ReportFinanceReview,
) -> int | None:
    """A suspension or a stop holds the item's payments (S2.3.2): the hold's id, else None."""
    if data.decision not in ("suspend", "stop"):
        return None
    kind = HoldKind.suspend if data.decision == "suspend" else HoldKind.stop
    return payment_service.place_hold(
        session, actor, item, kind, report.review_reason or "", report.id
    ).id
