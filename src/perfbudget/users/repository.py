from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from perfbudget.pagination import fetch_page
from perfbudget.users.models import User
from perfbudget.users.schemas import UserFilter


def get(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def lock(session: Session, user_id: int) -> User:
    """The user's current row, locked until the transaction ends (PostgreSQL; SQLite's
    writers are serialised already): concurrent updates of a counter wait for each other."""
    return session.scalars(
        select(User)
        .where(User.id == user_id)
        .with_for_update(of=User)
        .execution_options(populate_existing=True)
    ).one()


def get_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username.lower())).first()


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
    return fetch_page(session, query, [User.username], limit=limit, offset=offset)


# Login bookkeeping goes around the ORM's version counter: signing in is not an edit
# of the account, and must not make an administrator's pending change stale.
def record_failed_login(
    session: Session, user_id: int, count: int, locked_until: datetime | None
) -> None:
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(failed_login_count=count, locked_until=locked_until)
        .execution_options(synchronize_session="fetch")
    )


def record_successful_login(
    session: Session, user_id: int, at: datetime, new_hash: str | None
) -> None:
    values: dict[str, object] = {"failed_login_count": 0, "locked_until": None, "last_login_at": at}
    if new_hash is not None:
        values["password_hash"] = new_hash
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
