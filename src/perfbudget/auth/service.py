"""Sign-in, lockout and password change (等保 level 3, OWASP ASVS V2)."""

import math
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.audit import service as audit
from perfbudget.auth import passwords, policy, tokens
from perfbudget.auth.principal import Actor, RequestMeta
from perfbudget.auth.schemas import Me, OrganisationSummary, PasswordChange, TokenResponse
from perfbudget.config import Settings
from perfbudget.errors import Unauthorized, Unprocessable
from perfbudget.users import repository as user_repository
from perfbudget.users.models import User


def _invalid_credentials() -> Unauthorized:
    return Unauthorized(
        "INVALID_CREDENTIALS",
        "Wrong username or password.",
        "用户名或密码错误。",
        persist=True,
    )


def _locked(seconds: int) -> Unauthorized:
    minutes = max(1, math.ceil(seconds / 60))
    return Unauthorized(
        "ACCOUNT_LOCKED",
        f"Too many failed sign-ins; the account is locked for {minutes} more minute(s).",
        f"登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试。",
        headers={"Retry-After": str(seconds)},
        persist=True,
    )


def _issue(settings: Settings, user: User) -> TokenResponse:
    token, lifetime = tokens.issue(
        settings, user_id=user.id, role=user.role.value, token_version=user.token_version
    )
    return TokenResponse(access_token=token, expires_in=lifetime)


def _refuse_if_locked(session: Session, anonymous: Actor, user: User | None, now: datetime) -> None:
    if user is not None and user.locked_until is not None and user.locked_until > now:
        audit.record(
            session, anonymous, "auth.login_refused_locked", entity_type="user", entity_id=user.id
        )
        raise _locked(math.ceil((user.locked_until - now).total_seconds()))


def login(
    session: Session, settings: Settings, username: str, password: str, meta: RequestMeta
) -> TokenResponse:
    now = clock.utcnow()
    user = user_repository.get_by_username(session, username.strip())
    anonymous = Actor.anonymous(meta, username=username[:64])
    _refuse_if_locked(session, anonymous, user, now)

    # always verify (against a dummy hash for unknown users): same cost either way
    password_ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.is_active:
        reason = "unknown_user" if user is None else "disabled" if password_ok else "bad_password"
        if user is not None and reason == "bad_password":
            # simultaneous wrong passwords count one by one: each waits for the row and reads
            # what the previous one wrote, perhaps a lock (the row before the audit chain's
            # head, the order in which every other writer of a user takes them)
            user = user_repository.lock(session, user.id)
            _refuse_if_locked(session, anonymous, user, now)
        audit.record(
            session,
            anonymous,
            "auth.login_failed",
            entity_type="user",
            entity_id=user.id if user else None,
            changes={"reason": reason},
        )
        if user is not None and reason == "bad_password":
            # a lock that has run out starts a fresh series of five
            count = (user.failed_login_count if user.locked_until is None else 0) + 1
            if count >= settings.lockout_threshold:
                locked_until = now + timedelta(minutes=settings.lockout_minutes)
                user_repository.record_failed_login(session, user.id, count, locked_until)
                audit.record(
                    session,
                    anonymous,
                    "auth.account_locked",
                    entity_type="user",
                    entity_id=user.id,
                    changes={"failed_login_count": count},
                )
                raise _locked(settings.lockout_minutes * 60)
            user_repository.record_failed_login(session, user.id, count, None)
        raise _invalid_credentials()

    new_hash = (
        passwords.hash_password(password) if passwords.needs_rehash(user.password_hash) else None
    )
    user_repository.record_successful_login(session, user.id, now, new_hash)
    audit.record(
        session,
        Actor(user.id, user.username, user.role, user.organisation_id, None, meta),
        "auth.login_succeeded",
        entity_type="user",
        entity_id=user.id,
    )
    return _issue(settings, user)


def change_password(
    session: Session, settings: Settings, actor: Actor, data: PasswordChange
) -> TokenResponse:
    assert actor.user_id is not None
    user = user_repository.get(session, actor.user_id)
    assert user is not None
    if not passwords.verify_password(user.password_hash, data.current_password):
        audit.record(
            session, actor, "auth.password_change_failed", entity_type="user", entity_id=user.id
        )
        raise Unprocessable(
            "CURRENT_PASSWORD_INVALID",
            "The current password is wrong.",
            "当前密码不正确。",
            persist=True,
        )
    if data.new_password == data.current_password:
        raise Unprocessable(
            "PASSWORD_REUSED",
            "The new password must differ from the current one.",
            "新密码不能与当前密码相同。",
        )
    passwords.check_policy(data.new_password, user.username)
    user.password_hash = passwords.hash_password(data.new_password)
    user.must_change_password = False
    user.password_changed_at = clock.utcnow()
    user.token_version += 1  # every token issued before this moment stops working
    session.flush()
    audit.record(session, actor, "auth.password_changed", entity_type="user", entity_id=user.id)
    return _issue(settings, user)


def describe(session: Session, actor: Actor) -> Me:
    assert actor.user_id is not None
    user = user_repository.get(session, actor.user_id)
    assert user is not None
    return Me(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        organisation=OrganisationSummary.model_validate(user.organisation)
        if user.organisation
        else None,
        must_change_password=user.must_change_password,
        permissions=sorted(p.value for p in policy.ROLE_PERMISSIONS.get(user.role, frozenset())),
    )
