"""Monthly dual monitoring (双监控, S2.3.1): the owner files each month's report on budget
execution and every approved indicator, and submits it: to the parent department for a
unit (S3), else to finance. The reviews are ``review``'s."""

from decimal import Decimal

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.audit import service as audit
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import rules
from perfbudget.budget_items.models import BudgetItem
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.monitoring import filing, reading, repository, schedule
from perfbudget.monitoring.models import MonitoringReport, ReportLine, ReportStatus

# the reviews' home is ``review``; the demo calls them from here
from perfbudget.monitoring.schemas import ReportAction, ReportDraft, ReportRead
from perfbudget.payments import service as payment_service
from perfbudget.principal import Actor
from perfbudget.targets import lines_in_force as targets_in_force


def paid_by_month_end(session: Session, item: BudgetItem, month: int) -> Decimal:
    """What the treasury says was paid by the month end (a draft's default execution)."""
    paid = payment_service.paid_by_month(session, [item.id]).get(item.id, {})
    return filing.paid_by_month_end(item, month, paid)


def read_report(session: Session, actor: Actor, item_id: int, month: int) -> ReportRead:
    """The month's report; before its first save, the draft it starts from (not saved: no
    id, no version), or the refusal the first save would meet (S2.3.1)."""
    item = item_access.get_item(session, actor, item_id)
    report = repository.get_report(session, item.id, month)
    if report is not None:
        return reading.report_read(session, item, report)
    approved = targets_in_force.target_lines(session, item)
    checked = filing.first_draft(
        item,
        month,
        approved=approved,
        paid_by_month_end=paid_by_month_end(session, item, month),
        today=schedule.local_today(),
    )
    draft = _new_report(item, month, checked, created_by_id=None)
    return reading.report_read(session, item, draft, targets_in_force.require_approved(approved))


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
    item = item_access.get_item(session, actor, item_id)
    approved = targets_in_force.target_lines(session, item)
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
        context = {"item_id": item.id, "month": month}
        audit.record_edit(session, actor, "created", report, None, context=context)
    else:
        before = audit.state(report)
        for name, value in checked.fields.items():
            setattr(report, name, value)
        report.lines = [ReportLine(**entry.model_dump()) for entry in checked.lines]
        audit.record_edit(session, actor, "updated", report, before)
    return reading.report_read(session, item, report, targets_in_force.require_approved(approved))


def submit(
    session: Session,
    actor: Actor,
    item_id: int,
    month: int,
    data: ReportAction,
    expected_version: int | None,
) -> ReportRead:
    """Compute the lights and send the report on: to the parent department for a unit (S3),
    else to finance."""
    item = item_access.get_item(session, actor, item_id)
    filing.check_filer(actor, item, month, schedule.local_today())
    report = reading.report_of(session, item, month)
    filing.CHAIN.check_submission(
        report, by_unit=rules.needs_department_review(item), expected_version=expected_version
    )
    approved = targets_in_force.target_lines(session, item)
    checked = filing.submission(
        item,
        report,
        approved,
        plan=payment_service.plans_for(session, [item.id]).get(item.id),
        parameters=fiscal_year_service.rule_parameters(item.fiscal_year),
        submitted_at=report.submitted_at,
        now=clock.utcnow(),
    )
    report.lines = checked.kept(report.lines)
    for name, value in checked.fields.items():
        setattr(report, name, value)
    filing.CHAIN.move_to(session, actor, report, checked.route, "submitted")
    return reading.report_read(session, item, report, targets_in_force.require_approved(approved))
