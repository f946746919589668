from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from perfbudget.audit import service
from perfbudget.audit.schemas import AuditEventFilter, AuditEventRead, ChainVerification
from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.auth.principal import Actor
from perfbudget.db import SessionDep
from perfbudget.pagination import Page

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
