"""Monthly dual monitoring (双监控, S2.3.1) and what finance does about it (S2.3.2)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from perfbudget.db import Base, UTCDateTime
from perfbudget.enums import LabeledEnum
from perfbudget.models_base import Timestamps, enum_type

MONEY = Numeric(18, 2)


class Light(LabeledEnum):
    """DOMAIN §3 monitoring lights; an object's light is the worst of its lights."""

    __labels__ = {
        "green": ("绿灯（正常）", "Green (on track)"),
        "blue": ("蓝灯（超前，需复核目标）", "Blue (ahead: check the target)"),
        "yellow": ("黄灯（轻度偏离）", "Yellow (behind)"),
        "red": ("红灯（严重偏离）", "Red (seriously behind)"),
    }
    green = "green"
    blue = "blue"
    yellow = "yellow"
    red = "red"

    @property
    def severity(self) -> int:
        return {"green": 0, "blue": 1, "yellow": 2, "red": 3}[self.value]


class QualitativeStatus(LabeledEnum):
    __labels__ = {
        "achieved": ("达成", "Achieved"),
        "partially_achieved": ("部分达成", "Partially achieved"),
        "not_achieved": ("未达成", "Not achieved"),
    }
    achieved = "achieved"
    partially_achieved = "partially_achieved"
    not_achieved = "not_achieved"


class ReportStatus(LabeledEnum):
    __labels__ = {
        "draft": ("草稿", "Draft"),
        "department_review": ("主管部门审核中", "In department review"),
        "finance_review": ("财政审核中", "In finance review"),
        "returned": ("已退回修改", "Returned for changes"),
        "accepted": ("审核通过", "Accepted"),
        "rectify": ("责令整改", "Rectification ordered"),
        "suspended": ("暂缓拨款", "Payments suspended"),
        "stopped": ("停止拨款", "Payments stopped"),
    }
    draft = "draft"
    department_review = "department_review"
    finance_review = "finance_review"
    returned = "returned"
    accepted = "accepted"
    rectify = "rectify"
    suspended = "suspended"
    stopped = "stopped"


# a report in these states is not filed: the department still holds it (S2.3.1) — the
# overview, the assessment and the reminders count filed reports by this one tuple
UNSUBMITTED = (ReportStatus.draft, ReportStatus.returned)


class MonitoringReport(Timestamps, Base):
    """One item's report for one month: cumulative execution and indicator actuals."""

    __tablename__ = "monitoring_reports"
    __audit_entity__: ClassVar[str] = "monitoring_report"
    __audited__: ClassVar[tuple[str, ...]] = (
        "cumulative_execution",
        "target_expected",
        "deviation_reasons",
        "corrective_measures",
        "status",
        "item_light",
        "execution_light",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("budget_items.id"))
    fiscal_year_id: Mapped[int] = mapped_column(ForeignKey("fiscal_years.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    month: Mapped[int] = mapped_column()
    status: Mapped[ReportStatus] = mapped_column(
        enum_type(ReportStatus), default=ReportStatus.draft
    )
    cumulative_execution: Mapped[Decimal] = mapped_column(MONEY)
    target_expected: Mapped[bool] = mapped_column(default=True)
    deviation_reasons: Mapped[str] = mapped_column(Text, default="")
    corrective_measures: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date] = mapped_column(Date)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(default=False)
    # computed at submission from the year's parameters, with their explanation
    item_light: Mapped[Light | None] = mapped_column(enum_type(Light))
    execution_light: Mapped[Light | None] = mapped_column(enum_type(Light))
    lights: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    return_reason: Mapped[str | None] = mapped_column(Text)
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column()

    lines: Mapped[list["ReportLine"]] = relationship(
        order_by="ReportLine.id", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("item_id", "month"),
        Index("ix_monitoring_reports_year_month", "fiscal_year_id", "month", "status"),
        # an item's report for a month as the overview counts it, without reading the (wide)
        # report row: filed, late, light
        Index(
            "ix_monitoring_reports_item_month_state",
            "item_id",
            "month",
            "fiscal_year_id",
            "status",
            "item_light",
            "late",
        ),
        Index("ix_monitoring_reports_org", "organisation_id"),
        # the review queues: the reports in one status, oldest submission first
        Index("ix_monitoring_reports_status_submitted", "status", "submitted_at", "id"),
    )

    def audit_extra(self) -> dict[str, Any]:
        """The answers, as the trail keeps them beside the declared fields."""
        return {
            "lines": [
                {
                    "target_line_id": line.target_line_id,
                    "actual": None if line.actual is None else str(line.actual),
                    "qualitative_status": line.qualitative_status,
                    "year_target_expected": line.year_target_expected,
                    "note": line.note,
                }
                for line in self.lines
            ]
        }


class ReportLine(Base):
    __tablename__ = "monitoring_report_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_reports.id", ondelete="CASCADE"), index=True
    )
    target_line_id: Mapped[int] = mapped_column(ForeignKey("target_lines.id"))
    actual: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    qualitative_status: Mapped[QualitativeStatus | None] = mapped_column(
        enum_type(QualitativeStatus)
    )
    year_target_expected: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(Text, default="")


class RectificationStatus(LabeledEnum):
    __labels__ = {
        "open": ("待整改", "Open"),
        "answered": ("已反馈待核实", "Answered, awaiting verification"),
        "accepted": ("整改到位", "Verified"),
        "rejected": ("整改未到位", "Not accepted"),
    }
    open = "open"
    answered = "answered"
    accepted = "accepted"
    rejected = "rejected"


class Rectification(Timestamps, Base):
    """A rectification order (整改通知) on a report: measures required by a deadline."""

    __tablename__ = "rectifications"
    __audit_entity__: ClassVar[str] = "rectification"
    __audited__: ClassVar[tuple[str, ...]] = (
        "status",
        "required_measures",
        "deadline",
        "hold_id",
        "response_measures",
        "verification_note",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("budget_items.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("monitoring_reports.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("payment_holds.id"))
    required_measures: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[RectificationStatus] = mapped_column(
        enum_type(RectificationStatus), default=RectificationStatus.open
    )
    response_measures: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verification_note: Mapped[str | None] = mapped_column(Text)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}
