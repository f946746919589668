"""The reviewers' queues of the to-do inbox: the objects waiting for a parent department,
finance, an assigned expert or third party are one UNION ALL (``tasks.queue_branches``),
ranked per kind by a window, so a whole inbox's queues are one statement however long they
are."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select, union_all
from sqlalchemy.orm import Session

from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.orgs.models import Organisation
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.principal import Actor
from perfbudget.tasks.queue_branches import queues
from perfbudget.tasks.rules import TaskRow
from perfbudget.tasks.schemas import TaskAction, TaskKind


@dataclass(frozen=True)
class Queued:
    """The first rows of each kind's queues, and each kind's totals."""

    rows: list[TaskRow]
    totals: dict[TaskKind, int]
    overdue: dict[TaskKind, int]


def queued(
    session: Session, actor: Actor, kinds: Sequence[TaskKind], today: date, first: int
) -> Queued:
    """The first ``first`` tasks of each kind in the inbox's order (tasks.rules.TaskRow.order)
    with their owners and years, and every kind's count: one statement."""
    branches = queues(actor, kinds)
    if not branches:
        return Queued([], {}, {})
    tasks = union_all(*branches).subquery("tasks")
    order = [
        tasks.c.due_on.asc().nulls_last(),
        tasks.c.since.asc().nulls_last(),
        tasks.c.item_id.asc().nulls_last(),
        tasks.c.month.asc().nulls_last(),
        tasks.c.object_id.asc().nulls_last(),
        tasks.c.organisation_id.asc().nulls_last(),
        tasks.c.fiscal_year_id.asc(),
    ]
    kind = tasks.c.kind
    ranked = select(
        *tasks.c,
        func.row_number().over(partition_by=kind, order_by=order).label("position"),
        func.count().over(partition_by=kind).label("kind_total"),
        func.sum(case((tasks.c.due_on < today, 1), else_=0))
        .over(partition_by=kind)
        .label("kind_overdue"),
    ).subquery("ranked")
    rows = session.execute(
        select(
            ranked,
            FiscalYear.year,
            Organisation.code.label("organisation_code"),
            Organisation.name_zh.label("organisation_name_zh"),
        )
        .join(FiscalYear, FiscalYear.id == ranked.c.fiscal_year_id)
        .join(Organisation, Organisation.id == ranked.c.organisation_id)
        .where(ranked.c.position <= first)
    ).all()
    totals: dict[TaskKind, int] = {}
    overdue: dict[TaskKind, int] = {}
    for row in rows:
        totals[TaskKind(row.kind)] = int(row.kind_total)
        overdue[TaskKind(row.kind)] = int(row.kind_overdue or 0)
    return Queued([_task_row(row) for row in rows], totals, overdue)


def _task_row(row: Any) -> TaskRow:
    return TaskRow(
        kind=TaskKind(row.kind),
        action=TaskAction(row.action),
        fiscal_year_id=row.fiscal_year_id,
        fiscal_year=row.year,
        title=row.title,
        organisation=OrganisationRef(
            id=row.organisation_id, code=row.organisation_code, name_zh=row.organisation_name_zh
        ),
        object_id=row.object_id,
        item_id=row.item_id,
        month=row.month,
        due_on=row.due_on,
        waiting_since=row.since,
    )


def queue_counts(
    session: Session, actor: Actor, kinds: Sequence[TaskKind], today: date
) -> dict[TaskKind, tuple[int, int]]:
    """Per kind: the tasks in the queues and how many are overdue; one statement."""
    branches = queues(actor, kinds)
    if not branches:
        return {}
    tasks = union_all(*branches).subquery("tasks")
    rows = session.execute(
        select(
            tasks.c.kind,
            func.count(),
            func.sum(case((tasks.c.due_on < today, 1), else_=0)),
        ).group_by(tasks.c.kind)
    ).all()
    return {TaskKind(kind): (int(total), int(late or 0)) for kind, total, late in rows}
