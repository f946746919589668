"""Use of results (S2.5) and the department assessment and circular (S3)."""

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.db import Base, UTCDateTime
from perfbudget.enums import LabeledEnum
from perfbudget.models_base import Timestamps, enum_type


class RectificationPlan(Base):
    """What a department will change on an item graded 中 before it is funded again (S2.5)."""

    __tablename__ = "result_rectification_plans"
    __audit_entity__: ClassVar[str] = "rectification_plan"
    __audited__: ClassVar[tuple[str, ...]] = ("item_id", "plan")

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("budget_items.id"), unique=True)
    plan: Mapped[str] = mapped_column(Text)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AssessmentStatus(LabeledEnum):
    __labels__ = {
        "draft": ("测算中", "Draft"),
        "published": ("已通报", "Published"),
    }
    draft = "draft"
    published = "published"


class DepartmentAssessment(Timestamps, Base):
    """How a department did its performance work in a year (考核, S3)."""

    __tablename__ = "department_assessments"
    __audit_entity__: ClassVar[str] = "department_assessment"
    __audited__: ClassVar[tuple[str, ...]] = ("qualitative_note",)

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(ForeignKey("fiscal_years.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # computed from the records: on-time targets, reports, rectifications, evaluations, grades
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    qualitative_score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    qualitative_note: Mapped[str | None] = mapped_column(Text)
    total_score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    rank: Mapped[int | None] = mapped_column()
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("fiscal_year_id", "organisation_id"),)

    def audit_extra(self) -> dict[str, Any]:
        """The scores as shown, two places, whatever the decimal's own exponent."""
        return {
            "qualitative_score": score_text(self.qualitative_score),
            "total_score": score_text(self.total_score),
        }


def score_text(value: Decimal | None) -> str | None:
    """A score as the trail and the circular keep it: two places."""
    return None if value is None else f"{value:.2f}"


class Circular(Timestamps, Base):
    """The published ranking (通报) of departments' performance work for a year (S3)."""

    __tablename__ = "circulars"

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(ForeignKey("fiscal_years.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[AssessmentStatus] = mapped_column(
        enum_type(AssessmentStatus), default=AssessmentStatus.draft
    )
    # the ranking as published: stays as it was even if records change later
    ranking: Mapped[list[Any]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}
