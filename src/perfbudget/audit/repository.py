from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from perfbudget.audit.models import AuditChainHead, AuditEvent, AuditSubject
from perfbudget.db import insert_many
from perfbudget.pagination import fetch_page

HEAD_ID = 1
GENESIS_HASH = "0" * 64


def lock_head(session: Session) -> AuditChainHead:
    """Read the chain head under a row lock (PostgreSQL), held until the commit that follows
    at once; SQLite serialises writers itself."""
    head = session.execute(
        select(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH)
        session.add(head)
    return head


def get_head(session: Session) -> AuditChainHead | None:
    return session.get(AuditChainHead, HEAD_ID)


def add_all(session: Session, events: list[AuditEvent]) -> None:
    session.add_all(events)


def add_subjects(session: Session, subjects: list[tuple[int, str, str]]) -> None:
    insert_many(
        session,
        AuditSubject,
        [{"event_seq": seq, "entity_type": kind, "entity_id": key} for seq, kind, key in subjects],
    )


def iterate_in_order(session: Session, batch: int = 2000) -> Iterator[AuditEvent]:
    yield from session.scalars(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    )


def list_events(
    session: Session,
    *,
    entity_type: str | None,
    entity_id: str | None,
    user_id: int | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[AuditEvent], int]:
    query = select(AuditEvent)
    if entity_type is not None or entity_id is not None:
        # the object's own events, and those naming it among their subjects (an upload)
        own = [AuditEvent.entity_type == entity_type] if entity_type is not None else []
        named = [AuditSubject.entity_type == entity_type] if entity_type is not None else []
        if entity_id is not None:
            own.append(AuditEvent.entity_id == entity_id)
            named.append(AuditSubject.entity_id == entity_id)
        query = query.where(
            or_(and_(*own), AuditEvent.seq.in_(select(AuditSubject.event_seq).where(*named)))
        )
    if user_id is not None:
        query = query.where(AuditEvent.user_id == user_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    return fetch_page(session, query, [AuditEvent.seq.desc()], limit=limit, offset=offset)
