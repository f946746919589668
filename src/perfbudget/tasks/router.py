from typing import Annotated

from fastapi import APIRouter, Query

from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.db import SessionDep
from perfbudget.principal import Actor
from perfbudget.tasks import service
from perfbudget.tasks.schemas import TaskInbox, TaskQuery, TaskSummary

router = APIRouter(prefix="/api/v1/me/tasks", tags=["tasks"])
Reader = Annotated[Actor, Allowed(Permission.tasks_read)]


@router.get("", operation_id="list_my_tasks")
def list_my_tasks(
    session: SessionDep, actor: Reader, query: Annotated[TaskQuery, Query()]
) -> TaskInbox:
    """What awaits you now (待办事项), grouped by kind, due first, at most `limit` per kind."""
    return service.inbox(session, actor, query)


@router.get("/summary", operation_id="summarise_my_tasks")
def summarise_my_tasks(session: SessionDep, actor: Reader) -> TaskSummary:
    """How many tasks of each kind await you, and how many are overdue (for a badge)."""
    return service.summary(session, actor)
