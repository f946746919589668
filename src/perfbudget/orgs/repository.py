"""Organisation queries; a department user's queries only ever see its subtree."""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ScalarSelect, Select, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from perfbudget.orgs.models import Organisation
from perfbudget.orgs.schemas import OrganisationFilter
from perfbudget.pagination import fetch_page, sort_order
from perfbudget.principal import Actor

Query = TypeVar("Query", bound=Select[Any])


def scoped(query: Query, actor: Actor) -> Query:
    if actor.scope_path is not None:
        query = query.where(Organisation.path.startswith(actor.scope_path, autoescape=True))
    return query


def get(session: Session, actor: Actor, org_id: int) -> Organisation | None:
    return session.scalars(
        scoped(select(Organisation), actor).where(Organisation.id == org_id)
    ).first()


def visible_by_id(
    session: Session, actor: Actor, org_ids: Sequence[int]
) -> dict[int, Organisation]:
    """The organisations among ``org_ids`` the actor may see, in one statement."""
    if not org_ids:
        return {}
    rows = session.scalars(scoped(select(Organisation), actor).where(Organisation.id.in_(org_ids)))
    return {row.id: row for row in rows}


def get_unscoped(session: Session, org_id: int) -> Organisation | None:
    return session.get(Organisation, org_id)


def get_by_code(session: Session, code: str) -> Organisation | None:
    return session.scalars(select(Organisation).where(Organisation.code == code)).first()


def code_of(organisation_id: Any) -> ScalarSelect[str]:
    """The code of the organisation a row names, as a correlated subquery: to sort rows by
    their owner without joining it."""
    owner = aliased(Organisation)
    return select(owner.code).where(owner.id == organisation_id).scalar_subquery()


_SORTS = {
    "id": Organisation.id,
    "code": Organisation.code,
    "name_zh": Organisation.name_zh,
    "kind": Organisation.kind,
    "created_at": Organisation.created_at,
    "updated_at": Organisation.updated_at,
}


def list_page(
    session: Session,
    actor: Actor,
    filters: OrganisationFilter,
    *,
    limit: int,
    offset: int,
) -> tuple[list[Organisation], int]:
    query = scoped(select(Organisation), actor)
    if filters.parent_id is not None:
        query = query.where(Organisation.parent_id == filters.parent_id)
    if filters.kind is not None:
        query = query.where(Organisation.kind == filters.kind)
    if filters.active is not None:
        query = query.where(Organisation.is_active == filters.active)
    if search := filters.search:
        query = query.where(
            or_(
                Organisation.code.contains(search, autoescape=True),
                Organisation.name_zh.contains(search, autoescape=True),
            )
        )
    order = sort_order(filters.sort, _SORTS, Organisation.id)
    return fetch_page(session, query, order, limit=limit, offset=offset)


def count_active_children(session: Session, org_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Organisation)
            .where(Organisation.parent_id == org_id, Organisation.is_active.is_(True))
        )
        or 0
    )


def move_subtree(session: Session, old_prefix: str, new_prefix: str) -> None:
    """Rewrite the paths of every descendant when an organisation changes parent."""
    session.execute(
        update(Organisation)
        .where(
            Organisation.path.startswith(old_prefix, autoescape=True),
            Organisation.path != old_prefix,
        )
        .values(
            path=new_prefix + func.substr(Organisation.path, len(old_prefix) + 1),
            version=Organisation.version + 1,
        )
        .execution_options(synchronize_session="fetch")
    )


def set_path(session: Session, org: Organisation, path: str) -> None:
    """Set the path of a new row (its id is known only after insert) without a version bump."""
    session.execute(
        update(Organisation)
        .where(Organisation.id == org.id)
        .values(path=path)
        .execution_options(synchronize_session="fetch")
    )


def count_active_users(session: Session, org_id: int) -> int:
    from perfbudget.users.models import User

    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.organisation_id == org_id, User.is_active.is_(True))
        )
        or 0
    )
