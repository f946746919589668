"""List conventions: limit/offset, {items, total, limit, offset}, and ``sort``."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar, TypeVarTuple

from pydantic import BaseModel, Field, GetCoreSchemaHandler
from pydantic.fields import FieldInfo
from pydantic_core import CoreSchema, core_schema
from sqlalchemy import ColumnElement, Row, Select, case, func, select
from sqlalchemy.orm import Session

from perfbudget.schemas import Count, RequestModel

MAX_LIMIT = 100
T = TypeVar("T")
S = TypeVar("S", bound=BaseModel)
Ts = TypeVarTuple("Ts")


class ListQuery(RequestModel):
    """Query string of a list endpoint; unknown parameters are refused (a typo is not a filter)."""

    limit: int = Field(default=20, ge=1, le=MAX_LIMIT, description="Page size (at most 100)")
    offset: Count = Field(default=0, ge=0, description="Rows to skip")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class _OneOf:
    """Validates a value as one of ``choices``; the contract lists them as the enum."""

    choices: tuple[str, ...]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.literal_schema(list(self.choices))


def sort_field(*names: str, default: str) -> Any:
    """A list query's ``sort``: ``name`` ascending or ``-name`` descending, for one of
    ``names``; anything else is a 422. The repository maps the names with ``sort_order``."""
    choices = tuple(choice for name in names for choice in (name, f"-{name}"))
    if default not in choices:
        raise ValueError(f"default sort {default!r} is not one of {choices}")
    info = FieldInfo(
        default=default,
        description=(
            f"Order of the list: `field` ascending, `-field` descending; default `{default}`."
            " Rows that tie are ordered by id in the same direction."
        ),
    )
    info.metadata.append(_OneOf(choices))
    return info


def sort_order(sort: str, columns: Mapping[str, Any], tiebreak: Any) -> list[Any]:
    """``sort`` as ORDER BY terms: the named column(s), then ``tiebreak`` (the id) so that
    pages never overlap. Nulls come last ascending and first descending, as PostgreSQL
    orders them by default (its indexes serve both), on SQLite too."""
    descending = sort.startswith("-")
    named = columns[sort.removeprefix("-")]
    terms = list(named) if isinstance(named, tuple) else [named]
    if not any(term is tiebreak for term in terms):
        terms.append(tiebreak)
    if descending:
        return [term.desc().nulls_first() for term in terms]
    return [term.asc().nulls_last() for term in terms]


def declared_order(column: Any, members: Iterable[Enum]) -> ColumnElement[int]:
    """An enum column sorted as its members are declared (the workflow's or the scale's
    order), not alphabetically."""
    return case({member: rank for rank, member in enumerate(members)}, value=column)


def fetch_page(
    session: Session,
    query: Select[Any],
    order_by: Sequence[Any],
    *,
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    """Two statements whatever the page: the count, and the rows in a stable order."""
    total = count_of(session, query)
    rows = session.scalars(query.order_by(*order_by).limit(limit).offset(offset))
    return list(rows), total


def fetch_page_rows(
    session: Session,
    query: Select[*Ts],
    order_by: Sequence[Any],
    *,
    limit: int,
    offset: int,
) -> tuple[list[Row[*Ts]], int]:
    """``fetch_page`` for a query of several columns or entities: each row a tuple."""
    total = count_of(session, query)
    rows = session.execute(query.order_by(*order_by).limit(limit).offset(offset))
    return list(rows), total


def count_of(session: Session, query: Select[*tuple[Any, ...]]) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def page_of(schema: type[S], rows: Iterable[object], total: int, query: ListQuery) -> Page[S]:
    return Page[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(row) for row in rows],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )
