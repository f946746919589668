"""Reading monitoring reports: a report with its lights and lines, and an item's calendar."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from perfbudget.budget_items import access as item_access
from perfbudget.budget_items.models import BudgetItem, ItemStatus
from perfbudget.errors import not_found
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.monitoring import evaluation, filing, repository, schedule
from perfbudget.monitoring.models import MonitoringReport, ReportLine
from perfbudget.monitoring.schemas import (
    HoldRef,
    MonitoringCalendar,
    MonitoringMonth,
    ReportLights,
    ReportLineRead,
    ReportRead,
    ReportSummary,
    TargetLineToReport,
)
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.principal import Actor
from perfbudget.targets import lines_in_force as targets_in_force
from perfbudget.targets.models import TargetLine

EDITABLE = filing.EDITABLE
MONITORED_KINDS = evaluation.MONITORED_KINDS


def report_of(session: Session, item: BudgetItem, month: int) -> MonitoringReport:
    report = repository.get_report(session, item.id, month)
    if report is None:
        raise not_found("Monitoring report", "绩效监控报告")
    return report


def report_read(
    session: Session,
    item: BudgetItem,
    report: MonitoringReport,
    approved: Sequence[TargetLine] | None = None,
) -> ReportRead:
    document: dict[str, Any] | None = report.lights or None
    if report.status in EDITABLE:
        # a draft shows what its answers so far would light, so the owner sees a deviation
        # before submitting
        if approved is None:
            approved = targets_in_force.target_lines(session, item) or []
        document = evaluation.evaluate(session, item, report, approved, preview=True)
    targets = repository.target_lines_by_id(session, [line.target_line_id for line in report.lines])
    saved = report.id is not None  # else the draft a month starts from (service.read_report)
    hold = repository.hold_of_report(session, report.id) if saved else None
    rectification = repository.rectification_of_report(session, report.id) if saved else None
    computed = {
        "fiscal_year",
        "organisation",
        "approved_amount",
        "planned_cumulative",
        "lights",
        "lines",
        "rectification_id",
        "hold",
    }
    return ReportRead.model_validate(
        {
            **{
                name: getattr(report, name)
                for name in ReportRead.model_fields
                if name not in computed
            },
            "fiscal_year": item.fiscal_year.year,
            "organisation": OrganisationRef.model_validate(item.organisation),
            "approved_amount": item.approved_amount or evaluation.ZERO,
            "planned_cumulative": _planned(document),
            "lights": None if document is None else ReportLights.model_validate(document),
            "lines": [_line_read(line, targets[line.target_line_id]) for line in report.lines],
            "rectification_id": None if rectification is None else rectification.id,
            "hold": None if hold is None else HoldRef.model_validate(hold),
        }
    )


def _planned(document: dict[str, Any] | None) -> Decimal | None:
    """The plan's amount the execution light used (its input), None without a plan."""
    inputs = {} if document is None else document["execution"]["inputs"]
    planned = inputs.get("planned_cumulative")
    return None if planned is None else Decimal(planned)


def _line_to_report(target: TargetLine) -> TargetLineToReport:
    return TargetLineToReport(
        target_line_id=target.id,
        **{
            name: getattr(target, name)
            for name in TargetLineToReport.model_fields
            if name != "target_line_id"
        },
    )


def _line_read(line: ReportLine, target: TargetLine) -> ReportLineRead:
    return ReportLineRead(
        **_line_to_report(target).model_dump(),
        actual=line.actual,
        qualitative_status=line.qualitative_status,
        year_target_expected=line.year_target_expected,
        note=line.note,
    )


def calendar(session: Session, actor: Actor, item_id: int) -> MonitoringCalendar:
    """The item's reporting calendar: the lines to answer, each month's due date and report."""
    item = item_access.get_item(session, actor, item_id)
    monitored = item.status is ItemStatus.funded and item.kind in MONITORED_KINDS
    lines = (targets_in_force.target_lines(session, item) if monitored else None) or []
    months = []
    if monitored:
        parameters = fiscal_year_service.rule_parameters(item.fiscal_year)
        reports = {report.month: report for report in repository.reports_of_item(session, item.id)}
        today = schedule.local_today()
        year = item.fiscal_year.year
        for month in schedule.report_months(item.kind):
            due_on = schedule.due_date(parameters, year, month, item.kind)
            report = reports.get(month)
            submitted = report is not None and report.submitted_at is not None
            owed = schedule.owes_report(item.kind, item.decided_at, year, month)
            months.append(
                MonitoringMonth(
                    month=month,
                    due_on=due_on,
                    ended=today >= schedule.after_month(year, month),
                    owed=owed,
                    overdue=owed and today > due_on and not submitted,
                    report=None if report is None else ReportSummary.model_validate(report),
                )
            )
    return MonitoringCalendar(
        item_id=item.id,
        kind=item.kind,
        monitored=monitored,
        lines=[_line_to_report(line) for line in lines],
        months=months,
    )
