"""What an upload kind is: its columns, and how its rows become calls of the service
that the single-object endpoint calls, with the uploader's Actor and permission."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from perfbudget.auth.policy import Permission
from perfbudget.auth.principal import Actor
from perfbudget.enums import LabeledEnum
from perfbudget.errors import DomainError, Unprocessable


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


@dataclass
class Unit:
    """One call of a service: a row, or the rows that together form one object."""

    rows: list[tuple[int, BaseModel]]
    apply: Callable[[Session, Actor], None]
    # which column an error of this code points at; "" for the row as a whole
    columns: dict[str, str] = field(default_factory=dict)

    def locate(self, error: DomainError) -> list[tuple[int, str]]:
        """The rows an error is about: those of the lines it names, else every row."""
        rows = self.rows
        named = error.extra.get("target_line_ids")
        if named:
            rows = [(n, row) for n, row in rows if getattr(row, "target_line_id", None) in named]
        return [(number, self.columns.get(error.code, "")) for number, _ in rows or self.rows]


@dataclass(frozen=True)
class Kind:
    name: ImportKind
    title_zh: str
    permission: Permission
    row_model: type[BaseModel]
    columns: tuple[Column, ...]
    units: Callable[[Sequence[tuple[int, Any]], Options], Iterable[Unit]]

    def aliases(self) -> dict[str, str]:
        """Header → field: the template's Chinese header or the API field name."""
        return {c.zh: c.field for c in self.columns} | {c.field: c.field for c in self.columns}

    def by_field(self) -> dict[str, Column]:
        return {c.field: c for c in self.columns}


def normalise(kind: Kind, raw: dict[str, Any]) -> dict[str, Any]:
    """Blank cells are absent; enum labels (中文) become values; 是/否 become booleans."""
    columns = kind.by_field()
    result: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        column = columns.get(name)
        if column is not None and isinstance(value, str):
            value = value.strip()
            if column.choices is not None:
                labels = {member.label_zh: member.value for member in column.choices}
                value = labels.get(value, value)
            if column.boolean:
                value = {"是": True, "否": False}.get(value, value)
        result[name] = value
    return result


def one_call_per_row(
    call: Callable[[Session, Actor, Any], object], columns: dict[str, str]
) -> Callable[[Sequence[tuple[int, Any]], Options], Iterable[Unit]]:
    """Kinds whose rows are each one object: the service is called once per row."""

    def units(rows: Sequence[tuple[int, Any]], options: Options) -> Iterable[Unit]:
        for number, row in rows:

            def apply(session: Session, actor: Actor, row: Any = row) -> None:
                call(session, actor, row)

            yield Unit([(number, row)], apply, columns)

    return units


def one_call_per_group(
    key: Callable[[Any], tuple[int, ...]],
    shared: Sequence[str],
    call: Callable[[Session, Actor, tuple[int, ...], list[Any], Options], object],
    columns: dict[str, str],
) -> Callable[[Sequence[tuple[int, Any]], Options], Iterable[Unit]]:
    """Kinds whose rows are the lines of one object (rows with the same ``key``): the
    object's own ``shared`` fields are given once, or the same way on every row."""

    def units(rows: Sequence[tuple[int, Any]], options: Options) -> Iterable[Unit]:
        groups: dict[tuple[int, ...], list[tuple[int, Any]]] = {}
        for number, row in rows:
            groups.setdefault(key(row), []).append((number, row))
        for group_key, members in groups.items():

            def apply(
                session: Session,
                actor: Actor,
                group_key: tuple[int, ...] = group_key,
                members: list[tuple[int, Any]] = members,
            ) -> None:
                _require_agreement(members, shared)
                call(session, actor, group_key, [row for _, row in members], options)

            yield Unit(list(members), apply, columns)

    return units


def _require_agreement(members: Sequence[tuple[int, BaseModel]], names: Sequence[str]) -> None:
    """Rows that form one object give its own fields once, or the same way each time."""
    first = members[0][1]
    for number, row in members[1:]:
        for name in names:
            if name in row.model_fields_set and getattr(row, name) != getattr(first, name):
                raise Unprocessable(
                    "IMPORT_GROUP_INCONSISTENT",
                    f"Row {number} gives another {name} than the other rows of its object.",
                    f"第 {number} 行的 {name} 与同一对象的其他行不一致。",
                )
