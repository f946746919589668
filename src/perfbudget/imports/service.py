"""Batch uploads: every row through the single-object service, all or nothing (issue 6).

The whole upload runs inside one SAVEPOINT and each service call inside its own, so a bad
row is rolled back alone, the next rows are still checked, and in the end either every
row is kept or none. The ImportRun record is written after that, so a rejection keeps it.
"""

from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.audit import service as audit
from perfbudget.auth.principal import Actor
from perfbudget.errors import DomainError, Unprocessable
from perfbudget.imports import parsing, repository
from perfbudget.imports.kinds import Kind, Options, normalise
from perfbudget.imports.models import ImportRun
from perfbudget.imports.schemas import ImportResult, ImportRunRead, RowError
from perfbudget.users.models import Role

MAX_ERRORS = 1000


class Errors:
    """Every bad row is counted; the first MAX_ERRORS are listed."""

    def __init__(self, kind: Kind) -> None:
        self.columns = kind.by_field()
        self.listed: list[RowError] = []
        self.count = 0

    def add(self, row: int, column: str, code: str, zh: str, en: str) -> None:
        self.count += 1
        if len(self.listed) < MAX_ERRORS:
            header = self.columns[column].zh if column in self.columns else ""
            self.listed.append(
                RowError(
                    row=row,
                    column=column,
                    column_zh=header,
                    code=code,
                    message_zh=zh,
                    message_en=en,
                )
            )

    def invalid(self, row: int, error: ValidationError) -> None:
        for detail in error.errors():
            column = str(detail["loc"][0]) if detail["loc"] else ""
            if detail["type"] == "missing":
                self.add(row, column, "FIELD_REQUIRED", "必填项未填写。", "This field is required.")
            elif detail["type"] == "extra_forbidden":
                self.add(
                    row, column, "FIELD_UNKNOWN", f"未知列：{column}。", f"Unknown column {column}."
                )
            else:
                self.add(row, column, "FIELD_INVALID", f"取值无效：{detail['msg']}", detail["msg"])


def _checked_rows(
    kind: Kind, rows: Iterator[tuple[int, dict[str, Any]]], errors: Errors
) -> tuple[int, list[tuple[int, Any]]]:
    aliases = kind.aliases()
    checked: list[tuple[int, Any]] = []
    count = 0
    for number, raw in rows:
        count += 1
        named = {aliases.get(key, key): value for key, value in raw.items()}
        try:
            checked.append((number, kind.row_model.model_validate(normalise(kind, named))))
        except ValidationError as error:
            errors.invalid(number, error)
    return count, checked


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
    errors = Errors(kind)
    imported = 0
    work = session.begin_nested()
    try:
        count, rows = _checked_rows(kind, parsing.read_rows(content_type, body), errors)
        for unit in kind.units(rows, options):
            try:
                with session.begin_nested():
                    unit.apply(session, actor)
                imported += 1
            except DomainError as error:
                for number, column in unit.locate(error):
                    errors.add(number, column, error.code, error.zh, error.en)
            except ValidationError as error:
                for number, _ in unit.rows:
                    errors.invalid(number, error)
            except IntegrityError:
                for number, _ in unit.rows:
                    errors.add(
                        number,
                        "",
                        "INTEGRITY_CONFLICT",
                        "数据与已有记录冲突。",
                        "The row conflicts with existing records.",
                    )
    except BaseException:
        work.rollback()
        raise
    if errors.count or dry_run:
        work.rollback()
    else:
        work.commit()
    outcome = "rejected" if errors.count else "validated" if dry_run else "imported"
    run = ImportRun(
        kind=kind.name.value,
        user_id=actor.user_id,
        filename=filename,
        content_type=content_type,
        dry_run=dry_run,
        outcome=outcome,
        row_count=count,
        errors=[error.model_dump() for error in errors.listed],
        created_at=clock.utcnow(),
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        actor,
        f"import.{outcome}",
        entity_type="import_run",
        entity_id=run.id,
        changes={
            "kind": kind.name.value,
            "rows": count,
            "errors": errors.count,
            "filename": filename,
            "dry_run": dry_run,
        },
    )
    if errors.count:
        raise Unprocessable(
            "IMPORT_REJECTED",
            f"{errors.count} errors in the upload; nothing was written.",
            f"上传文件有 {errors.count} 处错误，未写入任何数据。",
            persist=True,  # the ImportRun and its audit event stay
            extra={
                "import_run_id": run.id,
                "rows": count,
                "error_count": errors.count,
                "errors": [error.model_dump() for error in errors.listed],
            },
        )
    return ImportResult(
        kind=kind.name.value,
        dry_run=dry_run,
        rows=count,
        imported=0 if dry_run else imported,
        import_run_id=run.id,
    )


def list_runs(session: Session, actor: Actor, limit: int = 100) -> list[ImportRunRead]:
    """The caller's own uploads; finance and admin see everyone's."""
    everyone = actor.role in (Role.finance, Role.admin)
    runs = repository.runs(session, None if everyone else actor.user_id, limit)
    return [ImportRunRead.model_validate(run) for run in runs]
