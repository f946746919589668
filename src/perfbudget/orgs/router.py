from typing import Annotated

from fastapi import APIRouter, Query, status

from perfbudget.api.conditional import ETAG_RESPONSES, IfMatch, ReadETag, WriteETag
from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.db import SessionDep
from perfbudget.orgs import service
from perfbudget.orgs.schemas import (
    OrganisationCreate,
    OrganisationFilter,
    OrganisationRead,
    OrganisationStatusChange,
    OrganisationUpdate,
)
from perfbudget.pagination import Page
from perfbudget.principal import Actor
from perfbudget.schemas import RowId
from perfbudget.versioning import expected_version

router = APIRouter(prefix="/api/v1/organisations", tags=["organisations"])


@router.get("", operation_id="list_organisations")
def list_organisations(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.org_read)],
    filters: Annotated[OrganisationFilter, Query()],
) -> Page[OrganisationRead]:
    """List organisations (a department user sees its own subtree)."""
    return service.list_organisations(session, actor, filters)


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="create_organisation")
def create_organisation(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.org_write)],
    body: OrganisationCreate,
    etag: WriteETag,
) -> OrganisationRead:
    """Create a department, subordinate unit, bureau or agency."""
    return etag(OrganisationRead.model_validate(service.create_organisation(session, actor, body)))


@router.get("/{org_id}", operation_id="get_organisation", responses=ETAG_RESPONSES)
def get_organisation(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.org_read)],
    org_id: RowId,
    etag: ReadETag,
) -> OrganisationRead:
    """Read one organisation."""
    return etag(OrganisationRead.model_validate(service.get_organisation(session, actor, org_id)))


@router.patch("/{org_id}", operation_id="update_organisation")
def update_organisation(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.org_write)],
    org_id: RowId,
    body: OrganisationUpdate,
    if_match: IfMatch,
    etag: WriteETag,
) -> OrganisationRead:
    """Rename an organisation or move a unit under another parent."""
    org = service.update_organisation(
        session, actor, org_id, body, expected_version(body.version, if_match)
    )
    return etag(OrganisationRead.model_validate(org))


@router.post("/{org_id}/deactivate", operation_id="deactivate_organisation")
def deactivate_organisation(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.org_write)],
    org_id: RowId,
    body: OrganisationStatusChange,
    if_match: IfMatch,
    etag: WriteETag,
) -> OrganisationRead:
    """Deactivate an organisation (organisations are never deleted)."""
    org = service.set_active(
        session, actor, org_id, False, expected_version(body.version, if_match)
    )
    return etag(OrganisationRead.model_validate(org))


@router.post("/{org_id}/activate", operation_id="activate_organisation")
def activate_organisation(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.org_write)],
    org_id: RowId,
    body: OrganisationStatusChange,
    if_match: IfMatch,
    etag: WriteETag,
) -> OrganisationRead:
    """Reactivate a deactivated organisation."""
    org = service.set_active(session, actor, org_id, True, expected_version(body.version, if_match))
    return etag(OrganisationRead.model_validate(org))
