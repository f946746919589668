"""Rules shared by both kinds of indicator: the common framework's and the libraries'."""

from typing import TypeVar

from sqlalchemy.orm import Session

from perfbudget.audit import service as audit
from perfbudget.errors import Conflict, Unprocessable
from perfbudget.indicators.models import (
    Direction,
    FrameworkIndicator,
    IndicatorCategory,
    LibraryIndicator,
)
from perfbudget.indicators.schemas import IndicatorUpdate
from perfbudget.principal import Actor
from perfbudget.versioning import check_version

Indicator = TypeVar("Indicator", FrameworkIndicator, LibraryIndicator)


def check_shape(
    category: IndicatorCategory, direction: Direction, unit: str | None, *, framework: bool
) -> None:
    if framework and category.is_overall_aspect:
        raise Unprocessable(
            "INDICATOR_CATEGORY_NOT_ALLOWED",
            f"'{category.label_en}' is an aspect of a department's overall targets (S2.2.3); "
            "the common framework uses the second-level categories of §3 (S2.2.1).",
            f"“{category.label_zh}”属于部门整体绩效目标的方面（S2.2.3），"
            "共性指标框架只使用二级指标分类（S2.2.1）。",
        )
    if direction.is_quantitative and unit is None:
        raise Unprocessable(
            "INDICATOR_UNIT_REQUIRED",
            "A quantitative indicator needs a unit of measure (§3).",
            "定量指标须填写计量单位（§3）。",
        )


def name_taken(name: str, owner_en: str, owner_zh: str) -> Conflict:
    return Conflict(
        "INDICATOR_NAME_TAKEN",
        f"{owner_en} already has an indicator named '{name}'.",
        f"{owner_zh}已有名为“{name}”的指标。",
    )


def check_update(indicator: FrameworkIndicator | LibraryIndicator, data: IndicatorUpdate) -> None:
    """The shape rules on the indicator as the update would leave it, before touching it."""
    check_shape(
        data.category or indicator.category,
        data.direction or indicator.direction,
        data.unit if "unit" in data.model_fields_set else indicator.unit,
        framework=isinstance(indicator, FrameworkIndicator),
    )


def apply(indicator: FrameworkIndicator | LibraryIndicator, data: IndicatorUpdate) -> None:
    if data.category is not None:
        indicator.category = data.category
    if data.name is not None:
        indicator.name = data.name
    if data.direction is not None:
        indicator.direction = data.direction
    if "unit" in data.model_fields_set:
        indicator.unit = data.unit
    if data.description is not None:
        indicator.description = data.description


def set_active(
    session: Session,
    actor: Actor,
    indicator: Indicator,
    active: bool,
    expected_version: int | None,
) -> Indicator:
    check_version(indicator.version, expected_version)
    if indicator.is_active == active:
        return indicator
    before = audit.state(indicator)
    indicator.is_active = active
    audit.record_edit(session, actor, "activated" if active else "deactivated", indicator, before)
    return indicator
