from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from perfbudget.budget_items.models import BudgetItem
from perfbudget.disclosure.models import Publication, PublicationKind
from perfbudget.disclosure.schemas import PublicationFilter
from perfbudget.evaluations.models import EvaluationStatus, SelfEvaluation
from perfbudget.orgs import repository as org_repository
from perfbudget.orgs.models import Organisation
from perfbudget.pagination import fetch_page, fetch_page_rows, sort_order
from perfbudget.results.models import AssessmentStatus, Circular


def get(session: Session, publication_id: int) -> Publication | None:
    return session.get(Publication, publication_id)


def get_organisation(session: Session, organisation_id: int) -> Organisation | None:
    return session.get(Organisation, organisation_id)


def graded_evaluations(
    session: Session, fiscal_year_id: int
) -> Sequence[tuple[SelfEvaluation, BudgetItem]]:
    """Every graded self-evaluation of the year with its item (and the item's owner, joined)."""
    rows = session.execute(
        select(SelfEvaluation, BudgetItem)
        .join(BudgetItem, BudgetItem.id == SelfEvaluation.item_id)
        .where(
            SelfEvaluation.fiscal_year_id == fiscal_year_id,
            SelfEvaluation.status == EvaluationStatus.graded,
        )
        .order_by(BudgetItem.id)
    )
    return [(evaluation, item) for evaluation, item in rows]


def published_circular(session: Session, fiscal_year_id: int) -> Circular | None:
    return session.scalar(
        select(Circular).where(
            Circular.fiscal_year_id == fiscal_year_id,
            Circular.status == AssessmentStatus.published,
        )
    )


def revisions(
    session: Session, fiscal_year_id: int, kind: PublicationKind, organisation_id: int | None
) -> list[Publication]:
    """Every publication of one kind for one department (or the county) and year, oldest first."""
    owner = (
        Publication.organisation_id.is_(None)
        if organisation_id is None
        else Publication.organisation_id == organisation_id
    )
    return list(
        session.scalars(
            select(Publication)
            .where(Publication.fiscal_year_id == fiscal_year_id, Publication.kind == kind, owner)
            .order_by(Publication.id)
        )
    )


def publications_page(
    session: Session, fiscal_year_id: int, filters: PublicationFilter
) -> tuple[list[Publication], int]:
    query = select(Publication).where(Publication.fiscal_year_id == fiscal_year_id)
    if filters.kind is not None:
        query = query.where(Publication.kind == filters.kind)
    if filters.status == "current":
        query = query.where(Publication.withdrawn_at.is_(None))
    elif filters.status == "withdrawn":
        query = query.where(Publication.withdrawn_at.is_not(None))
    sorts = {
        "id": Publication.id,
        "kind": Publication.kind,
        "organisation": org_repository.code_of(Publication.organisation_id),
        "published_at": Publication.published_at,
        "withdrawn_at": Publication.withdrawn_at,
    }
    order = sort_order(filters.sort, sorts, Publication.id)
    return fetch_page(session, query, order, limit=filters.limit, offset=filters.offset)


def current_publications(
    session: Session,
    fiscal_year_id: int,
    kind: PublicationKind,
    organisation_code: str | None = None,
) -> list[Publication]:
    """What the public may see: publications of the year not withdrawn, by department code."""
    department = aliased(Organisation)
    query = (
        select(Publication)
        .outerjoin(department, department.id == Publication.organisation_id)
        .where(
            Publication.fiscal_year_id == fiscal_year_id,
            Publication.kind == kind,
            Publication.withdrawn_at.is_(None),
        )
        .order_by(department.code, Publication.id)
    )
    if organisation_code is not None:
        query = query.where(department.code == organisation_code)
    return list(session.scalars(query))


def current_by_public_id(session: Session, public_id: str) -> Publication | None:
    return session.scalar(
        select(Publication).where(
            Publication.public_id == public_id, Publication.withdrawn_at.is_(None)
        )
    )


def active_organisations(
    session: Session, *, limit: int, offset: int
) -> tuple[list[tuple[Organisation, str | None]], int]:
    """A page of the active organisations with their parents' codes, by code."""
    parent = aliased(Organisation)
    query = (
        select(Organisation, parent.code)
        .outerjoin(parent, parent.id == Organisation.parent_id)
        .where(Organisation.is_active.is_(True))
    )
    order = [Organisation.code, Organisation.id]
    rows, total = fetch_page_rows(session, query, order, limit=limit, offset=offset)
    return [(organisation, parent_code) for organisation, parent_code in rows], total
