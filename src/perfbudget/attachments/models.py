from datetime import datetime
from typing import ClassVar

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.db import Base, UTCDateTime


class Attachment(Base):
    """A file kept by SHA-256 under the attachments directory, owned by one record."""

    __tablename__ = "attachments"
    __audit_entity__: ClassVar[str] = "attachment"
    __audited__: ClassVar[tuple[str, ...]] = (
        "owner_type",
        "owner_id",
        "filename",
        "content_type",
        "size_bytes",
        "sha256",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[int] = mapped_column()
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_attachments_owner", "owner_type", "owner_id"),)
