"""Set-based writes for batch uploads: the facts of every entry loaded in a fixed number of
statements, each entry checked by the same rule functions as the single-object endpoint,
and the accepted entries written with bulk statements.

A stage's batch module offers ``plan(session, actor, entries, …) -> Batch``: the refusal of
each entry that a rule refused, and a ``write`` for the rest that reports what it wrote.
"""

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from perfbudget.errors import DomainError
from perfbudget.principal import Actor

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


@dataclass(frozen=True)
class Origin:
    """Who writes a batch and under which upload: every row it writes names the run."""

    actor: Actor
    run_id: int
    now: datetime


@dataclass
class Written:
    """What a batch wrote: the objects it created or changed, by the entity type of their
    audit trail, and other objects it concerns (a payment concerns its item)."""

    count: int = 0
    created: dict[str, list[int]] = field(default_factory=dict)
    changed: dict[str, list[int]] = field(default_factory=dict)
    concerning: dict[str, list[int]] = field(default_factory=dict)

    def subjects(self) -> list[tuple[str, int]]:
        """Every object named, once, for the upload's one audit event."""
        seen: dict[tuple[str, int], None] = {}
        for group in (self.created, self.changed, self.concerning):
            for entity_type, ids in group.items():
                seen.update(((entity_type, entity_id), None) for entity_id in ids)
        return list(seen)


@dataclass
class Batch(Generic[K]):
    """The outcome of checking a batch: a refusal per refused entry, and the write of the
    accepted ones (called only when nothing was refused: uploads are all or nothing)."""

    refusals: dict[K, DomainError] = field(default_factory=dict)
    write: Callable[[Session, Origin], Written] = field(default=lambda _s, _o: Written())

    def attempt(self, key: K, rule: Callable[[], T]) -> T | None:
        """The rule's result, or None with its refusal kept for ``key``."""
        try:
            return rule()
        except DomainError as error:
            self.refusals[key] = error
            return None


def unique(values: Iterable[T]) -> list[T]:
    """The values once each, in their first order (ids for an ``IN`` list)."""
    return list(dict.fromkeys(values))
