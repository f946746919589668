from typing import Annotated

from fastapi import APIRouter, Query, status

from perfbudget.api.conditional import ETAG_RESPONSES, IfMatch, ReadETag, WriteETag
from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.db import SessionDep
from perfbudget.pagination import Page
from perfbudget.principal import Actor
from perfbudget.schemas import RowId
from perfbudget.users import service
from perfbudget.users.schemas import (
    PasswordReset,
    UserCreate,
    UserFilter,
    UserRead,
    UserUpdate,
    UserVersion,
)
from perfbudget.versioning import expected_version

router = APIRouter(prefix="/api/v1/users", tags=["users"])
Reader = Annotated[Actor, Allowed(Permission.user_read)]
Writer = Annotated[Actor, Allowed(Permission.user_write)]


@router.get("", operation_id="list_users")
def list_users(
    session: SessionDep, actor: Reader, filters: Annotated[UserFilter, Query()]
) -> Page[UserRead]:
    """List user accounts."""
    return service.list_users(session, filters)


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="create_user")
def create_user(session: SessionDep, actor: Writer, body: UserCreate, etag: WriteETag) -> UserRead:
    """Create an account; the user must change the initial password at first login."""
    return etag(UserRead.model_validate(service.create_user(session, actor, body)))


@router.get("/{user_id}", operation_id="get_user", responses=ETAG_RESPONSES)
def get_user(session: SessionDep, actor: Reader, user_id: RowId, etag: ReadETag) -> UserRead:
    """Read one account."""
    return etag(UserRead.model_validate(service.get_user(session, user_id)))


@router.patch("/{user_id}", operation_id="update_user")
def update_user(
    session: SessionDep,
    actor: Writer,
    user_id: RowId,
    body: UserUpdate,
    if_match: IfMatch,
    etag: WriteETag,
) -> UserRead:
    """Change name, role or organisation (a new role or organisation revokes old tokens)."""
    return etag(
        UserRead.model_validate(
            service.update_user(
                session,
                actor,
                user_id,
                body,
                expected_version(body.version, if_match),
            )
        )
    )


@router.post("/{user_id}/disable", operation_id="disable_user")
def disable_user(
    session: SessionDep,
    actor: Writer,
    user_id: RowId,
    body: UserVersion,
    if_match: IfMatch,
    etag: WriteETag,
) -> UserRead:
    """Disable an account (accounts are never deleted); its tokens stop working."""
    user = service.set_active(
        session, actor, user_id, False, expected_version(body.version, if_match)
    )
    return etag(UserRead.model_validate(user))


@router.post("/{user_id}/enable", operation_id="enable_user")
def enable_user(
    session: SessionDep,
    actor: Writer,
    user_id: RowId,
    body: UserVersion,
    if_match: IfMatch,
    etag: WriteETag,
) -> UserRead:
    """Enable a disabled account."""
    user = service.set_active(
        session, actor, user_id, True, expected_version(body.version, if_match)
    )
    return etag(UserRead.model_validate(user))


@router.post("/{user_id}/reset-password", operation_id="reset_user_password")
def reset_user_password(
    session: SessionDep,
    actor: Writer,
    user_id: RowId,
    body: PasswordReset,
    if_match: IfMatch,
    etag: WriteETag,
) -> UserRead:
    """Set a temporary password that must be changed at next login."""
    user = service.reset_password(
        session, actor, user_id, body, expected_version(body.version, if_match)
    )
    return etag(UserRead.model_validate(user))


@router.post("/{user_id}/unlock", operation_id="unlock_user")
def unlock_user(
    session: SessionDep,
    actor: Writer,
    user_id: RowId,
    body: UserVersion,
    if_match: IfMatch,
    etag: WriteETag,
) -> UserRead:
    """Lift a lockout after failed logins."""
    return etag(
        UserRead.model_validate(
            service.unlock(session, actor, user_id, expected_version(body.version, if_match))
        )
    )
