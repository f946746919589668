"""Where the demo county stands on the day it is loaded: the year of the last ended month is
in execution, the year before it is closed, the year after it is in preparation.

On 1 December 2026: 2026 executing with January–November over, 2025 closed, 2027 in
preparation. On 15 January 2027: 2026 still executing with all twelve months over (its
self-evaluations are next), 2025 closed, 2027 in preparation. The story holds on any day."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from perfbudget import clock
from perfbudget.monitoring.schedule import COUNTY_TIME, local_today

DUE_DAY = 10  # the §3 default: a month's report is due on the 10th of the next month
FILED_DAY = 5  # the demo's departments file on the 5th, before it falls due


@dataclass(frozen=True)
class DemoCalendar:
    today: date  # the county's day (Beijing time)

    @classmethod
    def now(cls) -> "DemoCalendar":
        return cls(local_today())

    @property
    def executing(self) -> int:
        """The year of the last ended month."""
        return self.today.year - 1 if self.today.month == 1 else self.today.year

    @property
    def last_month(self) -> int:
        """The last month of the executing year that has ended (1–12)."""
        return 12 if self.today.month == 1 else self.today.month - 1

    @property
    def closed(self) -> int:
        return self.executing - 1

    @property
    def preparing(self) -> int:
        return self.executing + 1

    def moment(self, day: date, hour: int = 10) -> datetime:
        """``hour`` o'clock county time on ``day``, never later than now: what happened
        "today" happened at load time."""
        at = datetime.combine(day, time(hour), tzinfo=COUNTY_TIME).astimezone(UTC)
        return min(at, self.loaded_at)

    @property
    def loaded_at(self) -> datetime:
        return clock.utcnow()

    def report_filed(self, year: int, month: int, days_late: int = 0) -> datetime:
        """When the demo files a month's report: the 5th of the next month (on time), or
        ``days_late`` days after the due date."""
        after = date(year + (month == 12), 1 if month == 12 else month + 1, FILED_DAY)
        if days_late:
            after = date(after.year, after.month, DUE_DAY + days_late)
        return self.moment(after)
