from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, lazyload

from perfbudget.db import insert_many, replace_children, update_many
from perfbudget.pagination import fetch_page
from perfbudget.targets.models import TargetLine, TargetSet, TargetSetStatus

_OTHER = aliased(TargetSet, name="other_version")


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


def versions_page(
    session: Session, item_id: int, *, limit: int, offset: int
) -> tuple[list[TargetSet], int]:
    """Newest first, in three statements (count, sets, lines)."""
    query = select(TargetSet).where(TargetSet.item_id == item_id)
    return fetch_page(session, query, [TargetSet.number.desc()], limit=limit, offset=offset)


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
    return approved_lines_of_items(session, [item_id]).get(item_id, [])


def approved_lines_of_items(
    session: Session, item_ids: Sequence[int]
) -> dict[int, list[TargetLine]]:
    """``approved_lines`` of many items in one statement."""
    grouped: dict[int, list[TargetLine]] = defaultdict(list)
    if not item_ids:
        return grouped
    rows = session.execute(
        select(TargetSet.item_id, TargetLine)
        .join(TargetSet, TargetSet.id == TargetLine.target_set_id)
        .where(TargetSet.item_id.in_(item_ids), TargetSet.status == TargetSetStatus.approved)
        .order_by(TargetSet.item_id, TargetLine.position)
    )
    for item_id, line in rows:
        grouped[item_id].append(line)
    return grouped


def current_of_items(
    session: Session, item_ids: Sequence[int], *, lock: bool = False
) -> dict[int, TargetSet]:
    """``current`` of many items, without their lines, in one statement; with ``lock`` the
    sets stay locked until the commit (PostgreSQL)."""
    if not item_ids:
        return {}
    newest = (
        select(func.max(_OTHER.number)).where(_OTHER.item_id == TargetSet.item_id).scalar_subquery()
    )
    query = (
        select(TargetSet)
        .where(TargetSet.item_id.in_(item_ids), TargetSet.number == newest)
        .order_by(TargetSet.id)
        .options(lazyload(TargetSet.lines))
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return {row.item_id: row for row in session.scalars(query)}


def insert_sets(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """New target sets by one bulk statement; their ids in the order of ``rows``."""
    return insert_many(session, TargetSet, rows)


def update_sets(session: Session, rows: list[dict[str, Any]]) -> None:
    """Stored sets changed (each row names its ``id`` and the ``version`` read), in bulk."""
    update_many(session, TargetSet, rows)


def replace_lines(session: Session, set_ids: Sequence[int], rows: list[dict[str, Any]]) -> None:
    """The sets' lines are ``rows`` (each naming its ``target_set_id``) and no others."""
    replace_children(session, TargetLine, TargetLine.target_set_id, set_ids, rows)


def add(session: Session, target_set: TargetSet) -> None:
    session.add(target_set)
