"""Accounts: created by an administrator, disabled never deleted."""

from sqlalchemy.orm import Session

from perfbudget.audit import service as audit
from perfbudget.auth import passwords, policy
from perfbudget.auth import repository as sign_in_repository
from perfbudget.clock import utcnow
from perfbudget.errors import Conflict, RuleViolation, not_found
from perfbudget.orgs import repository as org_repository
from perfbudget.pagination import Page, page_of
from perfbudget.principal import Actor, Role
from perfbudget.users import repository
from perfbudget.users.models import User
from perfbudget.users.schemas import PasswordReset, UserCreate, UserFilter, UserRead, UserUpdate
from perfbudget.versioning import check_version


def get_user(session: Session, user_id: int) -> User:
    user = repository.get(session, user_id)
    if user is None:
        raise not_found("User", "用户")
    return user


def list_users(session: Session, filters: UserFilter) -> Page[UserRead]:
    rows, total = repository.list_page(session, filters, limit=filters.limit, offset=filters.offset)
    return page_of(UserRead, rows, total, filters)


def _check_binding(session: Session, role: Role, organisation_id: int | None) -> None:
    if organisation_id is not None:
        org = org_repository.get_unscoped(session, organisation_id)
        if org is None or not org.is_active:
            raise RuleViolation(
                "ORGANISATION_UNAVAILABLE",
                "The organisation does not exist or is deactivated.",
                "所选机构不存在或已停用。",
            )
    if policy.is_scoped_to_organisation(role) and organisation_id is None:
        raise RuleViolation(
            "ORGANISATION_REQUIRED",
            "A department user must be bound to one organisation.",
            "部门单位用户须绑定一个机构。",
        )


def create_user(
    session: Session,
    actor: Actor,
    data: UserCreate,
    *,
    must_change_password: bool = True,
    password_hash: str | None = None,
) -> User:
    """``password_hash``: the initial password's, when hashed beforehand (a batch upload)."""
    if repository.get_by_username(session, data.username) is not None:
        raise Conflict(
            "USERNAME_TAKEN",
            f"The username {data.username} is already taken.",
            f"用户名 {data.username} 已存在。",
        )
    _check_binding(session, data.role, data.organisation_id)
    passwords.check_policy(data.initial_password, data.username)
    user = User(
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        organisation_id=data.organisation_id,
        password_hash=password_hash or passwords.hash_password(data.initial_password),
        must_change_password=must_change_password,
        password_changed_at=None if must_change_password else utcnow(),
    )
    session.add(user)
    session.flush()
    session.refresh(user, ["organisation"])
    audit.record_edit(session, actor, "created", user, None)
    return user


def update_user(
    session: Session, actor: Actor, user_id: int, data: UserUpdate, expected_version: int | None
) -> User:
    user = get_user(session, user_id)
    check_version(user.version, expected_version)
    before = audit.state(user)
    role = data.role if data.role is not None else user.role
    organisation_id = (
        data.organisation_id if "organisation_id" in data.model_fields_set else user.organisation_id
    )
    rebinding = role != user.role or organisation_id != user.organisation_id
    if role != user.role and user.id == actor.user_id:
        raise RuleViolation(
            "CANNOT_CHANGE_OWN_ROLE",
            "You cannot change your own role; ask another administrator.",
            "不能修改自己的角色，请由其他管理员操作。",
        )
    if rebinding:
        # only a new binding is checked: renaming a user of a since-deactivated organisation works
        _check_binding(session, role, organisation_id)
    if data.display_name is not None:
        user.display_name = data.display_name
    if rebinding:
        # a new role or organisation means new powers: tokens issued before must stop working
        user.role = role
        user.organisation_id = organisation_id
        user.token_version += 1
    session.flush()
    session.refresh(user, ["organisation"])
    audit.record_edit(session, actor, "updated", user, before)
    return user


def set_active(
    session: Session,
    actor: Actor,
    user_id: int,
    active: bool,
    expected_version: int | None,
) -> User:
    user = get_user(session, user_id)
    check_version(user.version, expected_version)
    if active == user.is_active:
        return user
    if not active and user.id == actor.user_id:  # an admin cannot lock the door behind them
        raise RuleViolation(
            "CANNOT_DISABLE_SELF",
            "You cannot disable your own account.",
            "不能停用自己的账号。",
        )
    before = audit.state(user)
    user.is_active = active
    user.token_version += 1
    audit.record_edit(session, actor, "enabled" if active else "disabled", user, before)
    return user


def reset_password(
    session: Session, actor: Actor, user_id: int, data: PasswordReset, expected_version: int | None
) -> User:
    """An administrator sets a temporary password; the user must change it at next login."""
    user = get_user(session, user_id)
    check_version(user.version, expected_version)
    passwords.check_policy(data.temporary_password, user.username)
    _clear_sign_in_failures(session, user)
    user.password_hash = passwords.hash_password(data.temporary_password)
    user.must_change_password = True
    user.token_version += 1
    session.flush()
    audit.record(
        session,
        actor,
        "user.password_reset",
        entity_type="user",
        entity_id=user.id,
        changes={"after": {"must_change_password": True, "token_version": user.token_version}},
    )
    return user


def _clear_sign_in_failures(session: Session, user: User) -> None:
    """Lift every lock on the account's name, from each address and account-wide (the
    failure records first: a sign-in takes them before the user's row)."""
    sign_in_repository.clear(session, user.username)
    user.failed_login_count = 0
    user.locked_until = None


def unlock(session: Session, actor: Actor, user_id: int, expected_version: int | None) -> User:
    user = get_user(session, user_id)
    check_version(user.version, expected_version)
    before = {"locked_until": user.locked_until, "failed_login_count": user.failed_login_count}
    _clear_sign_in_failures(session, user)
    session.flush()
    audit.record_change(
        session,
        actor,
        "user.unlocked",
        entity_type="user",
        entity_id=user.id,
        before=before,
        after={"locked_until": None, "failed_login_count": 0},
    )
    return user
