"""Many payments at once (the treasury feed, S2.3.2): items, holds, totals and references
read in a fixed number of statements, each payment checked in file order by
``check_disbursement`` as a single one is, with the totals of the payments accepted before
it, and the accepted ones written by one bulk statement."""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import repository as item_repository
from perfbudget.bulk import Batch, Origin, Written, unique
from perfbudget.payments import repository
from perfbudget.payments.schemas import DisbursementCreate
from perfbudget.payments.service import ZERO, check_disbursement
from perfbudget.principal import Actor


@dataclass(frozen=True)
class Entry:
    key: Hashable
    item_id: int
    data: DisbursementCreate


def plan(
    session: Session, actor: Actor, entries: Sequence[Entry], *, lock: bool = False
) -> Batch[Hashable]:
    """Check every payment; ``lock``: the items stay locked until the commit, as for one."""
    items = item_repository.visible_by_id(
        session, actor, unique(entry.item_id for entry in entries), lock=lock
    )
    holds = repository.active_holds(session, list(items))
    disbursed = repository.disbursed_totals(session, list(items))
    taken = repository.references_taken(
        session, unique(e.data.external_reference for e in entries if e.data.external_reference)
    )
    batch: Batch[Hashable] = Batch()
    accepted: list[Entry] = []
    for entry in entries:

        def decide(entry: Entry = entry) -> Entry:
            item = items.get(entry.item_id)
            if item is None:
                raise item_access.item_not_found()
            check_disbursement(
                item,
                entry.data,
                holds=holds.get(item.id, []),
                disbursed=disbursed.get(item.id, ZERO),
                reference_taken=entry.data.external_reference in taken,
            )
            return entry

        if batch.attempt(entry.key, decide) is not None:
            # the next payments of the file see this one, as they would one by one
            disbursed[entry.item_id] = disbursed.get(entry.item_id, ZERO) + entry.data.amount
            if entry.data.external_reference:
                taken.add(entry.data.external_reference)
            accepted.append(entry)
    batch.write = lambda session, origin: _write(session, origin, accepted)
    return batch


def _write(session: Session, origin: Origin, entries: list[Entry]) -> Written:
    ids = repository.insert_disbursements(
        session,
        [
            {
                "item_id": entry.item_id,
                "recorded_by_id": origin.actor.user_id,
                "recorded_at": origin.now,
                **entry.data.model_dump(),
            }
            for entry in entries
        ],
    )
    return Written(
        count=len(entries),
        created={"disbursement": ids},
        concerning={"budget_item": unique(entry.item_id for entry in entries)},
    )
