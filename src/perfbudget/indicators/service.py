"""The common indicator framework and the department libraries (S2.2.1, DOMAIN §3)."""

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from perfbudget.audit import service as audit
from perfbudget.auth.principal import Actor
from perfbudget.errors import Conflict, Forbidden, RuleViolation, Unprocessable, not_found
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.models import FiscalYear, FiscalYearStatus
from perfbudget.indicators import repository
from perfbudget.indicators.models import (
    FIRST_LEVEL,
    Direction,
    FirstLevel,
    FrameworkIndicator,
    IndicatorCategory,
    LibraryIndicator,
)
from perfbudget.indicators.schemas import (
    CategoryRead,
    CopyForwardResult,
    FrameworkIndicatorCreate,
    FrameworkIndicatorFilter,
    FrameworkIndicatorRead,
    FrameworkIndicatorUpdate,
    FrameworkRead,
    IndicatorUpdate,
    LevelRead,
    LibraryIndicatorCreate,
    LibraryIndicatorFilter,
    LibraryIndicatorRead,
    LibraryIndicatorUpdate,
)
from perfbudget.orgs import service as org_service
from perfbudget.orgs.models import Organisation
from perfbudget.pagination import Page, page_of
from perfbudget.versioning import check_version

INDICATOR_FIELDS = ("category", "name", "direction", "unit", "description", "is_active")
FRAMEWORK_FIELDS = ("fiscal_year_id", *INDICATOR_FIELDS)
LIBRARY_FIELDS = ("organisation_id", *INDICATOR_FIELDS, "sector")
AUDITED: dict[type[FrameworkIndicator | LibraryIndicator], tuple[str, tuple[str, ...]]] = {
    FrameworkIndicator: ("framework_indicator", FRAMEWORK_FIELDS),
    LibraryIndicator: ("library_indicator", LIBRARY_FIELDS),
}
Indicator = TypeVar("Indicator", FrameworkIndicator, LibraryIndicator)
FRAMEWORK_LEVELS = (FirstLevel.output, FirstLevel.cost, FirstLevel.effect, FirstLevel.satisfaction)


# Rules shared by both kinds of indicator


def _check_shape(
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


def _name_taken(name: str, owner_en: str, owner_zh: str) -> Conflict:
    return Conflict(
        "INDICATOR_NAME_TAKEN",
        f"{owner_en} already has an indicator named '{name}'.",
        f"{owner_zh}已有名为“{name}”的指标。",
    )


def _check_update(indicator: FrameworkIndicator | LibraryIndicator, data: IndicatorUpdate) -> None:
    """The shape rules on the indicator as the update would leave it, before touching it."""
    _check_shape(
        data.category or indicator.category,
        data.direction or indicator.direction,
        data.unit if "unit" in data.model_fields_set else indicator.unit,
        framework=isinstance(indicator, FrameworkIndicator),
    )


def _apply(indicator: FrameworkIndicator | LibraryIndicator, data: IndicatorUpdate) -> None:
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


def _snapshot(indicator: FrameworkIndicator | LibraryIndicator) -> dict[str, Any]:
    _entity_type, fields = AUDITED[type(indicator)]
    return audit.snapshot(indicator, fields)


def _flush_and_record(
    session: Session,
    actor: Actor,
    indicator: FrameworkIndicator | LibraryIndicator,
    action: str,
    *,
    before: dict[str, Any] | None,
) -> None:
    session.flush()
    entity_type, _fields = AUDITED[type(indicator)]
    after = _snapshot(indicator)
    audit.record_change(
        session,
        actor,
        f"{entity_type}.{action}",
        entity_type=entity_type,
        entity_id=indicator.id,
        before=before,
        after=after if before is None else {key: after[key] for key in before},
    )


def _set_active(
    session: Session,
    actor: Actor,
    indicator: Indicator,
    active: bool,
    expected_version: int | None,
) -> Indicator:
    check_version(indicator.version, expected_version)
    if indicator.is_active == active:
        return indicator
    indicator.is_active = active
    action = "activated" if active else "deactivated"
    _flush_and_record(session, actor, indicator, action, before={"is_active": not active})
    return indicator


# The common framework, per fiscal year


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
    _check_shape(data.category, data.direction, data.unit, framework=True)
    if repository.framework_name_taken(session, fiscal_year.id, data.name):
        raise _name_taken(data.name, f"The {year} framework", f"{year} 年度共性指标框架")
    indicator = FrameworkIndicator(fiscal_year_id=fiscal_year.id, **data.model_dump())
    repository.add_all(session, [indicator])
    _flush_and_record(session, actor, indicator, "created", before=None)
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
    _check_update(indicator, data)
    if data.name is not None and repository.framework_name_taken(
        session, fiscal_year.id, data.name, except_id=indicator.id
    ):
        raise _name_taken(data.name, f"The {year} framework", f"{year} 年度共性指标框架")
    before = _snapshot(indicator)
    _apply(indicator, data)
    _flush_and_record(session, actor, indicator, "updated", before=before)
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
    return _set_active(session, actor, indicator, active, expected_version)


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


# Department libraries


def _library_read(indicator: LibraryIndicator, organisation: Organisation) -> LibraryIndicatorRead:
    fields = {
        name: getattr(indicator, name)
        for name in LibraryIndicatorRead.model_fields
        if name != "organisation"
    }
    return LibraryIndicatorRead.model_validate({**fields, "organisation": organisation})


def _library_indicator(
    session: Session, actor: Actor, indicator_id: int, *, write: bool = False
) -> LibraryIndicator:
    indicator = repository.get_library(session, actor, indicator_id)
    if indicator is None:
        raise not_found("Library indicator", "部门指标")
    if (
        write
        and actor.scope_path is not None
        and not _owner_of(session, indicator).path.startswith(actor.scope_path)
    ):
        raise Forbidden(
            "LIBRARY_INDICATOR_NOT_OWN",
            "A parent organisation's indicators can be reused, not changed.",
            "上级机构的指标可以引用，但不能修改。",
        )
    return indicator


def _owner_of(session: Session, indicator: LibraryIndicator) -> Organisation:
    return repository.organisations_by_id(session, [indicator.organisation_id])[
        indicator.organisation_id
    ]


def read_library_indicator(
    session: Session, actor: Actor, indicator_id: int
) -> LibraryIndicatorRead:
    indicator = _library_indicator(session, actor, indicator_id)
    return _library_read(indicator, _owner_of(session, indicator))


def list_library_indicators(
    session: Session, actor: Actor, filters: LibraryIndicatorFilter
) -> Page[LibraryIndicatorRead]:
    rows, total = repository.list_library_page(session, actor, filters)
    owners = repository.organisations_by_id(session, (row.organisation_id for row in rows))
    return Page[LibraryIndicatorRead](
        items=[_library_read(row, owners[row.organisation_id]) for row in rows],
        total=total,
        limit=filters.limit,
        offset=filters.offset,
    )


def create_library_indicator(
    session: Session, actor: Actor, data: LibraryIndicatorCreate
) -> LibraryIndicatorRead:
    organisation = org_service.visible_by_id(session, actor, [data.organisation_id]).get(
        data.organisation_id
    )
    check_library_indicator(
        data,
        organisation,
        name_taken=repository.library_name_taken(session, data.organisation_id, data.name),
    )
    assert organisation is not None
    indicator = LibraryIndicator(**data.model_dump(), created_by_id=actor.user_id)
    repository.add_all(session, [indicator])
    _flush_and_record(session, actor, indicator, "created", before=None)
    return _library_read(indicator, organisation)


def check_library_indicator(
    data: LibraryIndicatorCreate, organisation: Organisation | None, *, name_taken: bool
) -> None:
    """Every rule of adding to a library (S2.2.1), over loaded facts: an organisation the
    actor sees (None when it cannot) that is active, a well-formed indicator, a new name."""
    if organisation is None:  # outside the actor's subtree it does not exist for it (404)
        raise not_found("Organisation", "组织机构")
    if not organisation.is_active:
        raise RuleViolation(
            "ORGANISATION_UNAVAILABLE",
            "The organisation is deactivated; its library takes no new indicators.",
            "该机构已停用，其指标库不能新增指标。",
        )
    _check_shape(data.category, data.direction, data.unit, framework=False)
    if name_taken:
        raise _name_taken(data.name, "The organisation's library", "本机构指标库")


def update_library_indicator(
    session: Session,
    actor: Actor,
    indicator_id: int,
    data: LibraryIndicatorUpdate,
    expected_version: int | None,
) -> LibraryIndicatorRead:
    indicator = _library_indicator(session, actor, indicator_id, write=True)
    check_version(indicator.version, expected_version)
    _check_update(indicator, data)
    if data.name is not None and repository.library_name_taken(
        session, indicator.organisation_id, data.name, except_id=indicator.id
    ):
        raise _name_taken(data.name, "The organisation's library", "本机构指标库")
    before = _snapshot(indicator)
    _apply(indicator, data)
    if "sector" in data.model_fields_set:
        indicator.sector = data.sector
    _flush_and_record(session, actor, indicator, "updated", before=before)
    return _library_read(indicator, _owner_of(session, indicator))


def set_library_indicator_active(
    session: Session,
    actor: Actor,
    indicator_id: int,
    active: bool,
    expected_version: int | None,
) -> LibraryIndicatorRead:
    indicator = _library_indicator(session, actor, indicator_id, write=True)
    _set_active(session, actor, indicator, active, expected_version)
    return _library_read(indicator, _owner_of(session, indicator))


def library_by_id(session: Session, ids: list[int]) -> dict[int, LibraryIndicator]:
    """For other stages: library indicators by id, whatever their owner or state."""
    return repository.by_id(session, LibraryIndicator, ids)


def framework_by_id(session: Session, ids: list[int]) -> dict[int, FrameworkIndicator]:
    """For other stages: framework indicators by id, whatever their year or state."""
    return repository.by_id(session, FrameworkIndicator, ids)


def framework_in_force(session: Session, fiscal_year_id: int) -> list[FrameworkIndicator]:
    """For other stages: the year's active common indicators, in §3 order (S2.2.1)."""
    return repository.active_framework(session, fiscal_year_id)


def known_indicator_names(
    session: Session, fiscal_year_id: int, organisation_path: str
) -> set[str]:
    """Active framework names of the year and active library names of the owner and its
    ancestors (path "/4/5/"): what the filing check "outside the framework and library"
    (S2.2.1) accepts."""
    organisation_ids = [int(part) for part in organisation_path.strip("/").split("/") if part]
    return repository.known_names(session, fiscal_year_id, organisation_ids)
