"""Column helpers shared by the domain models."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.clock import utcnow
from perfbudget.db import UTCDateTime


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


def enum_type(enum_class: type[StrEnum]) -> Enum:
    """Store an enum as its value in a VARCHAR (portable; no native PostgreSQL type)."""
    return Enum(
        enum_class,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
