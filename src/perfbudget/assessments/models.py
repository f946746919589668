"""Ex-ante performance assessment of new major policies and projects (S2.1)."""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from perfbudget.db import Base, UTCDateTime
from perfbudget.enums import LabeledEnum
from perfbudget.models_base import Timestamps, enum_type


class AssessmentDimension(LabeledEnum):
    """S2.1.1: the five things an ex-ante assessment examines."""

    __labels__ = {
        "necessity": ("立项必要性", "Necessity of the project"),
        "input_economy": ("投入经济性", "Economy of the input"),
        "target_reasonableness": ("绩效目标合理性", "Reasonableness of the targets"),
        "plan_feasibility": ("实施方案可行性", "Feasibility of the plan"),
        "financing_compliance": ("筹资合规性", "Compliance of the financing"),
    }
    necessity = "necessity"
    input_economy = "input_economy"
    target_reasonableness = "target_reasonableness"
    plan_feasibility = "plan_feasibility"
    financing_compliance = "financing_compliance"


class AssessmentStatus(LabeledEnum):
    __labels__ = {
        "draft": ("草稿", "Draft"),
        "submitted": ("已提交", "Submitted"),
        "concluded": ("已出具评审结论", "Concluded"),
    }
    draft = "draft"
    submitted = "submitted"
    concluded = "concluded"


TRANSITIONS: Mapping[AssessmentStatus, frozenset[AssessmentStatus]] = {
    AssessmentStatus.draft: frozenset({AssessmentStatus.submitted}),
    AssessmentStatus.submitted: frozenset({AssessmentStatus.concluded}),
    AssessmentStatus.concluded: frozenset(),
}


class AssessmentConclusion(LabeledEnum):
    __labels__ = {
        "supported": ("予以支持", "Supported"),
        "supported_with_changes": ("调整后予以支持", "Supported with changes"),
        "not_supported": ("不予支持", "Not supported"),
    }
    supported = "supported"
    supported_with_changes = "supported_with_changes"
    not_supported = "not_supported"


class ReviewStatus(LabeledEnum):
    __labels__ = {
        "assigned": ("待评审", "Assigned"),
        "submitted": ("已提交意见", "Opinion submitted"),
    }
    assigned = "assigned"
    submitted = "submitted"


class Assessment(Timestamps, Base):
    __tablename__ = "assessments"
    __audit_entity__: ClassVar[str] = "assessment"
    __audited__: ClassVar[tuple[str, ...]] = (
        "status",
        "assessor_role",
        "dimensions",
        "conclusion",
        "final_conclusion",
        "final_note",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("budget_items.id"), unique=True)
    status: Mapped[AssessmentStatus] = mapped_column(
        enum_type(AssessmentStatus), default=AssessmentStatus.draft
    )
    # "department" or "investment": who assessed (S2.1.1: the investment authority for
    # capital construction)
    assessor_role: Mapped[str] = mapped_column(String(16))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # {dimension: {"finding": str, "score": "85.00"}}
    dimensions: Mapped[dict[str, Any]] = mapped_column(JSON)
    conclusion: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    final_conclusion: Mapped[AssessmentConclusion | None] = mapped_column(
        enum_type(AssessmentConclusion)
    )
    final_note: Mapped[str | None] = mapped_column(Text)
    concluded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column()

    reviews: Mapped[list["AssessmentReview"]] = relationship(
        order_by="AssessmentReview.id", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}


class AssessmentReview(Timestamps, Base):
    """One reviewer's assignment on an assessment: an expert of the panel or a third party."""

    __tablename__ = "assessment_reviews"
    __audit_entity__: ClassVar[str] = "assessment_review"
    __audited__: ClassVar[tuple[str, ...]] = (
        "reviewer_id",
        "status",
        "opinions",
        "score",
        "recommendation",
        "summary",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[ReviewStatus] = mapped_column(
        enum_type(ReviewStatus), default=ReviewStatus.assigned
    )
    # {dimension: opinion text}
    opinions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    recommendation: Mapped[AssessmentConclusion | None] = mapped_column(
        enum_type(AssessmentConclusion)
    )
    summary: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("assessment_id", "reviewer_id"),)
