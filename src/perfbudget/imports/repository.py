from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from perfbudget.imports.models import ImportRun


def runs(session: Session, user_id: int | None, limit: int) -> Sequence[ImportRun]:
    """Newest first; only ``user_id``'s when given."""
    query = select(ImportRun).order_by(ImportRun.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(ImportRun.user_id == user_id)
    return session.scalars(query).all()
