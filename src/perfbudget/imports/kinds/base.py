"""What an upload kind is: its columns, and how its rows are checked and written.

A set-based kind hands its rows to a stage's batch module (``perfbudget.bulk``): the facts
of the whole upload are loaded in a fixed number of statements and every row is checked by
the rules the single-object endpoint applies, before anything is written. A per-row kind
(organisations, users: small uploads, run by an administrator) calls the single-object
service for each row inside one write transaction.
"""

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from perfbudget.auth.policy import Permission
from perfbudget.bulk import Batch
from perfbudget.enums import LabeledEnum
from perfbudget.errors import DomainError, Unprocessable
from perfbudget.imports.schemas import RowError
from perfbudget.principal import Actor

MAX_ERRORS = 1000
Row = tuple[int, Any]  # (the row's number in the file, its validated row model)
K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class ImportKind(StrEnum):
    disbursements = "disbursements"
    monitoring_reports = "monitoring-reports"
    indicator_library = "indicator-library"
    organisations = "organisations"
    users = "users"
    budget_items = "budget-items"
    target_lines = "target-lines"
    self_evaluation_actuals = "self-evaluation-actuals"


@dataclass(frozen=True)
class Column:
    field: str
    zh: str
    example: Any
    required: bool = False
    choices: type[LabeledEnum] | None = None
    boolean: bool = False


@dataclass(frozen=True)
class Options:
    submit: bool = False


class RowErrors:
    """Every bad row is counted; the first MAX_ERRORS are listed."""

    def __init__(self, columns: dict[str, Column], codes: dict[str, str]) -> None:
        self.columns = columns
        # which column an error of this code points at; "" for the row as a whole
        self.codes = codes
        self.listed: list[RowError] = []
        self.count = 0

    def add(self, row: int, column: str, code: str, zh: str, en: str) -> None:
        self.count += 1
        if len(self.listed) < MAX_ERRORS:
            header = self.columns[column].zh if column in self.columns else ""
            self.listed.append(
                RowError(
                    row=row,
                    column=column,
                    column_zh=header,
                    code=code,
                    message_zh=zh,
                    message_en=en,
                )
            )

    def invalid(self, row: int, error: ValidationError) -> None:
        for detail in error.errors():
            column = str(detail["loc"][0]) if detail["loc"] else ""
            if detail["type"] == "missing":
                self.add(row, column, "FIELD_REQUIRED", "必填项未填写。", "This field is required.")
            elif detail["type"] == "extra_forbidden":
                self.add(
                    row, column, "FIELD_UNKNOWN", f"未知列：{column}。", f"Unknown column {column}."
                )
            else:
                self.add(row, column, "FIELD_INVALID", f"取值无效：{detail['msg']}", detail["msg"])

    def refuse(self, rows: Sequence[Row], error: DomainError) -> None:
        """A refusal of the object these rows form: on the rows of the lines it names,
        else on every row, in the column its code is about."""
        named = error.extra.get("target_line_ids")
        if named:
            rows = [r for r in rows if getattr(r[1], "target_line_id", None) in named] or rows
        for number, _ in rows:
            self.add(number, self.codes.get(error.code, ""), error.code, error.zh, error.en)

    def refusals(self, units: Mapping[Any, list[Row]], batch: Batch[Any]) -> None:
        for key, error in batch.refusals.items():
            self.refuse(units[key], error)


class Created(Protocol):
    @property
    def id(self) -> int: ...


@dataclass(frozen=True)
class Requests:
    """An upload's rows as the requests a stage's batch takes: each entry has a ``key``,
    and ``units`` gives the rows of each key (one row, or the lines of one object)."""

    units: Mapping[Any, list[Row]]
    entries: Sequence[Any]


# requests(rows, options, errors): read once, without the database
Build = Callable[[Sequence[Row], Options, RowErrors], Requests]
# plan(session, actor, entries, options, lock): the stage's batch, checked against the facts
Check = Callable[[Session, Actor, Sequence[Any], Options, bool], Batch[Any]]
# per row: apply(session, actor, row) through the single-object service
Apply = Callable[[Session, Actor, Any], Created]


@dataclass(frozen=True)
class Kind:
    name: ImportKind
    title_zh: str
    permission: Permission
    row_model: type[BaseModel]
    columns: tuple[Column, ...]
    codes: dict[str, str]
    requests: Build | None = None
    check: Check | None = None
    apply: Apply | None = None
    # the audit trail's entity of what a per-row kind creates
    entity: str = ""
    prepare: Callable[[Any], Any] | None = field(default=None)

    def aliases(self) -> dict[str, str]:
        """Header → field: the template's Chinese header or the API field name."""
        return {c.zh: c.field for c in self.columns} | {c.field: c.field for c in self.columns}

    def by_field(self) -> dict[str, Column]:
        return {c.field: c for c in self.columns}

    @cached_property
    def spelled(self) -> dict[str, dict[str, Any]]:
        """Field → what a person may type for a value (an enum's Chinese label, 是/否)."""
        spellings: dict[str, dict[str, Any]] = {}
        for column in self.columns:
            if column.choices is not None:
                spellings[column.field] = {m.label_zh: m.value for m in column.choices}
            if column.boolean:
                spellings[column.field] = {"是": True, "否": False}
        return spellings

    def errors(self) -> RowErrors:
        return RowErrors(self.by_field(), self.codes)


def normalise(kind: Kind, raw: dict[str, Any]) -> dict[str, Any]:
    """Blank cells are absent; enum labels (中文) become values; 是/否 become booleans."""
    spelled = kind.spelled
    result: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, str):
            value = value.strip()
            if not value:
                continue
            spellings = spelled.get(name)
            if spellings is not None:
                value = spellings.get(value, value)
        elif value is None:
            continue
        result[name] = value
    return result


def grouped(
    rows: Iterable[Row],
    key: Callable[[Any], K],
    shared: Sequence[str],
    errors: RowErrors,
) -> dict[K, list[Row]]:
    """Rows with the same ``key`` form one object (a report's lines, a target set's lines);
    the object's own ``shared`` fields are given once, or the same way on every row."""
    groups: dict[K, list[Row]] = {}
    for number, row in rows:
        groups.setdefault(key(row), []).append((number, row))
    agreeing = {}
    for group_key, members in groups.items():
        try:
            _require_agreement(members, shared)
        except DomainError as error:
            errors.refuse(members, error)
        else:
            agreeing[group_key] = members
    return agreeing


def _require_agreement(members: Sequence[Row], names: Sequence[str]) -> None:
    first = members[0][1]
    for number, row in members[1:]:
        for name in names:
            if name in row.model_fields_set and getattr(row, name) != getattr(first, name):
                raise Unprocessable(
                    "IMPORT_GROUP_INCONSISTENT",
                    f"Row {number} gives another {name} than the other rows of its object.",
                    f"第 {number} 行的 {name} 与同一对象的其他行不一致。",
                )


def by_item(row: Any) -> int:
    """The key of kinds whose rows are the lines of one item's object."""
    return int(row.item_id)


def per_row(rows: Sequence[Row], entry: Callable[[int, Any], Any]) -> Requests:
    """Kinds whose rows are each one object: the row's number is its key."""
    return Requests(
        {number: [(number, row)] for number, row in rows},
        [entry(number, row) for number, row in rows],
    )


def per_object(
    rows: Sequence[Row],
    errors: RowErrors,
    *,
    key: Callable[[Any], K],
    shared: Sequence[str],
    build: Callable[[list[Any]], T],
    entry: Callable[[K, T], Any],
) -> Requests:
    """Kinds whose rows are the lines of one object (rows with the same ``key``): each
    object's request as the single endpoint takes it. An object whose rows disagree on its
    ``shared`` fields, or do not make a valid request, is named on each of its rows."""
    units = grouped(rows, key, shared, errors)
    entries = []
    for unit_key, members in units.items():
        try:
            entries.append(entry(unit_key, build([row for _, row in members])))
        except ValidationError as error:
            for number, _ in members:
                errors.invalid(number, error)
        except DomainError as error:
            errors.refuse(members, error)
    return Requests(units, entries)
