"""Public disclosure (S4.4), the public side: what the public reads are the current
snapshots, never the live records. Finance publishes through ``publishing``; the CSV open
data is ``open_data``."""

import json
from typing import Any

from sqlalchemy.orm import Session

from perfbudget.disclosure import repository
from perfbudget.disclosure.models import PublicationKind
from perfbudget.disclosure.publishing import publish, publish_circular
from perfbudget.disclosure.schemas import PublicOrganisation
from perfbudget.errors import not_found
from perfbudget.fiscal_years import repository as fiscal_year_repository
from perfbudget.pagination import ListQuery, Page

# ``publish`` and ``publish_circular`` live in ``publishing``; other stages call them here
__all__ = [
    "public_circular",
    "public_contents",
    "public_json",
    "public_organisations",
    "public_publication",
    "publish",
    "publish_circular",
]


def public_organisations(session: Session, query: ListQuery) -> Page[PublicOrganisation]:
    rows, total = repository.active_organisations(session, limit=query.limit, offset=query.offset)
    items = [
        PublicOrganisation(
            code=organisation.code,
            name=organisation.name_zh,
            kind=organisation.kind,
            parent_code=parent_code,
        )
        for organisation, parent_code in rows
    ]
    return Page[PublicOrganisation](
        items=items, total=total, limit=query.limit, offset=query.offset
    )


def public_contents(
    session: Session, year: int, kind: PublicationKind, organisation_code: str | None = None
) -> list[dict[str, Any]]:
    """The current snapshots of one kind for the year; an unknown year has none."""
    fiscal_year = fiscal_year_repository.get_by_year(session, year)
    if fiscal_year is None:
        return []
    rows = repository.current_publications(session, fiscal_year.id, kind, organisation_code)
    return [row.content for row in rows]


def public_circular(session: Session, year: int) -> dict[str, Any]:
    contents = public_contents(session, year, PublicationKind.circular)
    if not contents:
        raise not_found("Published circular", "已公开的考核通报")
    return contents[-1]


def public_publication(session: Session, public_id: str) -> dict[str, Any]:
    publication = repository.current_by_public_id(session, public_id)
    if publication is None:
        raise not_found("Publication", "公开信息")
    return publication.content


def public_json(payload: Any) -> bytes:
    """One serialisation for every public answer, so equal content gives an equal ETag."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
