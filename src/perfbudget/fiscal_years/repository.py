from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from perfbudget.fiscal_years.models import FiscalYear, FiscalYearStatus
from perfbudget.fiscal_years.schemas import FiscalYearFilter
from perfbudget.pagination import declared_order, fetch_page, sort_order


def get_by_year(session: Session, year: int) -> FiscalYear | None:
    return session.scalars(select(FiscalYear).where(FiscalYear.year == year)).first()


def by_years(session: Session, years: Sequence[int]) -> dict[int, FiscalYear]:
    if not years:
        return {}
    rows = session.scalars(select(FiscalYear).where(FiscalYear.year.in_(years)))
    return {row.year: row for row in rows}


def latest_before(session: Session, year: int) -> FiscalYear | None:
    return session.scalars(
        select(FiscalYear).where(FiscalYear.year < year).order_by(FiscalYear.year.desc()).limit(1)
    ).first()


_SORTS = {
    "id": FiscalYear.id,
    "year": FiscalYear.year,
    "status": declared_order(FiscalYear.status, FiscalYearStatus),
    "created_at": FiscalYear.created_at,
    "updated_at": FiscalYear.updated_at,
}


def list_page(
    session: Session, filters: FiscalYearFilter, *, limit: int, offset: int
) -> tuple[list[FiscalYear], int]:
    query = select(FiscalYear)
    if filters.status is not None:
        query = query.where(FiscalYear.status == filters.status)
    order = sort_order(filters.sort, _SORTS, FiscalYear.id)
    return fetch_page(session, query, order, limit=limit, offset=offset)
