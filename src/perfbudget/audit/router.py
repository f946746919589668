from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from perfbudget.audit import refusals, service
from perfbudget.audit.models import Refusal
from perfbudget.audit.schemas import (
    AuditEventFilter,
    AuditEventRead,
    ChainVerification,
    RefusalFilter,
    RefusalRead,
)
from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.db import SessionDep
from perfbudget.pagination import Page
from perfbudget.principal import Actor

router = APIRouter(prefix="/api/v1/audit-events", tags=["audit"])
Reader = Annotated[Actor, Allowed(Permission.audit_read)]


@router.get("", operation_id="list_audit_events")
def list_audit_events(
    session: SessionDep,
    actor: Reader,
    filters: Annotated[AuditEventFilter, Query()],
) -> Page[AuditEventRead]:
    """Search the audit trail, newest first."""
    return service.list_events(session, filters)


@router.get("/verify", operation_id="verify_audit_chain")
def verify_audit_chain(session: SessionDep, actor: Reader) -> ChainVerification:
    """Recompute the hash chain and name the first broken sequence number."""
    return ChainVerification(**asdict(service.verify_chain(session)))


refusals_router = APIRouter(prefix="/api/v1/refused-requests", tags=["audit"])


@refusals_router.get("", operation_id="list_refused_requests")
def list_refused_requests(
    session: SessionDep,
    actor: Reader,
    filters: Annotated[RefusalFilter, Query()],
) -> Page[RefusalRead]:
    """Search the refused writes (who, what, which code), newest first."""
    return refusals.list_refusals(session, filters)


@refusals_router.get("/verify", operation_id="verify_refusal_chain")
def verify_refusal_chain(session: SessionDep, actor: Reader) -> ChainVerification:
    """Recompute the refused writes' hash chain and name the first broken sequence number."""
    return ChainVerification(**asdict(service.verify_chain(session, Refusal)))
