from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import Session

from perfbudget.audit.models import AuditChainHead, AuditEvent, AuditSubject, Refusal
from perfbudget.db import insert_many
from perfbudget.pagination import fetch_page, sort_order

GENESIS_HASH = "0" * 64


def lock_head(session: Session, head_id: int) -> AuditChainHead:
    """Read a chain's head under a row lock (PostgreSQL), held until the commit that follows
    at once; SQLite serialises writers itself."""
    head = session.execute(
        select(AuditChainHead)
        .where(AuditChainHead.id == head_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=head_id, last_seq=0, last_hash=GENESIS_HASH)
        session.add(head)
    return head


def get_head(session: Session, head_id: int) -> AuditChainHead | None:
    return session.get(AuditChainHead, head_id)


def add_all(session: Session, events: list[AuditEvent]) -> None:
    session.add_all(events)


def add_subjects(session: Session, subjects: list[tuple[int, str, str]]) -> None:
    insert_many(
        session,
        AuditSubject,
        [{"event_seq": seq, "entity_type": kind, "entity_id": key} for seq, kind, key in subjects],
    )


def iterate_in_order(
    session: Session, model: type[AuditEvent] | type[Refusal], batch: int = 2000
) -> Iterator[AuditEvent | Refusal]:
    query = select(model).order_by(model.seq).execution_options(yield_per=batch)
    for link in session.scalars(query):
        assert isinstance(link, AuditEvent | Refusal)
        yield link


_EVENT_SORTS = {
    "seq": AuditEvent.seq,
    "occurred_at": AuditEvent.occurred_at,
    "user_id": AuditEvent.user_id,
    "action": AuditEvent.action,
    "entity_type": AuditEvent.entity_type,
}
_REFUSAL_SORTS = {
    "seq": Refusal.seq,
    "occurred_at": Refusal.occurred_at,
    "user_id": Refusal.user_id,
    "organisation_id": Refusal.organisation_id,
    "code": Refusal.code,
    "method": Refusal.method,
    "path": Refusal.path,
    "status": Refusal.status,
    "client_address": Refusal.client_address,
}


def list_events(
    session: Session,
    *,
    entity_type: str | None,
    entity_id: str | None,
    user_id: int | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    sort: str,
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
    order = sort_order(sort, _EVENT_SORTS, AuditEvent.seq)
    return fetch_page(session, query, order, limit=limit, offset=offset)


def add_refusal(session: Session, refusal: Refusal) -> None:
    session.add(refusal)


def count_refusals_since(
    session: Session, since: datetime, *, user_id: int | None, client_address: str | None
) -> tuple[int, int, datetime | None]:
    """The user's and the address's refusals since ``since``, and the oldest of them."""
    in_window = Refusal.occurred_at >= since
    by_user = (
        select(func.count()).where(in_window, Refusal.user_id == user_id).scalar_subquery()
        if user_id is not None
        else literal(0)
    )
    by_address = (
        select(func.count())
        .where(in_window, Refusal.client_address == client_address)
        .scalar_subquery()
        if client_address is not None
        else literal(0)
    )
    oldest = (
        select(func.min(Refusal.occurred_at))
        .where(
            in_window,
            or_(Refusal.user_id == user_id, Refusal.client_address == client_address),
        )
        .scalar_subquery()
    )
    row = session.execute(select(by_user, by_address, oldest)).one()
    return int(row[0]), int(row[1]), row[2]


def list_refusals(
    session: Session,
    *,
    user_id: int | None,
    organisation_id: int | None,
    code: str | None,
    method: str | None,
    path: str | None,
    client_address: str | None,
    since: datetime | None,
    until: datetime | None,
    sort: str,
    limit: int,
    offset: int,
) -> tuple[list[Refusal], int]:
    query = select(Refusal)
    equal = {
        Refusal.user_id: user_id,
        Refusal.organisation_id: organisation_id,
        Refusal.code: code,
        Refusal.method: method,
        Refusal.client_address: client_address,
    }
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    if path is not None:
        query = query.where(Refusal.path.startswith(path, autoescape=True))
    if since is not None:
        query = query.where(Refusal.occurred_at >= since)
    if until is not None:
        query = query.where(Refusal.occurred_at < until)
    order = sort_order(sort, _REFUSAL_SORTS, Refusal.seq)
    return fetch_page(session, query, order, limit=limit, offset=offset)
