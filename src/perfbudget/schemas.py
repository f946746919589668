"""Shared schema bases: requests forbid unknown fields; responses read from ORM rows."""

import re
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Self, get_args

from annotated_types import Ge, Le
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

# What no text we keep may hold: C0 control characters and DEL (PostgreSQL refuses NUL;
# spreadsheets refuse most of the others) and lone surrogates (they encode to no UTF-8).
# Multi-line text may hold tab, line feed and carriage return.
_NOT_IN_LINE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class _MultiLine:
    """Marks a request field whose text may span lines (``Text``)."""


MULTI_LINE = _MultiLine()


def check_text(value: str, *, multi_line: bool = False) -> str:
    """Refuse characters no stored text may hold; the one check behind every text a
    request carries (fields, query parameters, the sign-in form)."""
    if (_NOT_IN_TEXT if multi_line else _NOT_IN_LINE).search(value):
        allowed = " (tab and line breaks are allowed)" if multi_line else ""
        raise PydanticCustomError(
            "control_character",
            f"Control characters are not allowed here{allowed}.",
            {"multi_line": multi_line},  # errors.py's zh message says what is allowed
        )
    return value


def _check_nested(value: Any, multi_line: bool) -> None:
    if isinstance(value, str):
        check_text(value, multi_line=multi_line)
    elif isinstance(value, datetime) and value.tzinfo is None:
        # a time without its zone names no instant: the client says which (…Z or +08:00)
        raise PydanticCustomError(
            "timezone_aware", "A time zone is required (e.g. 2026-01-01T00:00:00+08:00)."
        )
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_nested(key, False)
            _check_nested(item, multi_line)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check_nested(item, multi_line)


def _may_hold_text(annotation: Any) -> bool:
    if annotation is str or annotation is datetime:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return False  # a nested request model checks its own
    return any(_may_hold_text(arg) for arg in get_args(annotation))


@cache
def _checked_fields(model: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """The model's fields that may hold text or a time, each with whether its text may span
    lines (declared ``Text``, ``Text | None`` included)."""
    return tuple(
        (
            name,
            MULTI_LINE in field.metadata
            or any(MULTI_LINE in get_args(arg)[1:] for arg in get_args(field.annotation)),
        )
        for name, field in model.model_fields.items()
        if _may_hold_text(field.annotation)
    )


class RequestModel(BaseModel):
    # extra="forbid": status, version, created_by … cannot be mass-assigned
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="after")
    def _plain_text_only(self) -> Self:
        """Every text (a line unless declared ``Text``) and every time of every request is
        checked here: one call per model, not per field (an upload has 10,000 rows)."""
        errors = []
        for name, multi_line in _checked_fields(type(self)):
            value = getattr(self, name)
            try:
                _check_nested(value, multi_line)
            except PydanticCustomError as error:
                errors.append(InitErrorDetails(type=error, loc=(name,), input=value))
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self


# Text that may span lines (a reason, a description); any other str of a request is a line.
Text = Annotated[str, MULTI_LINE]
LongText = Annotated[Text, Field(max_length=20000)]
# A text parameter outside a request model (a path segment).
Line = Annotated[str, AfterValidator(check_text)]


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# The id of one of our rows, as a request names it (path, query or body): PostgreSQL's
# integer columns end at 2³¹ − 1, so anything beyond can name nothing (and would fail the
# query, not find nothing). Every integer a request carries is bounded like this.
MAX_INT = 2**31 - 1
RowId = Annotated[int, Ge(1), Le(MAX_INT)]
# A count of rows to skip: bounded by the same width.
Count = Annotated[int, Ge(0), Le(MAX_INT)]
# A fiscal year as a calendar year.
Year = Annotated[int, Ge(1900), Le(9999)]


class VersionedUpdate(RequestModel):
    version: RowId | None = Field(
        default=None, description="The row version you read; or send If-Match"
    )


# A read that may answer the draft an object starts from before its first save (`saved`
# false): nothing stored yet, so no id, version or times, and the first write sends no version.
DraftId = Annotated[int | None, Field(description="Null while `saved` is false")]
DraftVersion = Annotated[
    int | None,
    Field(
        description="Send it back as `version` or If-Match to write; null while `saved` is "
        "false (the first PUT needs none)"
    ),
]
DraftTime = Annotated[datetime | None, Field(description="Null while `saved` is false")]


def _decimal_schema(pattern: str, description: str, example: str) -> WithJsonSchema:
    """A decimal in the contract, in requests and answers alike: a string (JSON numbers lose
    digits in most clients), one schema for both directions."""
    return WithJsonSchema(
        {"type": "string", "pattern": pattern, "description": description, "examples": [example]}
    )


# Money is NUMERIC(18,2): Decimal in, a string with two decimals out.
Money = Annotated[
    Decimal,
    Field(max_digits=18, decimal_places=2),
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="json"),
    _decimal_schema(
        r"^-?\d{1,16}(\.\d{1,2})?$",
        "Yuan as a decimal string; answers always carry two decimals. A JSON number is "
        "accepted in requests too; more than two decimals are refused (decimal_max_places), "
        "never rounded.",
        "1250000.00",
    ),
]


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


# Points (weights, scores) read as money does: two decimals.
Points = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="json"),
    _decimal_schema(
        r"^-?\d+(\.\d+)?$",
        "Points as a decimal string; answers carry two decimals (rounded half up). A JSON "
        "number is accepted in requests too.",
        "8.50",
    ),
]
# A measured quantity (target values, actuals): as entered, without padding zeros.
Quantity = Annotated[
    Decimal,
    PlainSerializer(_plain, return_type=str, when_used="json"),
    _decimal_schema(
        r"^-?\d+(\.\d+)?$",
        "A quantity as a decimal string, as entered (no padding zeros). A JSON number is "
        "accepted in requests too.",
        "98.5",
    ),
]
