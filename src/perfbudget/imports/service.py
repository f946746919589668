"""Batch uploads (issue 6, made set-based by issue 11): all or nothing, every bad row named.

An upload runs in short steps, each its own transaction, so that one large file never holds
up the county:

1. the run is claimed (one running upload per user: a second is 429 IMPORT_IN_PROGRESS);
2. the file is parsed and each row validated, outside any transaction;
3. a set-based kind checks every row against facts read in a fixed number of statements,
   in a transaction that only reads (on SQLite: no write lock, no waiting for writers) —
   a dry run, and an upload with errors, end here;
4. otherwise one short write transaction checks again against the latest state (rows it
   writes locked on PostgreSQL) and writes with bulk statements;
5. the run's outcome and its one audit event (kind, file, SHA-256, rows, the ids written)
   are recorded with the write, or in a transaction of their own.
"""

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.audit import service as audit
from perfbudget.bulk import Origin, Written
from perfbudget.db import reading, writing
from perfbudget.errors import DomainError, TooManyRequests, Unprocessable
from perfbudget.i18n import counted
from perfbudget.imports import parsing, repository
from perfbudget.imports.kinds import Kind, Options, Requests, Row, RowErrors, normalise
from perfbudget.imports.models import ImportOutcome, ImportRun
from perfbudget.imports.schemas import ImportResult, ImportRunRead
from perfbudget.pagination import ListQuery, Page, page_of
from perfbudget.principal import Actor, Role

# a run still "running" after this was cut short (its process ended): it no longer blocks
ABANDONED_AFTER = timedelta(minutes=15)
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class _Run:
    id: int
    rows: int
    dry_run: bool


def run_import(
    session: Session,
    actor: Actor,
    kind: Kind,
    body: bytes,
    content_type: str,
    filename: str | None,
    *,
    dry_run: bool,
    options: Options,
) -> ImportResult:
    run_id = _claim(session, actor, kind, body, content_type, filename, dry_run)
    errors = kind.errors()
    count = 0
    try:
        count, rows = _checked_rows(kind, parsing.read_rows(content_type, body), errors)
        if not count:
            raise parsing.no_rows()
        written = _written(
            session, actor, kind, rows, options, errors, _Run(run_id, count, dry_run)
        )
    except DomainError as refusal:
        with writing(session):
            _refuse(session, actor, kind, _Run(run_id, count, dry_run), refusal)
        raise
    except BaseException:
        with writing(session):
            run = _Run(run_id, count, dry_run)
            _finish(session, actor, kind, run, ImportOutcome.failed, errors, Written())
        raise
    if errors.count:
        raise _rejected(run_id, count, errors)
    return ImportResult(
        kind=kind.name.value,
        dry_run=dry_run,
        rows=count,
        imported=0 if written is None else written.count,
        import_run_id=run_id,
    )


def _written(
    session: Session,
    actor: Actor,
    kind: Kind,
    rows: list[Row],
    options: Options,
    errors: RowErrors,
    run: _Run,
) -> Written | None:
    """The rows checked, then written unless it is a dry run or any was refused (None: the
    run is recorded as rejected or validated)."""
    if kind.requests is not None:
        requests = kind.requests(rows, options, errors)
        written = _set_based(session, actor, kind, requests, options, errors, run)
    else:
        written = _per_row(session, actor, kind, rows, errors, run)
    if written is None:  # a dry run, or rows refused: nothing written
        outcome = ImportOutcome.rejected if errors.count else ImportOutcome.validated
        with writing(session):
            _finish(session, actor, kind, run, outcome, errors, Written())
    return written


def _rejected(run_id: int, count: int, errors: RowErrors) -> Unprocessable:
    return Unprocessable(
        "IMPORT_REJECTED",
        f"{counted(errors.count, 'error')} in the upload; nothing was written.",
        f"上传文件有 {errors.count} 处错误，未写入任何数据。",
        extra={
            "import_run_id": run_id,
            "rows": count,
            "error_count": errors.count,
            "errors": [error.model_dump() for error in errors.listed],
        },
    )


def _checked_rows(
    kind: Kind, rows: Iterator[tuple[int, dict[str, Any]]], errors: RowErrors
) -> tuple[int, list[Row]]:
    aliases = kind.aliases()
    checked: list[Row] = []
    count = 0
    for number, raw in rows:
        count += 1
        named = {aliases.get(key, key): value for key, value in raw.items()}
        try:
            row = kind.row_model.model_validate(normalise(kind, named))
        except ValidationError as error:
            errors.invalid(number, error)
        else:
            checked.append((number, kind.prepare(row) if kind.prepare else row))
    return count, checked


def _set_based(
    session: Session,
    actor: Actor,
    kind: Kind,
    requests: Requests,
    options: Options,
    errors: RowErrors,
    run: _Run,
) -> Written | None:
    """What was written, or None: a dry run or refused rows write nothing."""
    assert kind.check is not None
    with reading(session):
        errors.refusals(
            requests.units, kind.check(session, actor, requests.entries, options, False)
        )
    if errors.count or run.dry_run:
        return None
    with writing(session):
        batch = kind.check(session, actor, requests.entries, options, True)
        errors.refusals(requests.units, batch)
        if errors.count:  # another writer changed the facts since the check: nothing written
            session.rollback()
            return None
        written = batch.write(session, Origin(actor, run.id, clock.utcnow()))
        session.expire_all()  # bulk statements pass the session's objects by
        _finish(session, actor, kind, run, ImportOutcome.imported, errors, written)
    return written


def _per_row(
    session: Session,
    actor: Actor,
    kind: Kind,
    rows: Sequence[Row],
    errors: RowErrors,
    run: _Run,
) -> Written | None:
    """Each row through the single-object service, in one write transaction: a savepoint
    per row, so that a bad row is rolled back alone and the next rows are still checked."""
    assert kind.apply is not None
    written = Written()
    with writing(session):
        work = session.begin_nested()
        for number, row in rows:
            try:
                with session.begin_nested():
                    created = kind.apply(session, actor, row)
            except DomainError as error:
                errors.refuse([(number, row)], error)
            except ValidationError as error:
                errors.invalid(number, error)
            except IntegrityError:
                errors.add(
                    number,
                    "",
                    "INTEGRITY_CONFLICT",
                    "数据与已有记录冲突。",
                    "The row conflicts with existing records.",
                )
            else:
                written.count += 1
                written.created.setdefault(kind.entity, []).append(created.id)
        if errors.count or run.dry_run:
            work.rollback()
            return None
        work.commit()
        _finish(session, actor, kind, run, ImportOutcome.imported, errors, written)
    return written


# --- the run: claimed, finished, audited -------------------------------------------------------


def _claim(
    session: Session,
    actor: Actor,
    kind: Kind,
    body: bytes,
    content_type: str,
    filename: str | None,
    dry_run: bool,
) -> int:
    now = clock.utcnow()
    try:
        with writing(session):
            repository.abandon_stale(session, actor.user_id, now - ABANDONED_AFTER, now)
            if repository.running(session, actor.user_id) is None:
                run = ImportRun(
                    kind=kind.name.value,
                    user_id=actor.user_id,
                    filename=filename,
                    content_type=content_type,
                    sha256=hashlib.sha256(body).hexdigest(),
                    dry_run=dry_run,
                    outcome=ImportOutcome.running,
                    row_count=0,
                    imported=0,
                    errors=[],
                    created_at=now,
                )
                repository.add(session, run)
                session.flush()
                return run.id
    except IntegrityError:  # another request of this user claimed it in the meantime
        pass
    raise TooManyRequests(
        "IMPORT_IN_PROGRESS",
        "Another upload of yours is still running; send this one when it has finished.",
        "您的另一批导入仍在处理中，请待其完成后再上传。",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        extra={"retry_after": RETRY_AFTER_SECONDS},
    )


def _finish(
    session: Session,
    actor: Actor,
    kind: Kind,
    run: _Run,
    outcome: ImportOutcome,
    errors: RowErrors,
    written: Written,
) -> None:
    record = repository.get(session, run.id)
    record.outcome = outcome
    record.row_count = run.rows
    record.imported = written.count
    record.errors = [error.model_dump() for error in errors.listed]
    record.finished_at = clock.utcnow()
    session.flush()
    changes: dict[str, Any] = {
        "kind": kind.name.value,
        "filename": record.filename,
        "sha256": record.sha256,
        "rows": run.rows,
        "errors": errors.count,
        "dry_run": run.dry_run,
    }
    if outcome is ImportOutcome.imported:
        changes |= {"imported": written.count, "created": written.created}
        if written.changed:
            changes["changed"] = written.changed
    audit.record(
        session,
        actor,
        f"import.{outcome.value}",
        entity_type="import_run",
        entity_id=run.id,
        changes=changes,
        subjects=written.subjects(),
    )


def _refuse(session: Session, actor: Actor, kind: Kind, run: _Run, refusal: DomainError) -> None:
    """A file refused as a whole (too large, unreadable, no rows)."""
    errors = kind.errors()
    errors.add(0, "", refusal.code, refusal.zh, refusal.en)
    _finish(session, actor, kind, run, ImportOutcome.refused, errors, Written())


def list_runs(session: Session, actor: Actor, page: ListQuery) -> Page[ImportRunRead]:
    """The caller's own uploads; finance and admin see everyone's."""
    everyone = actor.role in (Role.finance, Role.admin)
    runs, total = repository.runs_page(
        session, None if everyone else actor.user_id, limit=page.limit, offset=page.offset
    )
    return page_of(ImportRunRead, runs, total, page)
