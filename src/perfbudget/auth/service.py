"""Sign-in, lockout, password change and token checks (等保 level 3, OWASP ASVS V2)."""

import math
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.audit import service as audit
from perfbudget.auth import passwords, policy, tokens
from perfbudget.auth import repository as sign_in_repository
from perfbudget.auth.models import USERNAME_LENGTH, SignInFailure
from perfbudget.auth.schemas import Me, OrganisationSummary, PasswordChange, TokenResponse
from perfbudget.config import Settings
from perfbudget.errors import Unauthorized, Unprocessable
from perfbudget.i18n import counted
from perfbudget.principal import Actor, RequestMeta
from perfbudget.users import repository as user_repository
from perfbudget.users.models import User


def _invalid_credentials() -> Unauthorized:
    return Unauthorized(
        "INVALID_CREDENTIALS",
        "Wrong username or password.",
        "用户名或密码错误。",
        persist=True,
    )


def _locked(locked_until: datetime, now: datetime) -> Unauthorized:
    seconds = math.ceil((locked_until - now).total_seconds())
    minutes = max(1, math.ceil(seconds / 60))
    return Unauthorized(
        "ACCOUNT_LOCKED",
        f"Too many failed sign-ins; the account is locked for {counted(minutes, 'more minute')}.",
        f"登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试。",
        headers={"Retry-After": str(seconds)},
        persist=True,
    )


def _invalid_token() -> Unauthorized:
    return Unauthorized(
        "INVALID_TOKEN",
        "The access token is invalid, expired or revoked; sign in again.",
        "访问令牌无效、已过期或已被撤销，请重新登录。",
    )


def _issue(settings: Settings, user: User) -> TokenResponse:
    token, lifetime = tokens.issue(
        settings, user_id=user.id, role=user.role.value, token_version=user.token_version
    )
    return TokenResponse(access_token=token, expires_in=lifetime)


def authenticate(session: Session, settings: Settings, token: str) -> User:
    """The user a bearer token speaks for, if the token holds right now: ours and unexpired,
    its user active, its token version and role still the user's. Else INVALID_TOKEN."""
    try:
        claims = tokens.decode(settings, token)
    except tokens.InvalidToken:
        raise _invalid_token() from None
    user = user_repository.get(session, claims.user_id)
    if (
        user is None
        or not user.is_active
        or user.token_version != claims.token_version
        or user.role.value != claims.role
    ):
        raise _invalid_token()
    return user


def _record_attempt(
    session: Session,
    anonymous: Actor,
    user: User | None,
    action: str,
    changes: dict[str, object] | None = None,
) -> None:
    audit.record(
        session,
        anonymous,
        action,
        entity_type="user",
        entity_id=user.id if user else None,
        changes=changes,
    )


def _lock_end(records: sign_in_repository.Records, now: datetime) -> datetime | None:
    """When the lock on sign-ins under this name from this address ends, if one holds: the
    address's own, or the name's account-wide one unless the account signed in from this
    address before."""
    from_address, account_wide = records
    ends = [from_address.locked_until if from_address else None]
    if account_wide is not None and (from_address is None or from_address.signed_in_at is None):
        ends.append(account_wide.locked_until)
    return max((end for end in ends if end is not None and end > now), default=None)


def _refuse_if_locked(
    session: Session,
    anonymous: Actor,
    user: User | None,
    records: sign_in_repository.Records,
    now: datetime,
) -> None:
    # known and unknown names alike: the same statements, and no Argon2 for either
    locked_until = _lock_end(records, now)
    if locked_until is not None:
        _record_attempt(session, anonymous, user, "auth.login_refused_locked")
        raise _locked(locked_until, now)


def _count(
    record: SignInFailure, now: datetime, window: timedelta, threshold: int, fresh: bool
) -> bool:
    """One more failure on the record (a fresh series if ``fresh``); True if it locks now."""
    if fresh:
        record.failure_count, record.first_failed_at, record.locked_until = 0, now, None
    record.failure_count += 1
    if record.failure_count >= threshold and record.locked_until is None:
        record.locked_until = now + window
        return True
    return False


def _count_failure(
    session: Session,
    settings: Settings,
    anonymous: Actor,
    user: User | None,
    records: tuple[SignInFailure, SignInFailure],
    now: datetime,
) -> NoReturn:
    from_address, account_wide = records
    window = timedelta(minutes=settings.lockout_minutes)
    locks: list[tuple[SignInFailure, str]] = []
    # a lock that has run out starts a fresh series of five
    fresh = from_address.locked_until is not None or from_address.first_failed_at is None
    if _count(from_address, now, window, settings.lockout_threshold, fresh):
        locks.append((from_address, "address"))
    # the account-wide count: failures from all addresses within one lock window
    if account_wide.locked_until is not None:
        fresh = account_wide.locked_until <= now
    else:
        started = account_wide.first_failed_at
        fresh = started is None or started <= now - window
    if _count(account_wide, now, window, settings.account_lockout_threshold, fresh):
        locks.append((account_wide, "account"))
    for record, scope in locks:
        changes = {"failed_login_count": record.failure_count, "scope": scope}
        _record_attempt(session, anonymous, user, "auth.account_locked", changes)
    # the same statement for an unknown name (it changes no row then): the same cost
    user_repository.record_failed_sign_in(
        session, account_wide.username, account_wide.failure_count, now + window if locks else None
    )
    locked_until = _lock_end(records, now)
    if locked_until is not None:
        raise _locked(locked_until, now)
    raise _invalid_credentials()


def _succeed(
    session: Session,
    settings: Settings,
    user: User,
    from_address: SignInFailure,
    meta: RequestMeta,
    password: str,
    now: datetime,
) -> TokenResponse:
    # a success clears its address's count and makes it one of the account's usual addresses
    from_address.failure_count, from_address.first_failed_at = 0, None
    from_address.locked_until, from_address.signed_in_at = None, now
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


def login(
    session: Session, settings: Settings, username: str, password: str, meta: RequestMeta
) -> TokenResponse:
    """Failures are counted per name as typed and client address, for known and unknown
    names alike: five lock that name from that address only, so that nobody can lock an
    account for everyone nor tell a real name from the answers; many from all addresses
    together lock the name everywhere but where its account signed in from before."""
    now = clock.utcnow()
    name = username.strip().lower()[:USERNAME_LENGTH]
    address = meta.client_address or ""
    user = user_repository.get_by_username(session, username.strip())
    anonymous = Actor.anonymous(meta, username=username[:64])
    _refuse_if_locked(
        session, anonymous, user, sign_in_repository.find(session, name, address), now
    )

    # always verify (against a dummy hash for unknown users): same cost either way
    password_ok = passwords.verify_password(user.password_hash if user else None, password)
    # simultaneous attempts count one by one: each waits for the name's records and reads
    # what the one before wrote, perhaps a lock (the records before the user's row and the
    # audit chain's head, the order in which an administrator's unlock takes them too)
    records = sign_in_repository.lock(session, name, address)
    _refuse_if_locked(session, anonymous, user, records, now)
    if user is None or not password_ok or not user.is_active:
        reason = "unknown_user" if user is None else "disabled" if password_ok else "bad_password"
        _record_attempt(session, anonymous, user, "auth.login_failed", {"reason": reason})
        _count_failure(session, settings, anonymous, user, records, now)
    return _succeed(session, settings, user, records[0], meta, password, now)


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
