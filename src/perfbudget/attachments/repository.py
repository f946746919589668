"""Attachment queries, by owner: an attachment is reached only through what owns it."""

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from perfbudget.attachments.models import Attachment
from perfbudget.pagination import fetch_page


def add(session: Session, attachment: Attachment) -> None:
    session.add(attachment)


def delete(session: Session, attachment: Attachment) -> None:
    session.delete(attachment)


def get_for_owner(
    session: Session, owner_type: str, owner_id: int, attachment_id: int
) -> Attachment | None:
    return session.scalars(
        select(Attachment).where(
            Attachment.id == attachment_id,
            Attachment.owner_type == owner_type,
            Attachment.owner_id == owner_id,
        )
    ).first()


def list_for_owner(session: Session, owner_type: str, owner_id: int) -> Sequence[Attachment]:
    return list_for_owners(session, owner_type, [owner_id]).get(owner_id, [])


def page_for_owner(
    session: Session, owner_type: str, owner_id: int, *, limit: int, offset: int
) -> tuple[list[Attachment], int]:
    """An owner's attachments, oldest first."""
    query = select(Attachment).where(
        Attachment.owner_type == owner_type, Attachment.owner_id == owner_id
    )
    return fetch_page(session, query, [Attachment.id], limit=limit, offset=offset)


def list_for_owners(
    session: Session, owner_type: str, owner_ids: Sequence[int]
) -> dict[int, list[Attachment]]:
    """Every owner's attachments in one statement, oldest first."""
    if not owner_ids:
        return {}
    rows = session.scalars(
        select(Attachment)
        .where(Attachment.owner_type == owner_type, Attachment.owner_id.in_(owner_ids))
        .order_by(Attachment.id)
    )
    by_owner: dict[int, list[Attachment]] = defaultdict(list)
    for row in rows:
        by_owner[row.owner_id].append(row)
    return dict(by_owner)


def referenced_sha256(session: Session, digests: Sequence[str]) -> set[str]:
    """Which of ``digests`` an attachment row names (the only query not by owner: the purge
    asks whether any record still needs a file)."""
    if not digests:
        return set()
    query = select(Attachment.sha256).where(Attachment.sha256.in_(digests)).distinct()
    return set(session.scalars(query))
