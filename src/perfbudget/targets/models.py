"""Performance targets (S2.2.2): versioned, amend-only target sets of indicator lines."""

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from perfbudget.db import Base, UTCDateTime
from perfbudget.enums import LabeledEnum
from perfbudget.indicators.models import Direction, FirstLevel, IndicatorCategory
from perfbudget.models_base import Timestamps, enum_type


class TargetSetStatus(LabeledEnum):
    __labels__ = {
        "draft": ("草稿", "Draft"),
        "department_review": ("主管部门审核中", "In department review"),
        "finance_review": ("财政审核中", "In finance review"),
        "approved": ("已批复", "Approved"),
        "returned": ("已退回修改", "Returned for changes"),
        "superseded": ("已被调整替代", "Superseded by an adjustment"),
    }
    draft = "draft"
    department_review = "department_review"
    finance_review = "finance_review"
    approved = "approved"
    returned = "returned"
    superseded = "superseded"


class TargetSet(Timestamps, Base):
    __tablename__ = "target_sets"
    __audit_entity__: ClassVar[str] = "target_set"
    __audit_actions__: ClassVar[str] = "targets"  # the trail names a set's events targets.…
    __audited__: ClassVar[tuple[str, ...]] = ("overall_goal",)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("budget_items.id"), index=True)
    number: Mapped[int] = mapped_column()  # 1 the original, 2… adjustments
    status: Mapped[TargetSetStatus] = mapped_column(
        enum_type(TargetSetStatus), default=TargetSetStatus.draft
    )
    overall_goal: Mapped[str] = mapped_column(Text, default="")
    adjustment_reason: Mapped[str | None] = mapped_column(Text)
    return_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column()

    lines: Mapped[list["TargetLine"]] = relationship(
        order_by="TargetLine.position", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    def audit_extra(self) -> dict[str, Any]:
        return {
            "lines": [
                {
                    "name": line.name,
                    "category": line.category.value,
                    "direction": line.direction.value,
                    "target_value": None if line.target_value is None else str(line.target_value),
                    "unit": line.unit,
                    "weight": str(line.weight),
                }
                for line in self.lines
            ]
        }


class TargetLine(Base):
    __tablename__ = "target_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_set_id: Mapped[int] = mapped_column(
        ForeignKey("target_sets.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column()
    category: Mapped[IndicatorCategory] = mapped_column(enum_type(IndicatorCategory))
    name: Mapped[str] = mapped_column(String(200))
    direction: Mapped[Direction] = mapped_column(enum_type(Direction))
    target_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    unit: Mapped[str | None] = mapped_column(String(32))
    qualitative_standard: Mapped[str | None] = mapped_column(Text)
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    library_indicator_id: Mapped[int | None] = mapped_column(ForeignKey("library_indicators.id"))
    framework_indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("framework_indicators.id")
    )

    @property
    def first_level(self) -> FirstLevel:
        return self.category.first_level
