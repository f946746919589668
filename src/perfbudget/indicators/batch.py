"""A department's library in one upload (S2.2.1): owners and the names already taken read
in a fixed number of statements, each indicator checked by ``check_library_indicator`` as a
single one is (a name given twice in the file is taken the second time), and the accepted
ones written by one bulk statement."""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from perfbudget.bulk import Batch, Origin, Written, unique
from perfbudget.indicators import repository
from perfbudget.indicators.schemas import LibraryIndicatorCreate
from perfbudget.indicators.service import check_library_indicator
from perfbudget.orgs import service as org_service
from perfbudget.principal import Actor

ENTITY = "library_indicator"


@dataclass(frozen=True)
class Entry:
    key: Hashable
    data: LibraryIndicatorCreate


def plan(session: Session, actor: Actor, entries: Sequence[Entry]) -> Batch[Hashable]:
    owners = org_service.visible_by_id(
        session, actor, unique(entry.data.organisation_id for entry in entries)
    )
    taken = repository.library_names_taken(
        session, unique((e.data.organisation_id, e.data.name) for e in entries)
    )
    batch: Batch[Hashable] = Batch()
    accepted: list[Entry] = []
    for entry in entries:
        name = (entry.data.organisation_id, entry.data.name)

        def decide(entry: Entry = entry, name: tuple[int, str] = name) -> None:
            check_library_indicator(
                entry.data, owners.get(entry.data.organisation_id), name_taken=name in taken
            )

        batch.attempt(entry.key, decide)
        if entry.key not in batch.refusals:
            taken.add(name)
            accepted.append(entry)
    batch.write = lambda session, origin: _write(session, origin, accepted)
    return batch


def _write(session: Session, origin: Origin, entries: list[Entry]) -> Written:
    ids = repository.insert_library(
        session,
        [
            {
                **entry.data.model_dump(),
                "is_active": True,
                "created_by_id": origin.actor.user_id,
                "created_at": origin.now,
                "updated_at": origin.now,
                "version": 1,
            }
            for entry in entries
        ],
    )
    return Written(count=len(ids), created={ENTITY: ids})
