"""Self-evaluation (自评, S2.4), checked and graded by the finance bureau."""

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Numeric, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from perfbudget.db import Base, UTCDateTime
from perfbudget.enums import LabeledEnum
from perfbudget.models_base import Timestamps, enum_type
from perfbudget.monitoring.models import QualitativeStatus

MONEY = Numeric(18, 2)
POINTS = Numeric(6, 2)


class Grade(LabeledEnum):
    """DOMAIN §3: 优 ≥ 90, 良 80–90, 中 60–80, 差 < 60 (bands from the year's parameters)."""

    __labels__ = {
        "excellent": ("优", "Excellent"),
        "good": ("良", "Good"),
        "fair": ("中", "Fair"),
        "poor": ("差", "Poor"),
    }
    excellent = "excellent"
    good = "good"
    fair = "fair"
    poor = "poor"


class Consequence(LabeledEnum):
    """S2.5: how a result is used in the next budget."""

    __labels__ = {
        "support": ("予以支持", "Support"),
        "rectify": ("限期整改", "Rectify"),
        "reduce_or_cancel": ("调减或取消", "Reduce or cancel"),
    }
    support = "support"
    rectify = "rectify"
    reduce_or_cancel = "reduce_or_cancel"


class EvaluationStatus(LabeledEnum):
    __labels__ = {
        "draft": ("草稿", "Draft"),
        "department_review": ("主管部门审核中", "In department review"),
        "finance_review": ("财政审核中", "In finance review"),
        "returned": ("已退回修改", "Returned for changes"),
        "graded": ("已评定等级", "Graded"),
    }
    draft = "draft"
    department_review = "department_review"
    finance_review = "finance_review"
    returned = "returned"
    graded = "graded"


# the statuses in which the organisation may still change its self-evaluation
EDITABLE = (EvaluationStatus.draft, EvaluationStatus.returned)


class SelfEvaluation(Timestamps, Base):
    __tablename__ = "self_evaluations"
    __audit_entity__: ClassVar[str] = "self_evaluation"
    __audited__: ClassVar[tuple[str, ...]] = (
        "status",
        "final_execution",
        "sections",
        "computed_score",
        "final_score",
        "grade",
        "grade_override_reason",
        "finance_finding",
        "third_party_id",
        "third_party_score",
        "third_party_adopted",
        "return_reason",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("budget_items.id"), unique=True)
    fiscal_year_id: Mapped[int] = mapped_column(ForeignKey("fiscal_years.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[EvaluationStatus] = mapped_column(
        enum_type(EvaluationStatus), default=EvaluationStatus.draft
    )
    final_execution: Mapped[Decimal] = mapped_column(MONEY)
    # {"overview": str, "achievements": str, "problems": str, "improvements": str}
    sections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_score: Mapped[Decimal | None] = mapped_column(POINTS)
    # the score once finance's line adjustments (or an adopted third-party score) apply
    final_score: Mapped[Decimal | None] = mapped_column(POINTS)
    grade: Mapped[Grade | None] = mapped_column(enum_type(Grade))
    grade_override_reason: Mapped[str | None] = mapped_column(Text)
    finance_finding: Mapped[str | None] = mapped_column(Text)
    # snapshots computed by the service at submission / grading
    scoring: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    plausibility_flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    completeness: Mapped[list[Any]] = mapped_column(JSON, default=list)
    third_party_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    third_party_score: Mapped[Decimal | None] = mapped_column(POINTS)
    third_party_report: Mapped[str | None] = mapped_column(Text)
    third_party_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    third_party_adopted: Mapped[bool] = mapped_column(default=False)
    return_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column()

    lines: Mapped[list["EvaluationLine"]] = relationship(
        order_by="EvaluationLine.id", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}

    def audit_extra(self) -> dict[str, Any]:
        """The lines, as the trail keeps them beside the declared fields."""
        return {
            "lines": [
                {
                    "target_line_id": line.target_line_id,
                    "final_actual": _text(line.final_actual),
                    "qualitative_status": line.qualitative_status,
                    "qualitative_share": _text(line.qualitative_share),
                    "explanation": line.explanation,
                    "adjusted_points": _text(line.adjusted_points),
                }
                for line in self.lines
            ]
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class EvaluationLine(Base):
    __tablename__ = "self_evaluation_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("self_evaluations.id", ondelete="CASCADE"), index=True
    )
    target_line_id: Mapped[int] = mapped_column(ForeignKey("target_lines.id"))
    final_actual: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    qualitative_status: Mapped[QualitativeStatus | None] = mapped_column(
        enum_type(QualitativeStatus)
    )
    # the evaluator's pick inside the qualitative level's band, as % of the weight
    qualitative_share: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    explanation: Mapped[str] = mapped_column(Text, default="")
    computed_points: Mapped[Decimal | None] = mapped_column(POINTS)
    adjusted_points: Mapped[Decimal | None] = mapped_column(POINTS)
    adjustment_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("evaluation_id", "target_line_id"),)
