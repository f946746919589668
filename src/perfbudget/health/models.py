from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.db import Base, UTCDateTime


class SchemaCompatibility(Base):
    """One row, written by migrations/env.py: the oldest code revision the schema serves."""

    __tablename__ = "schema_compatibility"

    id: Mapped[int] = mapped_column(primary_key=True)
    oldest_code_revision: Mapped[str | None] = mapped_column(String(32))
    revision: Mapped[str | None] = mapped_column(String(32))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())
