"""The departments' indicator libraries (S2.2.1): an organisation's own indicators, which
its subtree reuses."""

from sqlalchemy.orm import Session

from perfbudget.audit import service as audit
from perfbudget.errors import Forbidden, RuleViolation, not_found
from perfbudget.indicators import repository, rules
from perfbudget.indicators.models import LibraryIndicator
from perfbudget.indicators.schemas import (
    LibraryIndicatorCreate,
    LibraryIndicatorFilter,
    LibraryIndicatorRead,
    LibraryIndicatorUpdate,
)
from perfbudget.orgs import service as org_service
from perfbudget.orgs.models import Organisation
from perfbudget.pagination import Page
from perfbudget.principal import Actor
from perfbudget.versioning import check_version


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
    audit.record_edit(session, actor, "created", indicator, None)
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
    rules.check_shape(data.category, data.direction, data.unit, framework=False)
    if name_taken:
        raise rules.name_taken(data.name, "The organisation's library", "本机构指标库")


def update_library_indicator(
    session: Session,
    actor: Actor,
    indicator_id: int,
    data: LibraryIndicatorUpdate,
    expected_version: int | None,
) -> LibraryIndicatorRead:
    indicator = _library_indicator(session, actor, indicator_id, write=True)
    check_version(indicator.version, expected_version)
    rules.check_update(indicator, data)
    if data.name is not None and repository.library_name_taken(
        session, indicator.organisation_id, data.name, except_id=indicator.id
    ):
        raise rules.name_taken(data.name, "The organisation's library", "本机构指标库")
    before = audit.state(indicator)
    rules.apply(indicator, data)
    if "sector" in data.model_fields_set:
        indicator.sector = data.sector
    audit.record_edit(session, actor, "updated", indicator, before)
    return _library_read(indicator, _owner_of(session, indicator))


def set_library_indicator_active(
    session: Session,
    actor: Actor,
    indicator_id: int,
    active: bool,
    expected_version: int | None,
) -> LibraryIndicatorRead:
    indicator = _library_indicator(session, actor, indicator_id, write=True)
    rules.set_active(session, actor, indicator, active, expected_version)
    return _library_read(indicator, _owner_of(session, indicator))
