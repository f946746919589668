"""The one source of 'now', so rules that depend on time can be tested, and so the demo can
file its history at the moments the story says it happened."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_replayed: ContextVar[datetime | None] = ContextVar("perfbudget_replayed_now", default=None)


def system_now() -> datetime:
    """The machine's clock (tests move it by replacing this function)."""
    return datetime.now(UTC)


def utcnow() -> datetime:
    moment = _replayed.get()
    return moment if moment is not None else system_now()


@contextmanager
def replaying(moment: datetime) -> Iterator[datetime]:
    """Within the block, 'now' is ``moment``: the demo loader files last month's report on
    the 5th of this month, not at load time. Never used while serving requests."""
    if moment.tzinfo is None:
        raise ValueError("a replayed moment must be timezone-aware")
    token = _replayed.set(moment.astimezone(UTC))
    try:
        yield moment
    finally:
        _replayed.reset(token)
