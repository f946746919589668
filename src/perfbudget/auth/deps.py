"""FastAPI dependencies: the current principal and the per-route permission check."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from perfbudget.audit import service as audit_service
from perfbudget.auth import policy, service
from perfbudget.auth.policy import Permission
from perfbudget.config import get_settings
from perfbudget.db import SessionDep
from perfbudget.errors import Forbidden, Unauthorized
from perfbudget.principal import Actor, RequestMeta
from perfbudget.users.models import User

TOKEN_URL = "/api/v1/auth/token"
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def request_meta(request: Request) -> RequestMeta:
    client = request.client.host if request.client else None
    return RequestMeta(request_id=getattr(request.state, "request_id", None), client_address=client)


MetaDep = Annotated[RequestMeta, Depends(request_meta)]


def actor_for(user: User, meta: RequestMeta) -> Actor:
    scope_path = None
    if policy.is_scoped_to_organisation(user.role):
        # a department user without an organisation sees nothing rather than everything
        scope_path = user.organisation.path if user.organisation else "/none/"
    return Actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        organisation_id=user.organisation_id,
        scope_path=scope_path,
        meta=meta,
    )


def authenticated_user(
    request: Request,
    session: SessionDep,
    meta: MetaDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    if not token:
        raise Unauthorized(
            "NOT_AUTHENTICATED",
            "Sign in first: send 'Authorization: Bearer <token>'.",
            "请先登录：请求头须携带 Authorization: Bearer <令牌>。",
        )
    user = service.authenticate(session, get_settings(), token)
    # whom a refusal further on is recorded against (perfbudget.audit.refusals)
    request.state.actor = Actor(user.id, user.username, user.role, user.organisation_id, None, meta)
    return user


AuthenticatedUser = Annotated[User, Depends(authenticated_user)]


def actor_allowing_password_change(user: AuthenticatedUser, meta: MetaDep) -> Actor:
    return actor_for(user, meta)


def current_actor(session: SessionDep, user: AuthenticatedUser, meta: MetaDep) -> Actor:
    actor = actor_for(user, meta)
    if user.must_change_password:
        audit_service.record(session, actor, "auth.password_change_required")
        raise Forbidden(
            "PASSWORD_CHANGE_REQUIRED",
            "Change your password first (POST /api/v1/auth/password).",
            "首次登录须先修改密码（POST /api/v1/auth/password）。",
            persist=True,
        )
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def permitted(session: Session, actor: Actor, permission: Permission) -> Actor:
    """``actor``, if the role holds ``permission``; else the refusal, recorded."""
    if not policy.allows(actor.role, permission):
        audit_service.record(
            session, actor, "permission.denied", changes={"permission": permission.value}
        )
        raise Forbidden(
            "PERMISSION_DENIED",
            f"Your role may not do this ({permission.value}).",
            f"当前角色无此权限（{permission.label_zh}）。",
            persist=True,
        )
    return actor


def require(permission: Permission) -> Callable[..., Actor]:
    """A dependency that lets the request through only if the role holds ``permission``.

    One dependency for the token, the user, the password rule and the permission: each
    synchronous dependency is a hop to the thread pool, and a page of items paid for five
    (issue 16). The steps are the functions above, called in turn."""

    def dependency(
        request: Request,
        session: SessionDep,
        token: Annotated[str | None, Depends(oauth2_scheme)],
    ) -> Actor:
        meta = request_meta(request)
        user = authenticated_user(request, session, meta, token)
        return permitted(session, current_actor(session, user, meta), permission)

    dependency.required_permission = permission  # type: ignore[attr-defined]
    return dependency


def Allowed(permission: Permission) -> Any:  # noqa: N802 - reads like a type in signatures
    """``actor: Annotated[Actor, Allowed(Permission.org_write)]``"""
    return Depends(require(permission))
