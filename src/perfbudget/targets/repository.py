from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from perfbudget.targets.models import TargetLine, TargetSet, TargetSetStatus


def sets_for_items(session: Session, item_ids: Sequence[int]) -> dict[int, list[TargetSet]]:
    """Every version of every item's targets, newest first, in two statements (sets, lines)."""
    grouped: dict[int, list[TargetSet]] = defaultdict(list)
    if not item_ids:
        return grouped
    rows = session.scalars(
        select(TargetSet)
        .where(TargetSet.item_id.in_(item_ids))
        .order_by(TargetSet.item_id, TargetSet.number.desc())
    )
    for target_set in rows:
        grouped[target_set.item_id].append(target_set)
    return grouped


def versions(session: Session, item_id: int) -> list[TargetSet]:
    return sets_for_items(session, [item_id]).get(item_id, [])


def current(session: Session, item_id: int) -> TargetSet | None:
    return session.scalars(
        select(TargetSet)
        .where(TargetSet.item_id == item_id)
        .order_by(TargetSet.number.desc())
        .limit(1)
    ).first()


def approved(session: Session, item_id: int) -> TargetSet | None:
    return session.scalars(
        select(TargetSet).where(
            TargetSet.item_id == item_id, TargetSet.status == TargetSetStatus.approved
        )
    ).first()


def approved_lines(session: Session, item_id: int) -> list[TargetLine]:
    """The lines of the version in force, in order, in one statement (without the set, whose
    ``selectin`` loading would read them again for every report of a batch)."""
    return list(
        session.scalars(
            select(TargetLine)
            .join(TargetSet, TargetSet.id == TargetLine.target_set_id)
            .where(TargetSet.item_id == item_id, TargetSet.status == TargetSetStatus.approved)
            .order_by(TargetLine.position)
        )
    )


def add(session: Session, target_set: TargetSet) -> None:
    session.add(target_set)
