from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from perfbudget.imports.models import ImportOutcome, ImportRun
from perfbudget.pagination import fetch_page


def add(session: Session, run: ImportRun) -> None:
    session.add(run)


def get(session: Session, run_id: int) -> ImportRun:
    run = session.get(ImportRun, run_id)
    assert run is not None, run_id
    return run


def running(session: Session, user_id: int | None) -> ImportRun | None:
    return session.scalars(
        select(ImportRun).where(
            ImportRun.user_id == user_id, ImportRun.outcome == ImportOutcome.running
        )
    ).first()


def abandon_stale(
    session: Session, user_id: int | None, started_before: datetime, now: datetime
) -> None:
    """A run still running since before ``started_before`` was cut short: it ends as
    abandoned, so that it no longer holds its user's slot."""
    session.execute(
        update(ImportRun)
        .where(
            ImportRun.user_id == user_id,
            ImportRun.outcome == ImportOutcome.running,
            ImportRun.created_at < started_before,
        )
        .values(outcome=ImportOutcome.abandoned, finished_at=now)
        .execution_options(synchronize_session=False)
    )


def runs_page(
    session: Session, user_id: int | None, *, limit: int, offset: int
) -> tuple[list[ImportRun], int]:
    """Newest first; only ``user_id``'s when given."""
    query = select(ImportRun)
    if user_id is not None:
        query = query.where(ImportRun.user_id == user_id)
    return fetch_page(session, query, [ImportRun.id.desc()], limit=limit, offset=offset)
