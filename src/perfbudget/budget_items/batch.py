"""Many budget requests at once (S1.1, S2.2.2): fiscal years, owners and continued items
read in a fixed number of statements, each request checked by ``check_creation`` as a
single one is, and the accepted ones written by bulk statements. Each item's history starts
with the upload that created it."""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from perfbudget.budget_items import repository
from perfbudget.budget_items.models import ItemStatus
from perfbudget.budget_items.schemas import BudgetItemCreate
from perfbudget.budget_items.service import check_creation
from perfbudget.bulk import Batch, Origin, Written, unique
from perfbudget.fiscal_years import repository as fiscal_year_repository
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.orgs import repository as org_repository
from perfbudget.principal import Actor

ENTITY = "budget_item"


@dataclass(frozen=True)
class Entry:
    key: Hashable
    data: BudgetItemCreate


def plan(session: Session, actor: Actor, entries: Sequence[Entry]) -> Batch[Hashable]:
    years = fiscal_year_repository.by_years(session, unique(e.data.fiscal_year for e in entries))
    owners = org_repository.visible_by_id(
        session, actor, unique(e.data.organisation_id for e in entries)
    )
    continued = repository.visible_by_id(
        session,
        actor,
        unique(e.data.continues_item_id for e in entries if e.data.continues_item_id),
    )
    batch: Batch[Hashable] = Batch()
    accepted: list[tuple[Entry, FiscalYear]] = []
    for entry in entries:
        data = entry.data
        fiscal_year = years.get(data.fiscal_year)

        def decide(
            data: BudgetItemCreate = data, fiscal_year: FiscalYear | None = fiscal_year
        ) -> None:
            check_creation(
                data,
                fiscal_year,
                owners.get(data.organisation_id),
                continued.get(data.continues_item_id or 0),
            )

        batch.attempt(entry.key, decide)
        if entry.key not in batch.refusals and fiscal_year is not None:
            accepted.append((entry, fiscal_year))
    batch.write = lambda session, origin: _write(session, origin, accepted)
    return batch


def _write(session: Session, origin: Origin, accepted: list[tuple[Entry, FiscalYear]]) -> Written:
    ids = repository.insert_items(
        session,
        [
            {
                "fiscal_year_id": fiscal_year.id,
                "organisation_id": entry.data.organisation_id,
                "status": ItemStatus.draft,
                "created_by_id": origin.actor.user_id,
                "created_at": origin.now,
                "updated_at": origin.now,
                "version": 1,
                **entry.data.model_dump(exclude={"fiscal_year", "organisation_id"}),
            }
            for entry, fiscal_year in accepted
        ],
    )
    repository.insert_events(
        session,
        [
            {
                "item_id": item_id,
                "from_status": None,
                "to_status": ItemStatus.draft.value,
                "action": "imported",
                "user_id": origin.actor.user_id,
                "occurred_at": origin.now,
                "import_run_id": origin.run_id,
            }
            for item_id in ids
        ],
    )
    return Written(count=len(ids), created={ENTITY: ids})
