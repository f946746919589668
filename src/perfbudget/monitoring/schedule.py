"""When monthly reports fall due (S2.3.1), and how far through the year a month is."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

from perfbudget import clock
from perfbudget.budget_items.models import ItemKind
from perfbudget.fiscal_years.parameters import RuleParameters

OVERALL_MONTH = 6  # a department's overall targets are monitored at the end of June
# the county keeps Beijing time: months end and reports fall due by the local calendar
COUNTY_TIME = timezone(timedelta(hours=8), "CST")


def local_today() -> date:
    return local_day(clock.utcnow())


def local_day(moment: datetime) -> date:
    """The county's calendar day at ``moment``."""
    return moment.astimezone(COUNTY_TIME).date()


def report_months(kind: ItemKind) -> tuple[int, ...]:
    return (OVERALL_MONTH,) if kind is ItemKind.department_overall else tuple(range(1, 13))


def due_date(parameters: RuleParameters, year: int, month: int, kind: ItemKind) -> date:
    """Projects and policies: the year's due day of the following month; a department's
    overall report: the configured date after the end of June."""
    if kind is ItemKind.department_overall:
        mm, dd = (int(part) for part in parameters.overall_monitoring_due.split("-"))
        return date(year, mm, dd)
    if month == 12:
        return date(year + 1, 1, parameters.monitoring_due_day)
    return date(year, month + 1, parameters.monitoring_due_day)


def after_month(year: int, month: int) -> date:
    """The first day after the month: a month's report can be filed from then on."""
    return date(year + (month == 12), 1 if month == 12 else month + 1, 1)


def funded_by_month_end(year: int, month: int) -> datetime:
    """The moment a month ends for the funding rule, midnight by the county's calendar: an
    item decided before it owes the month's report (``overview.month_figures.recomputed``,
    the overview's read model, is the set-based form of ``owes_report``)."""
    return datetime.combine(after_month(year, month), time(), tzinfo=COUNTY_TIME).astimezone(UTC)


def owes_report(kind: ItemKind, funded_at: datetime | None, year: int, month: int) -> bool:
    """Whether a funded item owes month ``month``'s report (S2.3.1): the month is one its
    kind reports on, and the item was funded before the month ended (an item funded in
    August owes nothing for July). ``funded_at`` None: funded with no recorded moment."""
    if month not in report_months(kind):
        return False
    return funded_at is None or funded_at < funded_by_month_end(year, month)


def straight_time_progress(month: int) -> Decimal:
    """m ÷ 12: the time progress when an item has no spending plan (§3)."""
    return Decimal(month) / Decimal(12)
