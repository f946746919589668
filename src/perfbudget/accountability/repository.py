from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from perfbudget.accountability.models import Referral, ReferralStatus
from perfbudget.accountability.schemas import ReferralFilter
from perfbudget.budget_items.models import BudgetItem
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.orgs.models import Organisation
from perfbudget.pagination import declared_order, fetch_page, sort_order


def get(session: Session, referral_id: int) -> Referral | None:
    return session.get(Referral, referral_id)


def add(session: Session, referral: Referral) -> None:
    session.add(referral)


def list_page(session: Session, filters: ReferralFilter) -> tuple[list[Referral], int]:
    query = select(Referral)
    if filters.fiscal_year is not None:
        query = query.where(
            Referral.fiscal_year_id.in_(
                select(FiscalYear.id).where(FiscalYear.year == filters.fiscal_year)
            )
        )
    for column, value in ((Referral.kind, filters.kind), (Referral.status, filters.status)):
        if value is not None:
            query = query.where(column == value)
    # by default newest first: the cases finance is working on
    sorts = {
        "id": Referral.id,
        "kind": Referral.kind,
        "status": declared_order(Referral.status, ReferralStatus),
        "title": Referral.title,
        "created_at": Referral.created_at,
        "updated_at": Referral.updated_at,
    }
    order = sort_order(filters.sort, sorts, Referral.id)
    return fetch_page(session, query, order, limit=filters.limit, offset=filters.offset)


def items(session: Session, ids: Iterable[int]) -> dict[int, BudgetItem]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(BudgetItem).where(BudgetItem.id.in_(wanted)))
    return {item.id: item for item in rows}


def organisations(session: Session, ids: Iterable[int]) -> dict[int, Organisation]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(Organisation).where(Organisation.id.in_(wanted)))
    return {org.id: org for org in rows}


def fiscal_years(session: Session, ids: Iterable[int]) -> dict[int, int]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(select(FiscalYear.id, FiscalYear.year).where(FiscalYear.id.in_(wanted)))
    return {row.id: row.year for row in rows}


def fiscal_year_id(session: Session, year: int) -> int | None:
    return session.scalar(select(FiscalYear.id).where(FiscalYear.year == year))
