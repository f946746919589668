"""Indicator queries. A department user's library queries only ever see its subtree."""

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from perfbudget.db import insert_many
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.indicators.models import (
    FIRST_LEVEL,
    FrameworkIndicator,
    IndicatorCategory,
    LibraryIndicator,
)
from perfbudget.indicators.schemas import (
    FrameworkIndicatorFilter,
    IndicatorFilter,
    LibraryIndicatorFilter,
)
from perfbudget.orgs.models import Organisation
from perfbudget.pagination import declared_order, fetch_page, sort_order
from perfbudget.principal import Actor

Query = TypeVar("Query", bound=Select[Any])
Indicator = TypeVar("Indicator", FrameworkIndicator, LibraryIndicator)


def _category_rank(column: InstrumentedAttribute[IndicatorCategory]) -> ColumnElement[int]:
    """§3 order (output, cost, effect, satisfaction, then the S2.2.3 aspects), not alphabetical."""
    return declared_order(column, IndicatorCategory)


def _filtered(query: Query, model: type[Indicator], filters: IndicatorFilter) -> Query:
    if filters.first_level is not None:
        level = [c for c, first in FIRST_LEVEL.items() if first is filters.first_level]
        query = query.where(model.category.in_(level))
    if filters.category is not None:
        query = query.where(model.category == filters.category)
    if filters.active is not None:
        query = query.where(model.is_active == filters.active)
    if search := filters.search:
        query = query.where(model.name.contains(search, autoescape=True))
    return query


# The common framework


def get_framework(
    session: Session, fiscal_year_id: int, indicator_id: int
) -> FrameworkIndicator | None:
    return session.scalars(
        select(FrameworkIndicator).where(
            FrameworkIndicator.id == indicator_id,
            FrameworkIndicator.fiscal_year_id == fiscal_year_id,
        )
    ).first()


def _name_taken(
    session: Session,
    model: type[Indicator],
    owner: ColumnElement[bool],
    name: str,
    except_id: int | None,
) -> bool:
    query = select(model.id).where(owner, model.name == name)
    if except_id is not None:
        query = query.where(model.id != except_id)
    return session.scalars(query.limit(1)).first() is not None


def framework_name_taken(
    session: Session, fiscal_year_id: int, name: str, *, except_id: int | None = None
) -> bool:
    owner = FrameworkIndicator.fiscal_year_id == fiscal_year_id
    return _name_taken(session, FrameworkIndicator, owner, name, except_id)


def framework_counts(session: Session, fiscal_year_id: int) -> tuple[int, int]:
    """(all indicators, active indicators) of the year, in one statement."""
    total, active = session.execute(
        select(
            func.count(FrameworkIndicator.id),
            func.count(case((FrameworkIndicator.is_active.is_(True), FrameworkIndicator.id))),
        ).where(FrameworkIndicator.fiscal_year_id == fiscal_year_id)
    ).one()
    return int(total), int(active)


def list_framework_page(
    session: Session, fiscal_year_id: int, filters: FrameworkIndicatorFilter
) -> tuple[list[FrameworkIndicator], int]:
    query = select(FrameworkIndicator).where(FrameworkIndicator.fiscal_year_id == fiscal_year_id)
    query = _filtered(query, FrameworkIndicator, filters)
    sorts = {
        "id": FrameworkIndicator.id,
        "category": _category_rank(FrameworkIndicator.category),
        "name": FrameworkIndicator.name,
        "created_at": FrameworkIndicator.created_at,
        "updated_at": FrameworkIndicator.updated_at,
    }
    order = sort_order(filters.sort, sorts, FrameworkIndicator.id)
    return fetch_page(session, query, order, limit=filters.limit, offset=filters.offset)


def nearest_year_with_framework(session: Session, before_year: int) -> FiscalYear | None:
    """The latest fiscal year before ``before_year`` that has an active framework indicator."""
    with_framework = select(FrameworkIndicator.fiscal_year_id).where(
        FrameworkIndicator.is_active.is_(True)
    )
    return session.scalars(
        select(FiscalYear)
        .where(FiscalYear.year < before_year, FiscalYear.id.in_(with_framework))
        .order_by(FiscalYear.year.desc())
        .limit(1)
    ).first()


def active_framework(session: Session, fiscal_year_id: int) -> list[FrameworkIndicator]:
    """The year's active framework indicators in §3 order (output, cost, effect, satisfaction)."""
    return list(
        session.scalars(
            select(FrameworkIndicator)
            .where(
                FrameworkIndicator.fiscal_year_id == fiscal_year_id,
                FrameworkIndicator.is_active.is_(True),
            )
            .order_by(_category_rank(FrameworkIndicator.category), FrameworkIndicator.id)
        )
    )


def add_all(session: Session, rows: Iterable[FrameworkIndicator | LibraryIndicator]) -> None:
    session.add_all(rows)


# Department libraries


def visible(query: Query, actor: Actor) -> Query:
    """A department user reads its subtree's libraries and its ancestors' (a unit reuses its
    parent department's indicators); it writes only its subtree's (see the service)."""
    if actor.scope_path is not None:
        subtree = select(Organisation.id).where(
            Organisation.path.startswith(actor.scope_path, autoescape=True)
        )
        ancestors = [int(part) for part in actor.scope_path.strip("/").split("/") if part.isdigit()]
        query = query.where(
            or_(
                LibraryIndicator.organisation_id.in_(subtree),
                LibraryIndicator.organisation_id.in_(ancestors),
            )
        )
    return query


def get_library(session: Session, actor: Actor, indicator_id: int) -> LibraryIndicator | None:
    return session.scalars(
        visible(select(LibraryIndicator), actor).where(LibraryIndicator.id == indicator_id)
    ).first()


def by_id(session: Session, model: type[Indicator], ids: Sequence[int]) -> dict[int, Indicator]:
    """Indicators of either kind by id, whatever their owner or state, in one statement."""
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}


def library_names_taken(session: Session, pairs: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which (organisation, name) pairs already name a library indicator, in one statement."""
    if not pairs:
        return set()
    rows = session.execute(
        select(LibraryIndicator.organisation_id, LibraryIndicator.name).where(
            LibraryIndicator.organisation_id.in_({org for org, _ in pairs}),
            LibraryIndicator.name.in_({name for _, name in pairs}),
        )
    )
    return {(org, name) for org, name in rows} & set(pairs)


def insert_library(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """New library indicators by one bulk statement; their ids in the order of ``rows``."""
    return insert_many(session, LibraryIndicator, rows)


def library_name_taken(
    session: Session, organisation_id: int, name: str, *, except_id: int | None = None
) -> bool:
    owner = LibraryIndicator.organisation_id == organisation_id
    return _name_taken(session, LibraryIndicator, owner, name, except_id)


def list_library_page(
    session: Session, actor: Actor, filters: LibraryIndicatorFilter
) -> tuple[list[LibraryIndicator], int]:
    query = _filtered(visible(select(LibraryIndicator), actor), LibraryIndicator, filters)
    if filters.organisation_id is not None:
        query = query.where(LibraryIndicator.organisation_id == filters.organisation_id)
    if filters.sector is not None:
        query = query.where(LibraryIndicator.sector == filters.sector)
    rank = _category_rank(LibraryIndicator.category)
    sorts = {
        "id": LibraryIndicator.id,
        "organisation_id": (LibraryIndicator.organisation_id, rank),
        "category": rank,
        "name": LibraryIndicator.name,
        "sector": LibraryIndicator.sector,
        "created_at": LibraryIndicator.created_at,
        "updated_at": LibraryIndicator.updated_at,
    }
    order = sort_order(filters.sort, sorts, LibraryIndicator.id)
    return fetch_page(session, query, order, limit=filters.limit, offset=filters.offset)


def organisations_by_id(session: Session, ids: Iterable[int]) -> dict[int, Organisation]:
    """The owners of a page of library indicators, in one statement."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(Organisation).where(Organisation.id.in_(wanted)))
    return {org.id: org for org in rows}


# For the target filing check


def known_names(session: Session, fiscal_year_id: int, organisation_ids: list[int]) -> set[str]:
    framework = select(FrameworkIndicator.name).where(
        FrameworkIndicator.fiscal_year_id == fiscal_year_id,
        FrameworkIndicator.is_active.is_(True),
    )
    library = select(LibraryIndicator.name).where(
        LibraryIndicator.organisation_id.in_(organisation_ids),
        LibraryIndicator.is_active.is_(True),
    )
    return set(session.scalars(framework.union(library)))
