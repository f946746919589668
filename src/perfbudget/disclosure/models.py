"""Public disclosure (S4.4): what finance publishes is a snapshot of allow-listed fields."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.db import Base, UTCDateTime
from perfbudget.enums import LabeledEnum
from perfbudget.models_base import enum_type


class PublicationKind(LabeledEnum):
    __labels__ = {
        "targets": ("绩效目标（随部门预算公开）", "Performance targets (with the budget)"),
        "results": ("绩效评价结果（随部门决算公开）", "Evaluation results (with final accounts)"),
        "circular": ("部门绩效管理工作考核通报", "Department assessment circular"),
    }
    targets = "targets"
    results = "results"
    circular = "circular"


class Publication(Base):
    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    # a stable public identifier, e.g. "2026-201-targets"
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    fiscal_year_id: Mapped[int] = mapped_column(ForeignKey("fiscal_years.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[PublicationKind] = mapped_column(enum_type(PublicationKind))
    # only allow-listed public fields, frozen at publication
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_publications_year_kind", "fiscal_year_id", "kind"),)
