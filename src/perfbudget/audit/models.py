from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.db import Base, UTCDateTime


class ChainLink:
    """A link of a tamper-evident chain: who did what, when and from where, numbered and
    hashed over the previous link; the database refuses UPDATE and DELETE. Each chain
    declares its head row and the columns its hash covers."""

    CHAIN_HEAD: ClassVar[int]
    CHAINED: ClassVar[tuple[str, ...]]
    WHO = ("seq", "occurred_at", "user_id", "username", "role", "organisation_id")
    WHENCE = ("request_id", "client_address")

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    organisation_id: Mapped[int | None] = mapped_column()
    request_id: Mapped[str | None] = mapped_column(String(128))
    client_address: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditEvent(ChainLink, Base):
    """A state change, sign-in or denial in the audit trail's chain."""

    __tablename__ = "audit_events"
    CHAIN_HEAD = 1
    CHAINED = (*ChainLink.WHO, "action", "entity_type", "entity_id", "changes", *ChainLink.WHENCE)

    user_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str | None] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)

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


class Refusal(ChainLink, Base):
    """A refused write: who asked what, and the code it was answered with. A chain of its
    own beside the state changes' (an attack's refusals do not queue behind real writes),
    append-only and hash-linked in the same way."""

    __tablename__ = "refusals"
    CHAIN_HEAD = 2
    CHAINED = (*ChainLink.WHO, "method", "path", "status", "code", *ChainLink.WHENCE)

    user_id: Mapped[int | None] = mapped_column()
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(512))
    status: Mapped[int] = mapped_column(SmallInteger)
    code: Mapped[str] = mapped_column(String(64), index=True)

    __table_args__ = (
        # the rate limit counts a user's and an address's recent refusals
        Index("ix_refusals_user_time", "user_id", "occurred_at"),
        Index("ix_refusals_address_time", "client_address", "occurred_at"),
    )
