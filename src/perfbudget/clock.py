"""The one source of 'now', so rules that depend on time can be tested."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
