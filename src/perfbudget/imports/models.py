"""A record of every batch upload: who sent what, how many rows, and what was wrong."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.db import Base, UTCDateTime
from perfbudget.enums import LabeledEnum
from perfbudget.models_base import enum_type


class ImportOutcome(LabeledEnum):
    __labels__ = {
        "running": ("处理中", "Running"),
        "validated": ("校验通过（试运行）", "Validated (dry run)"),
        "imported": ("已导入", "Imported"),
        "rejected": ("有错误，未写入", "Rejected: nothing written"),
        "refused": ("文件被拒收", "Refused: the file could not be read"),
        "failed": ("处理失败", "Failed"),
        "abandoned": ("已中止", "Abandoned"),
    }
    running = "running"
    validated = "validated"
    imported = "imported"
    rejected = "rejected"
    refused = "refused"
    failed = "failed"
    abandoned = "abandoned"


class ImportRun(Base):
    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(48), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the body as received: what exactly was uploaded, in the run and its audit event
    sha256: Mapped[str | None] = mapped_column(String(64))
    dry_run: Mapped[bool] = mapped_column()
    outcome: Mapped[ImportOutcome] = mapped_column(enum_type(ImportOutcome))
    row_count: Mapped[int] = mapped_column()
    imported: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        # one running upload per user (IMPORT_IN_PROGRESS): the database decides a race
        Index(
            "uq_import_runs_running_user",
            "user_id",
            unique=True,
            sqlite_where=text("outcome = 'running'"),
            postgresql_where=text("outcome = 'running'"),
        ),
    )
