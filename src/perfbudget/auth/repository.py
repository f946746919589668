"""Queries on sign-in failure records.

Rows are locked in id order, by sign-ins and by an administrator's unlock alike, so that
neither waits for the other in a circle (PostgreSQL; SQLite serialises writers itself).
"""

from sqlalchemy import Insert, Select, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from perfbudget.auth.models import SignInFailure

Records = tuple[SignInFailure | None, SignInFailure | None]
_LOCK_ATTEMPTS = 3


def _records(username: str, address: str) -> Select[SignInFailure]:
    return (
        select(SignInFailure)
        .where(
            SignInFailure.username == username,
            or_(SignInFailure.client_address == address, SignInFailure.client_address.is_(None)),
        )
        .order_by(SignInFailure.id)
    )


def _split(rows: list[SignInFailure]) -> Records:
    """(the record from the address, the account-wide record)"""
    by_kind = {row.client_address is None: row for row in rows}
    return by_kind.get(False), by_kind.get(True)


def find(session: Session, username: str, address: str) -> Records:
    """The name's record from this address and its account-wide one, as they stand."""
    return _split(list(session.scalars(_records(username, address))))


def _insert_missing(session: Session, username: str, address: str | None) -> None:
    values = {"username": username, "client_address": address, "failure_count": 0}
    statement: Insert = (
        postgresql.insert(SignInFailure).values(values).on_conflict_do_nothing()
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(SignInFailure).values(values).on_conflict_do_nothing()
    )
    session.execute(statement)


def lock(session: Session, username: str, address: str) -> tuple[SignInFailure, SignInFailure]:
    """Both records, created when missing, locked until the transaction ends: simultaneous
    attempts under one name wait for each other, and each reads what the one before wrote."""
    for _ in range(_LOCK_ATTEMPTS):
        _insert_missing(session, username, address)
        _insert_missing(session, username, None)
        pair, account = _split(
            list(
                session.scalars(
                    _records(username, address)
                    .with_for_update()
                    .execution_options(populate_existing=True)
                )
            )
        )
        if pair is not None and account is not None:
            return pair, account
        # an administrator's unlock deleted one after it was inserted: insert it afresh
    raise RuntimeError("could not lock the sign-in failure records")


def clear(session: Session, username: str) -> None:
    """Forget the name's failures and locks from every address, keeping the addresses it
    signed in from."""
    session.scalars(
        select(SignInFailure.id)
        .where(SignInFailure.username == username)
        .order_by(SignInFailure.id)
        .with_for_update()
    ).all()
    session.execute(
        delete(SignInFailure).where(
            SignInFailure.username == username, SignInFailure.signed_in_at.is_(None)
        )
    )
    session.execute(
        update(SignInFailure)
        .where(SignInFailure.username == username)
        .values(failure_count=0, first_failed_at=None, locked_until=None)
    )
