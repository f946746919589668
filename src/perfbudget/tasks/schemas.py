from datetime import date, datetime

from pydantic import Field

from perfbudget.disclosure.models import PublicationKind
from perfbudget.enums import LabeledEnum
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.pagination import MAX_LIMIT
from perfbudget.schemas import Count, RequestModel, ResponseModel


class TaskKind(LabeledEnum):
    """What a task is about; the inbox groups its tasks by kind, in this order."""

    __labels__ = {
        "budget_item": ("预算申请", "Budget request"),
        "targets": ("绩效目标", "Performance targets"),
        "assessment": ("事前绩效评估", "Ex-ante assessment"),
        "assessment_review": ("事前评估评审任务", "Assessment review"),
        "monitoring_report": ("绩效监控报告", "Monthly monitoring report"),
        "rectification": ("整改", "Rectification"),
        "self_evaluation": ("绩效自评", "Self-evaluation"),
        "publication": ("信息公开", "Disclosure"),
    }
    budget_item = "budget_item"
    targets = "targets"
    assessment = "assessment"
    assessment_review = "assessment_review"
    monitoring_report = "monitoring_report"
    rectification = "rectification"
    self_evaluation = "self_evaluation"
    publication = "publication"


class TaskAction(LabeledEnum):
    """What the signed-in user is expected to do."""

    __labels__ = {
        "file": ("填报", "File"),
        "fix_after_return": ("退回修改", "Fix after a return"),
        "review": ("审核", "Review"),
        "decide": ("审定", "Decide"),
        "assign_reviewers": ("组织评审", "Assign reviewers"),
        "answer": ("反馈整改情况", "Answer"),
        "verify": ("核实整改", "Verify"),
        "grade": ("评定等级", "Grade"),
        "evaluate": ("开展第三方评价", "Evaluate as the commissioned third party"),
        "publish": ("公开", "Publish"),
    }
    file = "file"
    fix_after_return = "fix_after_return"
    review = "review"
    decide = "decide"
    assign_reviewers = "assign_reviewers"
    answer = "answer"
    verify = "verify"
    grade = "grade"
    evaluate = "evaluate"
    publish = "publish"


class TaskQuery(RequestModel):
    kind: TaskKind | None = Field(default=None, description="Only this kind's group")
    limit: int = Field(
        default=20, ge=1, le=MAX_LIMIT, description="Tasks listed per kind (at most 100)"
    )
    offset: Count = Field(default=0, ge=0, description="Tasks of each kind to skip")


class Task(ResponseModel):
    kind: TaskKind
    action: TaskAction
    object_id: int | None = Field(
        description="The target set, assessment, review, report, rectification or "
        "self-evaluation; the item for a budget request; null while it is not started yet "
        "(and for a disclosure)"
    )
    item_id: int | None = Field(description="The budget item it belongs to")
    month: int | None = Field(description="A monthly report's month (1–12)")
    fiscal_year: int
    title: str = Field(description="The item's name; for a disclosure, the department's")
    organisation: OrganisationRef | None = Field(
        description="Whose it is; null for the county's circular"
    )
    due_on: date | None = Field(description="The day it is due by, where a rule sets one")
    overdue: bool = Field(description="Past its due day (the county's calendar)")
    waiting_since: datetime | None = Field(
        description="When it reached this user: submitted, answered, assigned"
    )
    publication_kind: PublicationKind | None = Field(
        description="For a disclosure: what to publish"
    )
    path: str = Field(description="The resource to open (GET); its actions are under it")


class TaskGroup(ResponseModel):
    kind: TaskKind
    total: int = Field(description="Tasks of this kind in all")
    overdue: int = Field(description="Of them, past their due day")
    limit: int
    offset: int
    items: list[Task] = Field(description="Due first (overdue first), then the longest waiting")


class TaskInbox(ResponseModel):
    as_of: date = Field(description="The county's day the inbox is for (Beijing time)")
    total: int
    overdue: int
    groups: list[TaskGroup] = Field(description="One group per kind, in the kinds' order")


class TaskCount(ResponseModel):
    kind: TaskKind
    total: int
    overdue: int


class TaskSummary(ResponseModel):
    as_of: date
    total: int
    overdue: int
    kinds: list[TaskCount] = Field(description="Every kind, in the inbox's order")
