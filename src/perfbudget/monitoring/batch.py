"""Many monthly reports at once (a batch upload, S2.3.1): the facts of every report in a
fixed number of statements, each draft (and submission) decided by ``filing``'s rules as a
single report is, and the accepted ones written by bulk statements."""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.auth.principal import Actor
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import repository as item_repository
from perfbudget.budget_items.models import BudgetItem
from perfbudget.bulk import Batch, Origin, Written, unique
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.monitoring import evaluation, filing, repository, schedule
from perfbudget.monitoring.models import MonitoringReport, ReportStatus
from perfbudget.monitoring.schemas import ReportDraft, ReportLineIn
from perfbudget.payments import service as payment_service
from perfbudget.targets import repository as target_repository

ENTITY = "monitoring_report"


@dataclass(frozen=True)
class Entry:
    """One report of the batch: an item's month, as the draft endpoint takes it."""

    key: Hashable
    item_id: int
    month: int
    data: ReportDraft


@dataclass
class _Report:
    """A report as the batch leaves it (``filing.Report``), before it is written."""

    month: int
    status: ReportStatus
    version: int
    cumulative_execution: Decimal
    target_expected: bool
    deviation_reasons: str
    corrective_measures: str
    lines: list[ReportLineIn]
    due_on: date
    item: BudgetItem = field(repr=False)
    stored: MonitoringReport | None = None
    submission: filing.Submission | None = None


def plan(
    session: Session,
    actor: Actor,
    entries: Sequence[Entry],
    *,
    submit: bool,
    lock: bool = False,
) -> Batch[Hashable]:
    """Check every entry; the batch's ``write`` stores the accepted ones. ``lock``: the
    stored reports stay locked until the commit (the checks then hold for the write)."""
    item_ids = unique(entry.item_id for entry in entries)
    items = item_repository.visible_by_id(session, actor, item_ids)
    lines = target_repository.approved_lines_of_items(session, list(items))
    stored = repository.reports_of_months(
        session, [(entry.item_id, entry.month) for entry in entries], lock=lock
    )
    paid = payment_service.paid_by_month(session, list(items))
    plans = payment_service.plans_for(session, list(items)) if submit else {}
    now = clock.utcnow()
    today = schedule.local_day(now)
    parameters = {
        item.fiscal_year_id: fiscal_year_service.rule_parameters(item.fiscal_year)
        for item in items.values()
    }

    batch: Batch[Hashable] = Batch()
    reports: list[_Report] = []
    for entry in entries:
        item = items.get(entry.item_id)

        def decide(entry: Entry = entry, item: BudgetItem | None = item) -> _Report:
            if item is None:
                raise item_access.item_not_found()
            approved = evaluation.in_force(item, lines.get(item.id, []))
            existing = stored.get((item.id, entry.month))
            month_end = schedule.after_month(item.fiscal_year.year, entry.month)
            checked = filing.draft(
                actor,
                item,
                entry.month,
                entry.data,
                approved=approved,
                stored=existing,
                paid_by_month_end=payment_service.paid_before(paid.get(item.id, {}), month_end),
                today=today,
                expected_version=entry.data.version,
            )
            year = parameters[item.fiscal_year_id]
            report = _Report(
                month=entry.month,
                status=ReportStatus.draft if existing is None else existing.status,
                version=1 if existing is None else existing.version + 1,
                lines=checked.lines,
                due_on=(
                    schedule.due_date(year, item.fiscal_year.year, entry.month, item.kind)
                    if existing is None
                    else existing.due_on
                ),
                stored=existing,
                item=item,
                **checked.fields,
            )
            if submit:
                filing.check_submittable(report, item, report.version)
                first = existing is None or existing.submitted_at is None
                report.submission = filing.submission(
                    item,
                    report,
                    approved,
                    plan=plans.get(item.id),
                    parameters=year,
                    first=(report.due_on, now) if first else None,
                )
            return report

        report = batch.attempt(entry.key, decide)
        if report is not None:
            reports.append(report)
    batch.write = lambda session, origin: _write(session, origin, reports)
    return batch


def _columns(report: _Report, origin: Origin) -> dict[str, Any]:
    columns: dict[str, Any] = {
        "cumulative_execution": report.cumulative_execution,
        "target_expected": report.target_expected,
        "deviation_reasons": report.deviation_reasons,
        "corrective_measures": report.corrective_measures,
        "updated_at": origin.now,
    }
    if report.submission is not None:
        columns |= {"status": report.submission.route, **report.submission.fields}
    return columns


def _write(session: Session, origin: Origin, reports: list[_Report]) -> Written:
    new = [report for report in reports if report.stored is None]
    changed = [report for report in reports if report.stored is not None]
    created_ids = repository.insert_reports(
        session,
        [
            {
                "item_id": report.item.id,
                "fiscal_year_id": report.item.fiscal_year_id,
                "organisation_id": report.item.organisation_id,
                "month": report.month,
                "status": ReportStatus.draft,
                "due_on": report.due_on,
                "lights": {},
                "late": False,
                "created_by_id": origin.actor.user_id,
                "created_at": origin.now,
                "version": 1,
                **_columns(report, origin),
            }
            for report in new
        ],
    )
    repository.update_reports(
        session,
        [
            {"id": stored.id, "version": stored.version, **_columns(report, origin)}
            for report in changed
            if (stored := report.stored) is not None
        ],
    )
    ids = created_ids + [report.stored.id for report in changed if report.stored is not None]
    kept = [
        (report_id, line)
        for report_id, report in zip(ids, new + changed, strict=True)
        for line in _kept(report)
    ]
    repository.replace_lines(
        session,
        [report.stored.id for report in changed if report.stored is not None],
        [{"report_id": report_id, **line.model_dump()} for report_id, line in kept],
    )
    return Written(
        count=len(reports),
        created={ENTITY: created_ids} if created_ids else {},
        changed={ENTITY: ids[len(created_ids) :]} if changed else {},
    )


def _kept(report: _Report) -> list[ReportLineIn]:
    """A submitted report keeps the lines of the targets in force (as ``submit`` does)."""
    if report.submission is None:
        return report.lines
    return [line for line in report.lines if line.target_line_id in report.submission.kept_line_ids]
