"""List conventions: limit/offset, {items, total, limit, offset}."""

from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from perfbudget.schemas import Count, RequestModel

MAX_LIMIT = 100
T = TypeVar("T")
S = TypeVar("S", bound=BaseModel)


class ListQuery(RequestModel):
    """Query string of a list endpoint; unknown parameters are refused (a typo is not a filter)."""

    limit: int = Field(default=20, ge=1, le=MAX_LIMIT, description="Page size (at most 100)")
    offset: Count = Field(default=0, ge=0, description="Rows to skip")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def fetch_page(
    session: Session,
    query: Select[Any],
    order_by: Sequence[Any],
    *,
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    """Two statements whatever the page: the count, and the rows in a stable order."""
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(*order_by).limit(limit).offset(offset)))
    return rows, total


def page_of(schema: type[S], rows: Iterable[object], total: int, query: ListQuery) -> Page[S]:
    return Page[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(row) for row in rows],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )
