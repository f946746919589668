"""When something awaiting an answer by a date is reminded of (issue 17): monthly reports
(S2.3.1) and rectifications (S2.3.2) alike. Pure: the service loads the facts."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Reminder:
    overdue: bool
    days: int  # days left to the due date (due soon), or days past it (overdue)

    def day_sent(self, due_on: date, today: date) -> date:
        """The day a reminder is sent for, at most once: due soon once per due date, overdue
        once a day while it lasts (a county messaging system repeats a warning daily)."""
        return today if self.overdue else due_on


def reminder(
    due_on: date, awaiting: bool, today: date, lead_days: int, opens_on: date | None = None
) -> Reminder | None:
    """Overdue once ``due_on`` has passed; due soon from ``lead_days`` before it to the day
    itself, but not before ``opens_on`` (a month's report can be filed once the month is
    over). Nothing once it is no longer ``awaiting`` (filed, answered)."""
    if not awaiting:
        return None
    if today > due_on:
        return Reminder(overdue=True, days=(today - due_on).days)
    left = (due_on - today).days
    if left <= lead_days and (opens_on is None or today >= opens_on):
        return Reminder(overdue=False, days=left)
    return None
