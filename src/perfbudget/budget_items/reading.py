"""Reading budget items: each with its owner, its targets' summary and the state of its
gates, read from ``repository.rows``/``list_page`` in a fixed number of statements."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import TypeAdapter
from sqlalchemy import Row
from sqlalchemy.orm import Session

from perfbudget.assessments.models import AssessmentConclusion, AssessmentStatus
from perfbudget.budget_items import gates, repository
from perfbudget.budget_items.access import get_item
from perfbudget.budget_items.models import BudgetItem
from perfbudget.budget_items.schemas import BudgetItemFilter, BudgetItemRead, ItemEventRead
from perfbudget.pagination import ListQuery, Page, page_of
from perfbudget.payments.models import HoldKind
from perfbudget.principal import Actor


class _Hold(NamedTuple):
    kind: HoldKind
    reason: str


class _Standing(NamedTuple):
    status: AssessmentStatus
    assessor_role: str
    final_conclusion: AssessmentConclusion | None


def context_of(row: Row[Any]) -> gates.GateContext:
    """What the gates read, from a row of ``repository.rows``/``list_page``."""
    graded = row.predecessor_grade is not None
    return gates.GateContext(
        item=row,
        targets_approved=row.targets_in_force is not None,
        assessment=None
        if row.assessment_status is None
        else _Standing(
            row.assessment_status, row.assessment_assessor_role, row.assessment_final_conclusion
        ),
        active_holds=tuple(
            _Hold(kind, reason)
            for kind, reason in (
                (HoldKind.suspend, row.suspension_reason),
                (HoldKind.stop, row.stop_reason),
            )
            if reason is not None
        ),
        predecessor_grade=row.predecessor_grade,
        predecessor_approved=row.predecessor_approved if graded else None,
        rectification_plan_on_file=bool(row.predecessor_plan_on_file) if graded else False,
    )


def gate_context(session: Session, item: BudgetItem) -> gates.GateContext:
    return context_of(repository.rows(session, [item.id])[0])


_FIELDS = tuple(BudgetItemRead.model_fields)  # in the order the model writes them
_MONEY = ("requested_amount", "approved_amount")


def _yuan(value: Decimal | None) -> str | None:
    """Money as the contract writes it (``schemas.Money``): two decimals."""
    return None if value is None else f"{value:.2f}"


def _targets(row: Row[Any]) -> dict[str, Any] | None:
    """``TargetSummary`` as plain data: the current version of the item's targets."""
    if row.targets_number is None:
        return None
    return {
        "number": row.targets_number,
        "status": row.targets_status,
        "line_count": row.targets_lines,
        "total_weight": _yuan(Decimal(row.targets_weight_hundredths).scaleb(-2)),
        "approved_number": row.targets_in_force,
    }


def _representation(row: Row[Any]) -> dict[str, Any]:
    context = context_of(row)
    results = gates.evaluate(context)
    fields = row._mapping
    computed: dict[str, Any] = {
        "organisation": {
            "id": row.organisation_id,
            "code": row.organisation_code,
            "name_zh": row.organisation_name_zh,
        },
        "targets": _targets(row),
        "gates": {
            "passed": not gates.blocking_failures(results),
            "blocking": [g.code for g in results if g.blocking and not g.satisfied],
            "warnings": [g.code for g in results if not g.blocking and not g.satisfied],
        },
        "predecessor_grade": context.predecessor_grade,
    }
    # every field in the model's order: the JSON is written as the dict stands
    data: dict[str, Any] = {name: computed.get(name, fields.get(name)) for name in _FIELDS}
    for name in _MONEY:
        data[name] = _yuan(data[name])
    return data


def _representations(rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    """``BudgetItemRead`` as plain data, from rows of ``repository.rows``/``list_page``: the
    model's fields and no others, in values its JSON would carry (money as text), so that a
    page is validated once (``read_items``) or not at all (``list_items``: written as is by
    ``answers.json_answer``, tested equal to the model's JSON)."""
    return [_representation(row) for row in rows]


_ITEMS = TypeAdapter(list[BudgetItemRead])


def read_items(session: Session, items: Sequence[BudgetItem]) -> list[BudgetItemRead]:
    """The representation of items the caller already holds (as written, after a flush)."""
    rows = repository.rows(session, [item.id for item in items])
    return _ITEMS.validate_python(_representations(rows))


def read_back(session: Session, item: BudgetItem) -> BudgetItemRead:
    """The answer to a write: the item as it now stands."""
    return read_items(session, [item])[0]


def read_item(session: Session, actor: Actor, item_id: int) -> BudgetItemRead:
    return read_back(session, get_item(session, actor, item_id))


def list_items_data(session: Session, actor: Actor, filters: BudgetItemFilter) -> dict[str, Any]:
    """A page of items: the data of a ``Page[BudgetItemRead]``, as plain values."""
    rows, total = repository.list_page(session, actor, filters)
    return {
        "items": _representations(rows),
        "total": total,
        "limit": filters.limit,
        "offset": filters.offset,
    }


def list_items(session: Session, actor: Actor, filters: BudgetItemFilter) -> Page[BudgetItemRead]:
    return Page[BudgetItemRead].model_validate(list_items_data(session, actor, filters))


def history(session: Session, actor: Actor, item_id: int, page: ListQuery) -> Page[ItemEventRead]:
    get_item(session, actor, item_id)
    rows, total = repository.events_page(session, item_id, limit=page.limit, offset=page.offset)
    return page_of(ItemEventRead, rows, total, page)
