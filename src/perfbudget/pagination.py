"""List conventions: limit/offset, {items, total, limit, offset}."""

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from perfbudget.schemas import RequestModel

MAX_LIMIT = 100
T = TypeVar("T")


class ListQuery(RequestModel):
    """Query string of a list endpoint; unknown parameters are refused (a typo is not a filter)."""

    limit: int = Field(default=20, ge=1, le=MAX_LIMIT, description="Page size (at most 100)")
    offset: int = Field(default=0, ge=0, description="Rows to skip")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
