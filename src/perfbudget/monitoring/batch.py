"""Many monthly reports at once (a batch upload, S2.3.1): the facts of every report in a
fixed number of statements, each draft (and submission) decided by ``filing``'s rules as a
single report is, and the accepted ones written by bulk statements."""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import repository as item_repository
from perfbudget.budget_items import rules
from perfbudget.budget_items.models import BudgetItem
from perfbudget.bulk import Batch, Origin, Written, unique
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.parameters import RuleParameters
from perfbudget.monitoring import filing, repository, schedule
from perfbudget.monitoring.models import MonitoringReport, ReportStatus
from perfbudget.monitoring.schemas import ReportDraft, ReportLineIn
from perfbudget.payments import service as payment_service
from perfbudget.principal import Actor
from perfbudget.targets import lines_in_force as targets_in_force
from perfbudget.targets import repository as target_repository
from perfbudget.targets.models import TargetLine

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


@dataclass(frozen=True)
class _Facts:
    """What deciding every entry reads, loaded in a fixed number of statements."""

    items: dict[int, BudgetItem]
    lines: dict[int, list[TargetLine]]
    stored: dict[tuple[int, int], MonitoringReport]
    paid: dict[int, dict[date, Decimal]]
    plans: dict[int, dict[int, Decimal]]
    parameters: dict[int, RuleParameters]
    now: datetime


def _load(
    session: Session, actor: Actor, entries: Sequence[Entry], *, submit: bool, lock: bool
) -> _Facts:
    item_ids = unique(entry.item_id for entry in entries)
    items = item_repository.visible_by_id(session, actor, item_ids)
    return _Facts(
        items=items,
        lines=target_repository.approved_lines_of_items(session, list(items)),
        stored=repository.reports_of_months(
            session, [(entry.item_id, entry.month) for entry in entries], lock=lock
        ),
        paid=payment_service.paid_by_month(session, list(items)),
        plans=payment_service.plans_for(session, list(items)) if submit else {},
        parameters={
            item.fiscal_year_id: fiscal_year_service.rule_parameters(item.fiscal_year)
            for item in items.values()
        },
        now=clock.utcnow(),
    )


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
    facts = _load(session, actor, entries, submit=submit, lock=lock)
    batch: Batch[Hashable] = Batch()
    reports: list[_Report] = []
    for entry in entries:
        report = batch.attempt(entry.key, partial(_decide, facts, actor, entry, submit=submit))
        if report is not None:
            reports.append(report)
    batch.write = lambda session, origin: _write(session, origin, reports)
    return batch


def _decide(facts: _Facts, actor: Actor, entry: Entry, *, submit: bool) -> _Report:
    """One entry's draft (and submission), as ``filing`` decides a single report's."""
    item = facts.items.get(entry.item_id)
    if item is None:
        raise item_access.item_not_found()
    approved = targets_in_force.in_force(item, facts.lines.get(item.id, []))
    existing = facts.stored.get((item.id, entry.month))
    checked = filing.draft(
        actor,
        item,
        entry.month,
        entry.data,
        approved=approved,
        stored=existing,
        paid_by_month_end=filing.paid_by_month_end(item, entry.month, facts.paid.get(item.id, {})),
        today=schedule.local_day(facts.now),
        expected_version=entry.data.version,
    )
    year = facts.parameters[item.fiscal_year_id]
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
        filing.CHAIN.check_submission(
            report, by_unit=rules.needs_department_review(item), expected_version=report.version
        )
        report.submission = filing.submission(
            item,
            report,
            approved,
            plan=facts.plans.get(item.id),
            parameters=year,
            submitted_at=None if existing is None else existing.submitted_at,
            now=facts.now,
        )
    return report


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
    return report.submission.kept(report.lines)
