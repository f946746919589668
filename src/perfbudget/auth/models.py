"""Failed sign-ins, counted per name as typed and client address (等保 level 3 lockout)."""

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.db import Base, UTCDateTime

# No account's name is longer (users.username): a longer one typed is cut to this.
USERNAME_LENGTH = 64


class SignInFailure(Base):
    """The failures under one username as typed (stripped, lower case), known or not, from one
    client address; or, where ``client_address`` is NULL, from all addresses together (the
    account-wide count). Keyed by the name rather than the user, so that an unknown name is
    counted and locked exactly as a known one and the answers cannot tell them apart."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_LENGTH))
    client_address: Mapped[str | None] = mapped_column(String(64))
    failure_count: Mapped[int] = mapped_column(default=0)
    # the first failure of the current series: the account-wide count's window starts here
    first_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the last successful sign-in from this address: a usual address, which the account-wide
    # lock spares
    signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("username", "client_address"),
        # one account-wide record per name (NULLs are distinct in the constraint above)
        Index(
            "uq_sign_in_failures_account",
            "username",
            unique=True,
            sqlite_where=text("client_address IS NULL"),
            postgresql_where=text("client_address IS NULL"),
        ),
    )
