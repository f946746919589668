"""The indicator framework (S2.2.1, DOMAIN §3): three levels, and the departments' libraries."""

from typing import ClassVar

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.db import Base
from perfbudget.enums import LabeledEnum
from perfbudget.models_base import Timestamps, enum_type


class FirstLevel(LabeledEnum):
    __labels__ = {
        "output": ("产出指标", "Output"),
        "cost": ("成本指标", "Cost"),
        "effect": ("效益指标", "Effect"),
        "satisfaction": ("满意度指标", "Satisfaction"),
        "overall": ("部门整体绩效", "Department overall performance"),
    }
    output = "output"
    cost = "cost"
    effect = "effect"
    satisfaction = "satisfaction"
    overall = "overall"


class IndicatorCategory(LabeledEnum):
    """Second level (§3), and the six aspects of a department's overall targets (S2.2.3)."""

    __labels__ = {
        "quantity": ("数量指标", "Quantity"),
        "quality": ("质量指标", "Quality"),
        "timeliness": ("时效指标", "Timeliness"),
        "economic_cost": ("经济成本指标", "Economic cost"),
        "social_cost": ("社会成本指标", "Social cost"),
        "ecological_cost": ("生态环境成本指标", "Ecological and environmental cost"),
        "economic_effect": ("经济效益指标", "Economic effect"),
        "social_effect": ("社会效益指标", "Social effect"),
        "ecological_effect": ("生态效益指标", "Ecological effect"),
        "sustainable_effect": ("可持续影响指标", "Sustainable effect"),
        "service_satisfaction": ("服务对象满意度指标", "Satisfaction of those served"),
        "running_cost": ("运行成本", "Running cost"),
        "management_efficiency": ("管理效率", "Management efficiency"),
        "duty_performance": ("履职效能", "Performance of duties"),
        "social_impact": ("社会效应", "Social effect"),
        "sustainability": ("可持续发展能力", "Sustainable development capacity"),
        "beneficiary_satisfaction": ("服务对象满意度", "Satisfaction of those served"),
    }
    quantity = "quantity"
    quality = "quality"
    timeliness = "timeliness"
    economic_cost = "economic_cost"
    social_cost = "social_cost"
    ecological_cost = "ecological_cost"
    economic_effect = "economic_effect"
    social_effect = "social_effect"
    ecological_effect = "ecological_effect"
    sustainable_effect = "sustainable_effect"
    service_satisfaction = "service_satisfaction"
    running_cost = "running_cost"
    management_efficiency = "management_efficiency"
    duty_performance = "duty_performance"
    social_impact = "social_impact"
    sustainability = "sustainability"
    beneficiary_satisfaction = "beneficiary_satisfaction"

    @property
    def first_level(self) -> FirstLevel:
        return FIRST_LEVEL[self]

    @property
    def is_overall_aspect(self) -> bool:
        return FIRST_LEVEL[self] is FirstLevel.overall


FIRST_LEVEL: dict[IndicatorCategory, FirstLevel] = {
    IndicatorCategory.quantity: FirstLevel.output,
    IndicatorCategory.quality: FirstLevel.output,
    IndicatorCategory.timeliness: FirstLevel.output,
    IndicatorCategory.economic_cost: FirstLevel.cost,
    IndicatorCategory.social_cost: FirstLevel.cost,
    IndicatorCategory.ecological_cost: FirstLevel.cost,
    IndicatorCategory.economic_effect: FirstLevel.effect,
    IndicatorCategory.social_effect: FirstLevel.effect,
    IndicatorCategory.ecological_effect: FirstLevel.effect,
    IndicatorCategory.sustainable_effect: FirstLevel.effect,
    IndicatorCategory.service_satisfaction: FirstLevel.satisfaction,
    IndicatorCategory.running_cost: FirstLevel.overall,
    IndicatorCategory.management_efficiency: FirstLevel.overall,
    IndicatorCategory.duty_performance: FirstLevel.overall,
    IndicatorCategory.social_impact: FirstLevel.overall,
    IndicatorCategory.sustainability: FirstLevel.overall,
    IndicatorCategory.beneficiary_satisfaction: FirstLevel.overall,
}


class Direction(LabeledEnum):
    """§3: positive (≥, >, =), reverse (≤, <), qualitative."""

    __labels__ = {
        "gte": ("≥（正向）", "≥ (positive)"),
        "gt": ("＞（正向）", "> (positive)"),
        "eq": ("＝", "="),
        "lte": ("≤（反向）", "≤ (reverse)"),
        "lt": ("＜（反向）", "< (reverse)"),
        "qualitative": ("定性", "Qualitative"),
    }
    gte = "gte"
    gt = "gt"
    eq = "eq"
    lte = "lte"
    lt = "lt"
    qualitative = "qualitative"

    @property
    def is_reverse(self) -> bool:
        return self in (Direction.lte, Direction.lt)

    @property
    def is_quantitative(self) -> bool:
        return self is not Direction.qualitative


# what the audit trail keeps of either kind of indicator
_AUDITED = ("category", "name", "direction", "unit", "description", "is_active")


class FrameworkIndicator(Timestamps, Base):
    """A common third-level indicator of the finance bureau's framework for one fiscal year."""

    __tablename__ = "framework_indicators"
    __audit_entity__: ClassVar[str] = "framework_indicator"
    __audited__: ClassVar[tuple[str, ...]] = ("fiscal_year_id", *_AUDITED)

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(ForeignKey("fiscal_years.id"), index=True)
    category: Mapped[IndicatorCategory] = mapped_column(enum_type(IndicatorCategory))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(32))
    direction: Mapped[Direction] = mapped_column(enum_type(Direction))
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("uq_framework_indicators_year_name", "fiscal_year_id", "name", unique=True),
    )


class LibraryIndicator(Timestamps, Base):
    """A department's own third-level indicator, reusable across items and years (S2.2.1)."""

    __tablename__ = "library_indicators"
    __audit_entity__: ClassVar[str] = "library_indicator"
    __audited__: ClassVar[tuple[str, ...]] = ("organisation_id", *_AUDITED, "sector")

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    category: Mapped[IndicatorCategory] = mapped_column(enum_type(IndicatorCategory))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(32))
    direction: Mapped[Direction] = mapped_column(enum_type(Direction))
    sector: Mapped[str | None] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("uq_library_indicators_org_name", "organisation_id", "name", unique=True),
    )
