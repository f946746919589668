"""The common indicator framework, one per fiscal year (S2.2.1, DOMAIN §3)."""

from sqlalchemy.orm import Session

from perfbudget.audit import service as audit
from perfbudget.errors import RuleViolation, not_found
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.models import FiscalYear, FiscalYearStatus
from perfbudget.indicators import repository, rules
from perfbudget.indicators.models import FIRST_LEVEL, FirstLevel, FrameworkIndicator
from perfbudget.indicators.schemas import (
    CategoryRead,
    CopyForwardResult,
    FrameworkIndicatorCreate,
    FrameworkIndicatorFilter,
    FrameworkIndicatorRead,
    FrameworkIndicatorUpdate,
    FrameworkRead,
    LevelRead,
)
from perfbudget.pagination import Page, page_of
from perfbudget.principal import Actor
from perfbudget.versioning import check_version

FRAMEWORK_LEVELS = (FirstLevel.output, FirstLevel.cost, FirstLevel.effect, FirstLevel.satisfaction)


def _preparing_year(session: Session, year: int) -> FiscalYear:
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    if fiscal_year.status is not FiscalYearStatus.preparing:
        raise RuleViolation(
            "FISCAL_YEAR_NOT_PREPARING",
            f"The common framework is set before budget preparation (S2.2.1); the {year} "
            f"fiscal year is now '{fiscal_year.status.label_en}', so its framework is frozen.",
            f"共性指标框架须在预算编制前设定（S2.2.1）；{year} 年度当前状态为"
            f"“{fiscal_year.status.label_zh}”，框架不能再修改。",
        )
    return fiscal_year


def get_framework(session: Session, year: int) -> FrameworkRead:
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    total, active = repository.framework_counts(session, fiscal_year.id)
    levels = [
        LevelRead(
            first_level=level,
            label_zh=level.label_zh,
            label_en=level.label_en,
            categories=[
                CategoryRead(
                    category=category, label_zh=category.label_zh, label_en=category.label_en
                )
                for category, first in FIRST_LEVEL.items()
                if first is level
            ],
        )
        for level in FRAMEWORK_LEVELS
    ]
    return FrameworkRead(
        year=fiscal_year.year,
        fiscal_year_status=fiscal_year.status,
        editable=fiscal_year.status is FiscalYearStatus.preparing,
        levels=levels,
        indicator_count=total,
        active_indicator_count=active,
    )


def list_framework_indicators(
    session: Session, year: int, filters: FrameworkIndicatorFilter
) -> Page[FrameworkIndicatorRead]:
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    rows, total = repository.list_framework_page(session, fiscal_year.id, filters)
    return page_of(FrameworkIndicatorRead, rows, total, filters)


def _framework_indicator(
    session: Session, fiscal_year: FiscalYear, indicator_id: int
) -> FrameworkIndicator:
    indicator = repository.get_framework(session, fiscal_year.id, indicator_id)
    if indicator is None:
        raise not_found("Framework indicator", "共性指标")
    return indicator


def read_framework_indicator(session: Session, year: int, indicator_id: int) -> FrameworkIndicator:
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    return _framework_indicator(session, fiscal_year, indicator_id)


def create_framework_indicator(
    session: Session, actor: Actor, year: int, data: FrameworkIndicatorCreate
) -> FrameworkIndicator:
    fiscal_year = _preparing_year(session, year)
    rules.check_shape(data.category, data.direction, data.unit, framework=True)
    if repository.framework_name_taken(session, fiscal_year.id, data.name):
        raise rules.name_taken(data.name, f"The {year} framework", f"{year} 年度共性指标框架")
    indicator = FrameworkIndicator(fiscal_year_id=fiscal_year.id, **data.model_dump())
    repository.add_all(session, [indicator])
    audit.record_edit(session, actor, "created", indicator, None)
    return indicator


def update_framework_indicator(
    session: Session,
    actor: Actor,
    year: int,
    indicator_id: int,
    data: FrameworkIndicatorUpdate,
    expected_version: int | None,
) -> FrameworkIndicator:
    fiscal_year = _preparing_year(session, year)
    indicator = _framework_indicator(session, fiscal_year, indicator_id)
    check_version(indicator.version, expected_version)
    rules.check_update(indicator, data)
    if data.name is not None and repository.framework_name_taken(
        session, fiscal_year.id, data.name, except_id=indicator.id
    ):
        raise rules.name_taken(data.name, f"The {year} framework", f"{year} 年度共性指标框架")
    before = audit.state(indicator)
    rules.apply(indicator, data)
    audit.record_edit(session, actor, "updated", indicator, before)
    return indicator


def set_framework_indicator_active(
    session: Session,
    actor: Actor,
    year: int,
    indicator_id: int,
    active: bool,
    expected_version: int | None,
) -> FrameworkIndicator:
    fiscal_year = _preparing_year(session, year)
    indicator = _framework_indicator(session, fiscal_year, indicator_id)
    return rules.set_active(session, actor, indicator, active, expected_version)


def copy_framework_forward(session: Session, actor: Actor, year: int) -> CopyForwardResult:
    """Start a year's framework from the nearest earlier one (S2.2.1 "sets or updates")."""
    fiscal_year = _preparing_year(session, year)
    total, _active = repository.framework_counts(session, fiscal_year.id)
    if total:
        raise RuleViolation(
            "FRAMEWORK_NOT_EMPTY",
            f"The {year} framework already has {total} indicators; copy forward only starts "
            "an empty framework.",
            f"{year} 年度共性指标框架已有 {total} 个指标，只有空框架才能沿用上年框架。",
        )
    source = repository.nearest_year_with_framework(session, year)
    if source is None:
        raise RuleViolation(
            "NO_EARLIER_FRAMEWORK",
            f"No fiscal year before {year} has a framework with active indicators to copy.",
            f"{year} 年度之前没有可沿用的共性指标框架。",
        )
    copies = [
        FrameworkIndicator(
            fiscal_year_id=fiscal_year.id,
            category=original.category,
            name=original.name,
            direction=original.direction,
            unit=original.unit,
            description=original.description,
        )
        for original in repository.active_framework(session, source.id)
    ]
    repository.add_all(session, copies)
    session.flush()
    audit.record(
        session,
        actor,
        "indicator_framework.copied_forward",
        entity_type="fiscal_year",
        entity_id=year,
        changes={"source_year": source.year, "copied": len(copies)},
    )
    return CopyForwardResult(year=year, source_year=source.year, copied=len(copies))
