"""``perfbudget reminders run``: outbox events a county messaging system turns into notices,
before a monthly report (S2.3.1) or a rectification (S2.3.2) falls due and once it is overdue.

Due soon is sent once per due date, from the fiscal year's ``reminder_lead_days`` before it;
overdue once a day while it lasts. Each reminder is first claimed in ``reminders_sent``,
whose unique (event type, subject, day) lets one insert through, so the same reminder goes
out at most once however many hosts run the command from cron, and a second run the same
day sends nothing. Items and rectifications go in batches, each its own short transaction
of a fixed number of statements; a run that sent anything is on the audit trail.
"""

import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.audit import service as audit
from perfbudget.db import reading, writing
from perfbudget.events import service as events
from perfbudget.events.models import EventType
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.models import FiscalYearStatus
from perfbudget.fiscal_years.parameters import RuleParameters
from perfbudget.monitoring import rectifications, schedule
from perfbudget.principal import Actor
from perfbudget.reminders import repository
from perfbudget.reminders.rules import Reminder, reminder

logger = logging.getLogger("perfbudget.reminders")
BATCH = 500
KINDS = (
    EventType.report_due_soon,
    EventType.report_overdue,
    EventType.rectification_due_soon,
    EventType.rectification_overdue,
)


@dataclass(frozen=True)
class Year:
    year: int
    executing: bool
    parameters: RuleParameters


@dataclass(frozen=True)
class Candidate:
    """A reminder the rules call for today; sent unless its key was claimed already."""

    event_type: EventType
    subject_key: str
    day: date
    payload: dict[str, Any]
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def key(self) -> repository.Key:
        return self.event_type, self.subject_key, self.day


@dataclass
class Sent:
    day: date
    counts: dict[EventType, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        return {kind.value: count for kind, count in self.counts.items()}


def run(
    session: Session, *, today: date | None = None, dry_run: bool = False, batch: int = BATCH
) -> Sent:
    """Send today's reminders (the county's day unless ``today`` is given), or with
    ``dry_run`` count those a run would send."""
    day = today or schedule.local_today()
    sent = Sent(day)
    with reading(session):
        years = {
            fiscal_year.id: Year(
                fiscal_year.year,
                fiscal_year.status is FiscalYearStatus.executing,
                fiscal_year_service.rule_parameters(fiscal_year),
            )
            for fiscal_year in repository.fiscal_years(session)
        }
    executing = [year_id for year_id, year in years.items() if year.executing]

    def reports(batch_session: Session, after_id: int) -> Sequence[RowMapping]:
        return repository.funded_items(batch_session, executing, after_id, batch)

    def orders(batch_session: Session, after_id: int) -> Sequence[RowMapping]:
        return repository.awaiting_rectifications(
            batch_session, rectifications.ANSWERABLE, after_id, batch
        )

    def report_candidates(batch_session: Session, rows: Sequence[RowMapping]) -> list[Candidate]:
        filed = repository.filed_months(batch_session, [row["item_id"] for row in rows])
        return [
            candidate
            for row in rows
            for candidate in _report_candidates(row, years[row["fiscal_year_id"]], filed, day)
        ]

    def order_candidates(_: Session, rows: Sequence[RowMapping]) -> list[Candidate]:
        return [
            candidate
            for row in rows
            if (candidate := _rectification_candidate(row, years[row["fiscal_year_id"]], day))
        ]

    if executing:
        _in_batches(session, reports, "item_id", report_candidates, sent, batch, dry_run=dry_run)
    _in_batches(session, orders, "id", order_candidates, sent, batch, dry_run=dry_run)
    details = {"day": day.isoformat(), **sent.as_dict()}
    logger.info("reminders run", extra={"dry_run": dry_run, **details})
    if sent.total and not dry_run:
        with writing(session):
            audit.record(session, Actor.system("reminders"), "reminders.sent", changes=details)
    return sent


def _in_batches(
    session: Session,
    fetch: Callable[[Session, int], Sequence[RowMapping]],
    cursor: str,
    candidates: Callable[[Session, Sequence[RowMapping]], list[Candidate]],
    sent: Sent,
    batch: int,
    *,
    dry_run: bool,
) -> None:
    after_id = 0
    while True:
        with (reading if dry_run else writing)(session):
            rows = fetch(session, after_id)
            found = candidates(session, rows) if rows else []
            new = _unsent(session, found) if dry_run else _send(session, found)
        for candidate in new:
            sent.counts[candidate.event_type] += 1
        if len(rows) < batch:
            return
        after_id = rows[-1][cursor]


def _send(session: Session, found: list[Candidate]) -> list[Candidate]:
    """Claim the reminders, in one order on every host (no deadlock between two hosts'
    inserts), and write an event for each one this host claimed."""
    found = sorted(found, key=lambda candidate: (candidate.event_type.value, *candidate.key[1:]))
    now = clock.utcnow()
    claimed = repository.claim(
        session,
        [
            {
                "event_type": candidate.event_type,
                "subject_key": candidate.subject_key,
                "reminder_day": candidate.day,
                "event_id": candidate.event_id,
                "sent_at": now,
            }
            for candidate in found
        ],
    )
    new = [candidate for candidate in found if candidate.event_id in claimed]
    events.emit_many(session, [events.NewEvent(c.event_type, c.payload, c.event_id) for c in new])
    return new


def _unsent(session: Session, found: list[Candidate]) -> list[Candidate]:
    sent = repository.already_sent(session, [candidate.key for candidate in found])
    return [candidate for candidate in found if candidate.key not in sent]


# --- what each kind of reminder is about ---------------------------------------------------


def _owner(row: RowMapping, year: Year) -> dict[str, Any]:
    """The item, and the organisation expected to act (it files, it answers)."""
    return {
        "item_id": row["item_id"],
        "item_code": row["item_code"],
        "item_name": row["item_name"],
        "organisation_id": row["organisation_id"],
        "organisation_code": row["organisation_code"],
        "organisation_name": row["organisation_name"],
        "fiscal_year": year.year,
    }


def _timing(found: Reminder, due_on: date, today: date) -> dict[str, Any]:
    days = "days_overdue" if found.overdue else "days_left"
    return {"due_date": due_on, days: found.days, "as_of": today}


def _report_candidates(
    row: RowMapping, year: Year, filed: set[tuple[int, int]], today: date
) -> Iterator[Candidate]:
    """Each month the item owes a report for (``schedule.owes_report``) and has not filed,
    that is due soon or overdue today."""
    for month in schedule.report_months(row["kind"]):
        if not schedule.owes_report(row["kind"], row["decided_at"], year.year, month):
            continue
        due_on = schedule.due_date(year.parameters, year.year, month, row["kind"])
        found = reminder(
            due_on,
            (row["item_id"], month) not in filed,
            today,
            year.parameters.reminder_lead_days,
            opens_on=schedule.after_month(year.year, month),
        )
        if found is None:
            continue
        yield Candidate(
            EventType.report_overdue if found.overdue else EventType.report_due_soon,
            f"item:{row['item_id']}:month:{month}",
            found.day_sent(due_on, today),
            {**_owner(row, year), "month": month, **_timing(found, due_on, today)},
        )


def _rectification_candidate(row: RowMapping, year: Year, today: date) -> Candidate | None:
    """An order still with the department (open, or its answer not accepted), due soon or
    past its deadline; an answered one waits on finance, not on the department."""
    found = reminder(
        row["deadline"],
        row["status"] in rectifications.ANSWERABLE,
        today,
        year.parameters.reminder_lead_days,
    )
    if found is None:
        return None
    return Candidate(
        EventType.rectification_overdue if found.overdue else EventType.rectification_due_soon,
        f"rectification:{row['id']}",
        found.day_sent(row["deadline"], today),
        {
            "rectification_id": row["id"],
            "rectification_status": row["status"].value,
            **_owner(row, year),
            "month": row["month"],
            **_timing(found, row["deadline"], today),
        },
    )
