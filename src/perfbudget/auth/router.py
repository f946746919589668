from typing import Annotated

from fastapi import APIRouter, Depends, Form

from perfbudget.auth import service
from perfbudget.auth.deps import CurrentActor, MetaDep, actor_allowing_password_change
from perfbudget.auth.schemas import Me, PasswordChange, SignInForm, TokenResponse
from perfbudget.config import get_settings
from perfbudget.db import SessionDep
from perfbudget.principal import Actor

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", operation_id="create_access_token")
def create_access_token(
    session: SessionDep, meta: MetaDep, form: Annotated[SignInForm, Form()]
) -> TokenResponse:
    """Sign in with username and password (OAuth2 password flow)."""
    return service.login(session, get_settings(), form.username, form.password, meta)


@router.get("/me", operation_id="get_current_user")
def get_current_user(session: SessionDep, actor: CurrentActor) -> Me:
    """Who am I: account, organisation and permissions."""
    return service.describe(session, actor)


@router.post("/password", operation_id="change_own_password")
def change_own_password(
    session: SessionDep,
    actor: Annotated[Actor, Depends(actor_allowing_password_change)],
    body: PasswordChange,
) -> TokenResponse:
    """Change your own password; returns a fresh token (older tokens stop working)."""
    return service.change_password(session, get_settings(), actor, body)
