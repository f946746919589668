"""The to-do inbox (待办事项): what awaits the signed-in user now, grouped by kind. Finance
sees the county's queues, a department user its own organisation's and its units', an
expert or a third party its assignments, the investment authority the assessments it files;
oversight and admin take no step in the workflow and have none.

Statements per request are fixed, whatever the county's size: the reviewers' queues in one
(tasks.queues.queued), an owner's facts in three more, finance's disclosures in two."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from perfbudget.disclosure.models import PublicationKind
from perfbudget.monitoring import schedule
from perfbudget.principal import Actor, Role
from perfbudget.tasks import queues, repository, rules
from perfbudget.tasks.rules import TaskRow
from perfbudget.tasks.schemas import (
    Task,
    TaskCount,
    TaskGroup,
    TaskInbox,
    TaskKind,
    TaskQuery,
    TaskSummary,
)

API = "/api/v1"


def _computed(session: Session, actor: Actor, today: date) -> list[TaskRow]:
    """The tasks that follow from rules over the user's facts: an owner's filings (a
    department's subtree, the investment authority's assessments) and finance's
    disclosures. All of them: an owner's are few, and so are a county's departments."""
    if actor.role is Role.department:
        owned = repository.owned_items(session, actor)
        reports = repository.owned_reports(session, actor)
        return rules.owner_tasks(actor.role, owned, reports, today)
    if actor.role is Role.investment:
        return rules.owner_tasks(actor.role, repository.owned_items(session, actor), {}, today)
    if actor.role is Role.finance:
        return rules.publication_tasks(
            repository.disclosable(session, rules.PUBLISHED_FROM), repository.published(session)
        )
    return []


def _path(task: TaskRow) -> str:
    """Where a client opens the task's object; its actions are under it."""
    item = f"{API}/budget-items/{task.item_id}"
    match task.kind:
        case TaskKind.budget_item:
            return item
        case TaskKind.targets:
            return f"{item}/targets"
        case TaskKind.assessment:
            return f"{item}/assessment"
        case TaskKind.assessment_review:
            return f"{API}/assessment-reviews/{task.object_id}"
        case TaskKind.monitoring_report:
            return f"{item}/monitoring-reports/{task.month}"
        case TaskKind.rectification:
            return f"{API}/rectifications/{task.object_id}"
        case TaskKind.self_evaluation:
            return f"{item}/self-evaluation"
    publications = f"{API}/fiscal-years/{task.fiscal_year}/publications"
    return (
        f"{publications}/circular"
        if task.publication_kind is PublicationKind.circular
        else publications
    )


def _task(task: TaskRow, today: date) -> Task:
    return Task(
        kind=task.kind,
        action=task.action,
        object_id=task.object_id,
        item_id=task.item_id,
        month=task.month,
        fiscal_year=task.fiscal_year,
        title=task.title,
        organisation=task.organisation,
        due_on=task.due_on,
        overdue=task.overdue(today),
        waiting_since=task.waiting_since,
        publication_kind=task.publication_kind,
        path=_path(task),
    )


def _kinds(kind: TaskKind | None) -> Sequence[TaskKind]:
    return tuple(TaskKind) if kind is None else (kind,)


def inbox(session: Session, actor: Actor, query: TaskQuery) -> TaskInbox:
    """Each kind's tasks from ``offset``, at most ``limit`` of them, and each kind's totals."""
    today = schedule.local_today()
    kinds = _kinds(query.kind)
    computed = _computed(session, actor, today)
    # the queues' first offset + limit of each kind suffice: merged with the computed
    # tasks in the same order, nothing later can come before them
    queued = queues.queued(session, actor, kinds, today, query.offset + query.limit)
    groups = []
    for kind in kinds:
        own = [task for task in computed if task.kind is kind]
        merged = sorted(own + [t for t in queued.rows if t.kind is kind], key=TaskRow.order)
        groups.append(
            TaskGroup(
                kind=kind,
                total=len(own) + queued.totals.get(kind, 0),
                overdue=sum(task.overdue(today) for task in own) + queued.overdue.get(kind, 0),
                limit=query.limit,
                offset=query.offset,
                items=[
                    _task(task, today) for task in merged[query.offset : query.offset + query.limit]
                ],
            )
        )
    return TaskInbox(
        as_of=today,
        total=sum(group.total for group in groups),
        overdue=sum(group.overdue for group in groups),
        groups=groups,
    )


def summary(session: Session, actor: Actor) -> TaskSummary:
    """The inbox's counts per kind, for a badge: the same tasks, counted."""
    today = schedule.local_today()
    kinds = _kinds(None)
    computed = _computed(session, actor, today)
    queued = queues.queue_counts(session, actor, kinds, today)
    counts = []
    for kind in kinds:
        own = [task for task in computed if task.kind is kind]
        total, overdue = queued.get(kind, (0, 0))
        counts.append(
            TaskCount(
                kind=kind,
                total=total + len(own),
                overdue=overdue + sum(task.overdue(today) for task in own),
            )
        )
    return TaskSummary(
        as_of=today,
        total=sum(count.total for count in counts),
        overdue=sum(count.overdue for count in counts),
        kinds=counts,
    )
