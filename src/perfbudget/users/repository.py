from datetime import datetime

from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from perfbudget.orgs.models import Organisation
from perfbudget.pagination import fetch_page, sort_order
from perfbudget.principal import Role
from perfbudget.users.models import User
from perfbudget.users.schemas import UserFilter


def get(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username.lower())).first()


def finance_bureau(session: Session) -> Organisation | None:
    """The organisation the active finance users belong to (the first by code): the bureau
    that issues the finance bureau's documents."""
    members = select(User.organisation_id).where(User.role == Role.finance, User.is_active)
    return session.scalars(
        select(Organisation)
        .where(Organisation.id.in_(members))
        .order_by(Organisation.code)
        .limit(1)
    ).first()


_SORTS = {
    "id": User.id,
    "username": User.username,
    "display_name": User.display_name,
    "role": User.role,
    "organisation_id": User.organisation_id,
    "last_login_at": User.last_login_at,
    "created_at": User.created_at,
    "updated_at": User.updated_at,
}


def list_page(
    session: Session, filters: UserFilter, *, limit: int, offset: int
) -> tuple[list[User], int]:
    query = select(User)
    if filters.role is not None:
        query = query.where(User.role == filters.role)
    if filters.organisation_id is not None:
        query = query.where(User.organisation_id == filters.organisation_id)
    if filters.active is not None:
        query = query.where(User.is_active == filters.active)
    if search := filters.search:
        query = query.where(
            or_(
                User.username.contains(search.lower(), autoescape=True),
                User.display_name.contains(search, autoescape=True),
            )
        )
    order = sort_order(filters.sort, _SORTS, User.id)
    return fetch_page(session, query, order, limit=limit, offset=offset)


# Login bookkeeping goes around the ORM's version counter: signing in is not an edit
# of the account, and must not make an administrator's pending change stale. The counts
# themselves live in sign_in_failures (perfbudget.auth); the user's row keeps a summary for
# administrators.
def record_failed_sign_in(
    session: Session, username: str, failures: int, locked_until: datetime | None
) -> None:
    """``failures``: the name's failures from all addresses in the current window;
    ``locked_until``: the end of a lock set just now. The same statement whether or not an
    account has the name (it then changes nothing), so an unknown name costs the same."""
    values: dict[str, object] = {"failed_login_count": failures}
    if locked_until is not None:
        values["locked_until"] = locked_until
    session.execute(
        update(User)
        .where(User.username == username)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )


def record_successful_login(
    session: Session, user_id: int, at: datetime, new_hash: str | None
) -> None:
    # a lock from elsewhere may still hold (another address's, or the account-wide one)
    values: dict[str, object] = {
        "locked_until": case((User.locked_until > at, User.locked_until), else_=None),
        "last_login_at": at,
    }
    if new_hash is not None:
        values["password_hash"] = new_hash
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
