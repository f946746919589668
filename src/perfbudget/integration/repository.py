"""Queries on idempotency records; the caller owns the (short, separate) transaction."""

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from perfbudget.integration.models import IdempotencyRecord

IN_PROGRESS = "in_progress"
COMPLETED = "completed"


def insert_in_progress(
    session: Session,
    *,
    user_id: int,
    key: str,
    method: str,
    path: str,
    request_hash: str,
    now: datetime,
) -> int:
    """Raises IntegrityError when (user_id, key) is taken: the unique constraint decides races."""
    record = IdempotencyRecord(
        user_id=user_id,
        key=key,
        method=method,
        path=path[:500],
        request_hash=request_hash,
        state=IN_PROGRESS,
        response_headers={},
        created_at=now,
    )
    session.add(record)
    session.flush()
    return record.id


def find(session: Session, user_id: int, key: str) -> IdempotencyRecord | None:
    return session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    )


def delete_if_older(
    session: Session, record_id: int, before: datetime, *, in_progress_only: bool = False
) -> None:
    """Delete the record if it was claimed before ``before`` (and, for an abandoned claim,
    only while it is still in progress: an answer stored meanwhile stays)."""
    condition = [IdempotencyRecord.id == record_id, IdempotencyRecord.created_at < before]
    if in_progress_only:
        condition.append(IdempotencyRecord.state == IN_PROGRESS)
    session.execute(delete(IdempotencyRecord).where(*condition))


def complete(
    session: Session,
    record_id: int,
    *,
    status: int,
    headers: dict[str, Any],
    body: bytes,
    now: datetime,
) -> None:
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(
            state=COMPLETED,
            response_status=status,
            response_headers=headers,
            response_body=body,
            completed_at=now,
        )
    )


def discard(session: Session, record_id: int) -> None:
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))


def _expired(replaced_before: datetime, abandoned_before: datetime) -> ColumnElement[bool]:
    return or_(
        IdempotencyRecord.created_at < replaced_before,
        and_(
            IdempotencyRecord.state == IN_PROGRESS, IdempotencyRecord.created_at < abandoned_before
        ),
    )


def expired_ids(
    session: Session, replaced_before: datetime, abandoned_before: datetime, limit: int
) -> list[int]:
    query = (
        select(IdempotencyRecord.id)
        .where(_expired(replaced_before, abandoned_before))
        .order_by(IdempotencyRecord.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def count_expired(session: Session, replaced_before: datetime, abandoned_before: datetime) -> int:
    query = select(func.count()).where(_expired(replaced_before, abandoned_before))
    return session.scalar(query.select_from(IdempotencyRecord)) or 0


def delete_expired(
    session: Session, ids: list[int], replaced_before: datetime, abandoned_before: datetime
) -> int:
    """Delete those of ``ids`` still expired (another purge, or a retry's claim, may have
    deleted some already, and an answer stored meanwhile is kept)."""
    statement = (
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.id.in_(ids), _expired(replaced_before, abandoned_before))
        .returning(IdempotencyRecord.id)
    )
    gone = session.scalars(statement, execution_options={"synchronize_session": False})
    return len(gone.all())
