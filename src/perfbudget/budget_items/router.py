from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from perfbudget.answers import json_answer
from perfbudget.api.conditional import ETAG_RESPONSES, IfMatch, ReadETag, WriteETag
from perfbudget.api.downloads import send
from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.budget_items import service
from perfbudget.budget_items.schemas import (
    BudgetDecisionRequest,
    BudgetItemCreate,
    BudgetItemRead,
    BudgetItemUpdate,
    GatesRead,
    ItemAction,
    ItemEventRead,
    ReturnRequest,
    ReviewDecision,
)
from perfbudget.db import SessionDep
from perfbudget.integration import exports
from perfbudget.pagination import ListQuery, Page
from perfbudget.principal import Actor
from perfbudget.schemas import RowId
from perfbudget.versioning import expected_version

router = APIRouter(prefix="/api/v1/budget-items", tags=["budget-items"])
Reader = Annotated[Actor, Allowed(Permission.item_read)]
Preparer = Annotated[Actor, Allowed(Permission.item_write)]


@router.get(
    "",
    operation_id="list_budget_items",
    response_model=Page[BudgetItemRead],
    responses=exports.EXPORT_RESPONSES,
)
def list_budget_items(
    session: SessionDep,
    actor: Reader,
    filters: Annotated[exports.BudgetItemExportQuery, Query()],
) -> Page[BudgetItemRead] | Response:
    """List budget items with their target summary and gate state."""
    if filters.format != "json":
        return send(exports.budget_items(session, actor, filters, filters.format))
    return json_answer(service.list_items_data(session, actor, filters))


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="create_budget_item")
def create_budget_item(
    session: SessionDep, actor: Preparer, body: BudgetItemCreate, etag: WriteETag
) -> BudgetItemRead:
    """Start a budget request (a draft) for a project, policy or department budget."""
    return etag(service.create_item(session, actor, body))


@router.get("/{item_id}", operation_id="get_budget_item", responses=ETAG_RESPONSES)
def get_budget_item(
    session: SessionDep, actor: Reader, item_id: RowId, etag: ReadETag
) -> BudgetItemRead:
    """Read one budget item with its target summary and gate state."""
    return etag(service.read_item(session, actor, item_id))


@router.patch("/{item_id}", operation_id="update_budget_item")
def update_budget_item(
    session: SessionDep,
    actor: Preparer,
    item_id: RowId,
    body: BudgetItemUpdate,
    if_match: IfMatch,
    etag: WriteETag,
) -> BudgetItemRead:
    """Edit a draft or returned item."""
    return etag(
        service.update_item(session, actor, item_id, body, expected_version(body.version, if_match))
    )


@router.post("/{item_id}/submit", operation_id="submit_budget_item")
def submit_budget_item(
    session: SessionDep,
    actor: Preparer,
    item_id: RowId,
    body: ItemAction,
    if_match: IfMatch,
    etag: WriteETag,
) -> BudgetItemRead:
    """Submit the request with its targets (to the parent department first for a unit)."""
    return etag(
        service.submit_item(session, actor, item_id, expected_version(body.version, if_match))
    )


@router.post("/{item_id}/department-review", operation_id="review_budget_item_as_department")
def review_budget_item_as_department(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.item_department_review)],
    item_id: RowId,
    body: ReviewDecision,
    if_match: IfMatch,
    etag: WriteETag,
) -> BudgetItemRead:
    """The parent department approves a unit's request to finance, or returns it (S3)."""
    return etag(
        service.department_review(
            session, actor, item_id, body, expected_version(body.version, if_match)
        )
    )


@router.post("/{item_id}/return", operation_id="return_budget_item")
def return_budget_item(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.item_finance_review)],
    item_id: RowId,
    body: ReturnRequest,
    if_match: IfMatch,
    etag: WriteETag,
) -> BudgetItemRead:
    """Finance returns the request for changes, with reasons."""
    return etag(
        service.return_item(session, actor, item_id, body, expected_version(body.version, if_match))
    )


@router.get("/{item_id}/gates", operation_id="get_budget_item_gates")
def get_budget_item_gates(session: SessionDep, actor: Reader, item_id: RowId) -> GatesRead:
    """Every rule between this item and its money: satisfied or not, and why."""
    return service.item_gates(session, actor, item_id)


@router.post("/{item_id}/decision", operation_id="decide_budget_item")
def decide_budget_item(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.item_decide)],
    item_id: RowId,
    body: BudgetDecisionRequest,
    if_match: IfMatch,
    etag: WriteETag,
) -> BudgetItemRead:
    """Fund (with the approved amount) or reject; refused while a gate is unsatisfied."""
    return etag(
        service.decide(session, actor, item_id, body, expected_version(body.version, if_match))
    )


@router.get("/{item_id}/history", operation_id="get_budget_item_history")
def get_budget_item_history(
    session: SessionDep, actor: Reader, item_id: RowId, page: Annotated[ListQuery, Query()]
) -> Page[ItemEventRead]:
    """The item's transitions, oldest first: who moved it, when, and why."""
    return service.history(session, actor, item_id, page)
