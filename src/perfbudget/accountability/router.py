from typing import Annotated

from fastapi import APIRouter, Query, status

from perfbudget.accountability import service
from perfbudget.accountability.schemas import (
    ReferralAction,
    ReferralClose,
    ReferralCreate,
    ReferralFilter,
    ReferralRead,
    ReferralUpdate,
)
from perfbudget.api.conditional import ETAG_RESPONSES, IfMatch, ReadETag, WriteETag
from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.db import SessionDep
from perfbudget.pagination import Page
from perfbudget.principal import Actor
from perfbudget.schemas import RowId
from perfbudget.versioning import expected_version

router = APIRouter(prefix="/api/v1/referrals", tags=["accountability"])
Reader = Annotated[Actor, Allowed(Permission.accountability_read)]
Writer = Annotated[Actor, Allowed(Permission.accountability_write)]


@router.post("", operation_id="create_referral", status_code=status.HTTP_201_CREATED)
def create_referral(
    session: SessionDep, actor: Writer, body: ReferralCreate, etag: WriteETag
) -> ReferralRead:
    """Record a referral to discipline inspection or an accountability request (S4.3)."""
    return etag(service.create_referral(session, actor, body))


@router.get("", operation_id="list_referrals")
def list_referrals(
    session: SessionDep, actor: Reader, filters: Annotated[ReferralFilter, Query()]
) -> Page[ReferralRead]:
    """Referrals and accountability requests, newest first (finance and oversight only)."""
    return service.list_referrals(session, filters)


@router.get("/{referral_id}", operation_id="get_referral", responses=ETAG_RESPONSES)
def get_referral(
    session: SessionDep, actor: Reader, referral_id: RowId, etag: ReadETag
) -> ReferralRead:
    """Read one referral with its items and organisations."""
    return etag(service.get_referral(session, referral_id))


@router.patch("/{referral_id}", operation_id="update_referral")
def update_referral(
    session: SessionDep,
    actor: Writer,
    referral_id: RowId,
    body: ReferralUpdate,
    if_match: IfMatch,
    etag: WriteETag,
) -> ReferralRead:
    """Edit a draft referral."""
    return etag(
        service.update_referral(
            session,
            actor,
            referral_id,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post("/{referral_id}/refer", operation_id="refer_referral")
def refer_referral(
    session: SessionDep,
    actor: Writer,
    referral_id: RowId,
    body: ReferralAction,
    if_match: IfMatch,
    etag: WriteETag,
) -> ReferralRead:
    """Send the referral: draft → referred."""
    return etag(
        service.refer(
            session,
            actor,
            referral_id,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post("/{referral_id}/close", operation_id="close_referral")
def close_referral(
    session: SessionDep,
    actor: Writer,
    referral_id: RowId,
    body: ReferralClose,
    if_match: IfMatch,
    etag: WriteETag,
) -> ReferralRead:
    """Record the outcome: referred → closed."""
    return etag(
        service.close(
            session,
            actor,
            referral_id,
            body,
            expected_version(body.version, if_match),
        )
    )
