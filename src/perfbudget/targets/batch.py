"""Many items' targets at once (S2.2.2): items, their current target sets and the indicators
the lines reuse read in a fixed number of statements, each item's set checked by
``check_filing`` as a single save is, and the accepted sets written by bulk statements."""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import repository as item_repository
from perfbudget.bulk import Batch, Origin, Written, unique
from perfbudget.indicators import service as indicator_service
from perfbudget.principal import Actor
from perfbudget.targets import repository
from perfbudget.targets.filing import check_filing
from perfbudget.targets.models import TargetSet, TargetSetStatus
from perfbudget.targets.schemas import TargetSetWrite

ENTITY = TargetSet.__audit_entity__


@dataclass(frozen=True)
class Entry:
    key: Hashable
    item_id: int
    data: TargetSetWrite


def plan(
    session: Session, actor: Actor, entries: Sequence[Entry], *, lock: bool = False
) -> Batch[Hashable]:
    """Check every item's set; ``lock``: the current sets stay locked until the commit."""
    items = item_repository.visible_by_id(session, actor, unique(e.item_id for e in entries))
    current = repository.current_of_items(session, list(items), lock=lock)
    lines = [line for entry in entries for line in entry.data.lines]
    library = indicator_service.library_by_id(
        session, unique(line.library_indicator_id for line in lines if line.library_indicator_id)
    )
    framework = indicator_service.framework_by_id(
        session,
        unique(line.framework_indicator_id for line in lines if line.framework_indicator_id),
    )
    batch: Batch[Hashable] = Batch()
    accepted: list[tuple[Entry, TargetSet | None]] = []
    for entry in entries:
        stored = current.get(entry.item_id)

        def decide(entry: Entry = entry, stored: TargetSet | None = stored) -> None:
            item = items.get(entry.item_id)
            if item is None:
                raise item_access.item_not_found()
            check_filing(
                actor,
                item,
                stored,
                entry.data,
                entry.data.version,
                library=library,
                framework=framework,
            )

        batch.attempt(entry.key, decide)
        if entry.key not in batch.refusals:
            accepted.append((entry, stored))
    batch.write = lambda session, origin: _write(session, origin, accepted)
    return batch


def _write(
    session: Session, origin: Origin, accepted: list[tuple[Entry, TargetSet | None]]
) -> Written:
    new = [entry for entry, stored in accepted if stored is None]
    changed = [(entry, stored) for entry, stored in accepted if stored is not None]
    created = repository.insert_sets(
        session,
        [
            {
                "item_id": entry.item_id,
                "number": 1,
                "status": TargetSetStatus.draft,
                "overall_goal": entry.data.overall_goal,
                "created_by_id": origin.actor.user_id,
                "created_at": origin.now,
                "updated_at": origin.now,
                "version": 1,
            }
            for entry in new
        ],
    )
    repository.update_sets(
        session,
        [
            {
                "id": stored.id,
                "version": stored.version,
                "overall_goal": entry.data.overall_goal,
                "updated_at": origin.now,
            }
            for entry, stored in changed
        ],
    )
    updated = [stored.id for _, stored in changed]
    repository.replace_lines(
        session,
        updated,
        [
            {"target_set_id": set_id, "position": position, **line.model_dump()}
            for set_id, entry in zip(
                created + updated, new + [entry for entry, _ in changed], strict=True
            )
            for position, line in enumerate(entry.data.lines, start=1)
        ],
    )
    return Written(
        count=len(accepted),
        created={ENTITY: created} if created else {},
        changed={ENTITY: updated} if updated else {},
    )
