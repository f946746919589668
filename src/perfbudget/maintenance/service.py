"""``perfbudget maintenance purge``: remove what the service no longer needs.

Rows go in bounded batches, each a short transaction of its own that locks only the rows it
takes (``SKIP LOCKED``) and deletes them by its criteria again, so several hosts may run the
purge from cron at once, and a second run removes nothing. Files go only when no attachment
row names them and they are older than a grace period: an upload writes its file before its
row commits, and touches a file it finds already kept. The audit tables are append-only and
never touched; the purge itself is put on record there.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.attachments import repository as attachment_repository
from perfbudget.attachments import storage
from perfbudget.audit import service as audit
from perfbudget.config import Settings
from perfbudget.db import reading, writing
from perfbudget.integration import idempotency
from perfbudget.integration import repository as idempotency_repository
from perfbudget.maintenance import repository
from perfbudget.principal import Actor

logger = logging.getLogger("perfbudget.maintenance")
BATCH = 500
T = TypeVar("T")


@dataclass(frozen=True)
class Retention:
    outbox_days: int
    attachment_grace_hours: int

    @classmethod
    def of(
        cls,
        settings: Settings,
        outbox_days: int | None = None,
        attachment_grace_hours: int | None = None,
    ) -> "Retention":
        """The settings' retention, or what the command line says instead."""
        return cls(
            outbox_days or settings.outbox_retention_days,
            attachment_grace_hours or settings.attachment_grace_hours,
        )


@dataclass
class Purged:
    outbox_events: int = 0
    event_deliveries: int = 0
    idempotency_records: int = 0
    reminder_claims: int = 0
    attachment_files: int = 0

    @property
    def total(self) -> int:
        return sum(asdict(self).values())


def purge(
    session: Session,
    attachments_dir: Path,
    retention: Retention,
    *,
    dry_run: bool = False,
    batch: int = BATCH,
    now: datetime | None = None,
) -> Purged:
    """Delivered events and deliveries older than the retention, expired idempotency records
    (the middleware's own rule), reminder claims older than the outbox's retention (their
    days are past: no run claims them again), and files no attachment names past the grace
    period."""
    moment = now or clock.utcnow()
    outbox_cutoff = moment - timedelta(days=retention.outbox_days)
    files_cutoff = moment - timedelta(hours=retention.attachment_grace_hours)
    expiry = idempotency.expiry(moment)
    if dry_run:
        purged = _counted(session, outbox_cutoff, expiry)
    else:
        purged = _purged_rows(session, outbox_cutoff, expiry, batch)
    purged.attachment_files = _purge_files(
        session, attachments_dir, files_cutoff, batch, dry_run=dry_run
    )
    details = {
        "outbox_before": outbox_cutoff.isoformat(),
        "files_before": files_cutoff.isoformat(),
        **asdict(purged),
    }
    logger.info("maintenance purge", extra={"dry_run": dry_run, **details})
    if purged.total and not dry_run:
        with writing(session):
            audit.record(
                session, Actor.system("maintenance"), "maintenance.purged", changes=details
            )
    return purged


def _purged_rows(
    session: Session, outbox_cutoff: datetime, expiry: idempotency.Expiry, batch: int
) -> Purged:
    """The rows removed: the outbox's, the expired idempotency records, the spent claims."""
    purged = Purged()
    _purge_outbox(session, outbox_cutoff, batch, purged)
    purged.idempotency_records = _in_batches(
        session,
        lambda s: idempotency_repository.expired_ids(
            s, expiry.replaced_before, expiry.abandoned_before, batch
        ),
        lambda s, ids: idempotency_repository.delete_expired(
            s, ids, expiry.replaced_before, expiry.abandoned_before
        ),
        batch,
    )
    purged.reminder_claims = _in_batches(
        session,
        lambda s: repository.spent_reminder_ids(s, outbox_cutoff, batch),
        lambda s, ids: repository.delete_reminders(s, ids, outbox_cutoff),
        batch,
    )
    return purged


def _counted(session: Session, outbox_cutoff: datetime, expiry: idempotency.Expiry) -> Purged:
    with reading(session):
        return Purged(
            outbox_events=repository.count_done_events(session, outbox_cutoff),
            event_deliveries=repository.count_delivered(session, outbox_cutoff),
            idempotency_records=idempotency_repository.count_expired(
                session, expiry.replaced_before, expiry.abandoned_before
            ),
            reminder_claims=repository.count_spent_reminders(session, outbox_cutoff),
        )


def _purge_outbox(session: Session, cutoff: datetime, batch: int, purged: Purged) -> None:
    def remove_events(batch_session: Session, ids: list[int]) -> int:
        events, deliveries = repository.delete_events(batch_session, ids, cutoff)
        purged.event_deliveries += deliveries
        return events

    # events first, with their deliveries; then what is left: deliveries of events kept
    # for a delivery still pending or failed
    purged.outbox_events = _in_batches(
        session, lambda s: repository.done_event_ids(s, cutoff, batch), remove_events, batch
    )
    purged.event_deliveries += _in_batches(
        session,
        lambda s: repository.delivered_ids(s, cutoff, batch),
        lambda s, ids: repository.delete_deliveries(s, ids, cutoff),
        batch,
    )


def _in_batches(
    session: Session,
    find: Callable[[Session], list[int]],
    remove: Callable[[Session, list[int]], int],
    batch: int,
) -> int:
    removed = 0
    while True:
        with writing(session):
            ids = find(session)
            done = remove(session, ids) if ids else 0
        removed += done
        # a short batch is the last; a full one that removed nothing was taken by another host
        if len(ids) < batch or done == 0:
            return removed


def _purge_files(
    session: Session, directory: Path, cutoff: datetime, batch: int, *, dry_run: bool
) -> int:
    removed = sum(
        _remove(path, dry_run)
        for path in storage.upload_leftovers(directory)
        if _modified_before(path, cutoff)
    )
    aged = (
        (sha256, path)
        for sha256, path in storage.kept_files(directory)
        if _modified_before(path, cutoff)
    )
    for chunk in _chunks(aged, batch):
        with reading(session):
            referenced = attachment_repository.referenced_sha256(session, [s for s, _ in chunk])
        for sha256, path in chunk:
            # the age again, just before: an upload of the same content touches the file
            if sha256 not in referenced and _modified_before(path, cutoff):
                removed += _remove(path, dry_run)
    return removed


def _modified_before(path: Path, cutoff: datetime) -> bool:
    try:
        modified = path.stat().st_mtime
    except FileNotFoundError:
        return False
    return datetime.fromtimestamp(modified, UTC) < cutoff


def _remove(path: Path, dry_run: bool) -> int:
    if dry_run:
        return 1
    try:
        path.unlink()
    except FileNotFoundError:  # another host's purge was first
        return 0
    return 1


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
