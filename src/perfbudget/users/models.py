from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from perfbudget.db import Base, UTCDateTime
from perfbudget.models_base import Timestamps, enum_type
from perfbudget.orgs.models import Organisation
from perfbudget.principal import Role


class User(Timestamps, Base):
    """An account; disabled, never deleted."""

    __tablename__ = "users"
    __audit_entity__: ClassVar[str] = "user"
    __audited__: ClassVar[tuple[str, ...]] = (
        "username",
        "display_name",
        "role",
        "organisation_id",
        "is_active",
        "must_change_password",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change, disable, role or organisation change: older tokens die.
    token_version: Mapped[int] = mapped_column(default=1)
    # For administrators, a summary of sign_in_failures (perfbudget.auth), which decides: the
    # failures under the name from all addresses in the current window, and the end of the
    # latest lock on the name (from one address, or account-wide).
    failed_login_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column()

    organisation: Mapped[Organisation | None] = relationship(lazy="joined", innerjoin=False)

    __mapper_args__ = {"version_id_col": version}
