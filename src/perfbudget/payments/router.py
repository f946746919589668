from typing import Annotated

from fastapi import APIRouter, Query, status

from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.db import SessionDep
from perfbudget.pagination import ListQuery, Page
from perfbudget.payments import service
from perfbudget.payments.schemas import (
    DisbursementCreate,
    DisbursementLedger,
    DisbursementRead,
    HoldRead,
    SpendingPlanRead,
    SpendingPlanWrite,
)
from perfbudget.principal import Actor
from perfbudget.schemas import RowId

router = APIRouter(prefix="/api/v1/budget-items", tags=["payments"])
Reader = Annotated[Actor, Allowed(Permission.item_read)]


@router.get("/{item_id}/spending-plan", operation_id="get_spending_plan")
def get_spending_plan(session: SessionDep, actor: Reader, item_id: RowId) -> SpendingPlanRead:
    """The item's monthly spending plan (cumulative); empty means m ÷ 12."""
    return service.get_plan(session, actor, item_id)


@router.put("/{item_id}/spending-plan", operation_id="set_spending_plan")
def set_spending_plan(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.item_write)],
    item_id: RowId,
    body: SpendingPlanWrite,
) -> SpendingPlanRead:
    """Set the twelve cumulative monthly amounts (at most the approved amount)."""
    return service.set_plan(session, actor, item_id, body)


@router.get("/{item_id}/disbursements", operation_id="list_disbursements")
def list_disbursements(session: SessionDep, actor: Reader, item_id: RowId) -> DisbursementLedger:
    """Payments made on the item, with approved, disbursed and remaining amounts."""
    return service.ledger(session, actor, item_id)


@router.post(
    "/{item_id}/disbursements",
    status_code=status.HTTP_201_CREATED,
    operation_id="record_disbursement",
)
def record_disbursement(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.payment_write)],
    item_id: RowId,
    body: DisbursementCreate,
) -> DisbursementRead:
    """Record a payment; refused while payments are held or stopped, or beyond the budget."""
    return DisbursementRead.model_validate(
        service.record_disbursement(session, actor, item_id, body)
    )


@router.get("/{item_id}/holds", operation_id="list_payment_holds")
def list_payment_holds(
    session: SessionDep, actor: Reader, item_id: RowId, page: Annotated[ListQuery, Query()]
) -> Page[HoldRead]:
    """Every suspension and stop on the item, active or lifted, oldest first."""
    return service.list_holds(session, actor, item_id, page)
