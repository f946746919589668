"""Shared schema bases: requests forbid unknown fields; responses read from ORM rows."""

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer


class RequestModel(BaseModel):
    # extra="forbid": status, version, created_by … cannot be mass-assigned
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class VersionedUpdate(RequestModel):
    version: int | None = Field(
        default=None, ge=1, description="The row version you read; or send If-Match"
    )


# The id of one of our rows, as a request names it: PostgreSQL's integer columns end at
# 2³¹ − 1, so anything beyond can name nothing (and would fail the query, not find nothing).
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]

# Money is NUMERIC(18,2): Decimal in, a string with two decimals out.
Money = Annotated[
    Decimal,
    Field(max_digits=18, decimal_places=2),
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="json"),
]


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


# Points (weights, scores) read as money does: two decimals.
Points = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="json"),
]
# A measured quantity (target values, actuals): as entered, without padding zeros.
Quantity = Annotated[Decimal, PlainSerializer(_plain, return_type=str, when_used="json")]
