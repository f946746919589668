from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.db import Base, UTCDateTime


class AuditEvent(Base):
    """One link of the tamper-evident chain; the database refuses UPDATE and DELETE."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    organisation_id: Mapped[int | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str | None] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(128))
    client_address: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id"),)


class AuditSubject(Base):
    """Another object an event is about, beyond its own entity: a batch upload is one event
    about every object it wrote. An index for reading an object's trail; the ids themselves
    are in the event's hashed ``changes``."""

    __tablename__ = "audit_event_subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_seq: Mapped[int] = mapped_column(BigInteger, ForeignKey("audit_events.seq"), index=True)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_event_subjects_entity", "entity_type", "entity_id"),)


class AuditChainHead(Base):
    """A single row naming the chain's last link; locked only while a transaction that
    recorded events appends them, just before it commits."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
