"""The reviewers' queues as branches of one UNION ALL (``tasks.queues`` ranks and reads them):
what waits for a parent department, finance, an assigned expert or third party, one
``select`` per kind of object, all with the same columns."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Date, Select, case, cast, func, null, or_, select, true

from perfbudget.assessments.models import (
    Assessment,
    AssessmentReview,
    AssessmentStatus,
    ReviewStatus,
)
from perfbudget.budget_items.models import BudgetItem, ItemStatus
from perfbudget.budget_items.repository import visible
from perfbudget.evaluations.models import EvaluationStatus, SelfEvaluation
from perfbudget.monitoring.models import (
    MonitoringReport,
    Rectification,
    RectificationStatus,
    ReportStatus,
)
from perfbudget.monitoring.rectifications import ANSWERABLE
from perfbudget.orgs.models import Organisation
from perfbudget.principal import Actor, Role
from perfbudget.targets.models import TargetSet, TargetSetStatus
from perfbudget.tasks.repository import NO_NUMBER, typed_text
from perfbudget.tasks.schemas import TaskAction, TaskKind


def _branch(
    kind: TaskKind,
    action: TaskAction | ColumnElement[str],
    *,
    object_id: Any,
    since: Any,
    month: Any = NO_NUMBER,
    due_on: Any = None,
) -> Select[Any]:
    """One queue as the union's columns: what and whose, due when, waiting since when. Every
    branch reads its item (title, year, owner)."""
    return select(
        typed_text(kind.value).label("kind"),
        (action if isinstance(action, ColumnElement) else typed_text(action.value)).label("action"),
        object_id.label("object_id"),
        BudgetItem.id.label("item_id"),
        month.label("month"),
        BudgetItem.fiscal_year_id.label("fiscal_year_id"),
        BudgetItem.name.label("title"),
        BudgetItem.organisation_id.label("organisation_id"),
        (cast(null(), Date) if due_on is None else due_on).label("due_on"),
        since.label("since"),
    ).select_from(BudgetItem)


# The ids in a status first, then their rows: SQLite finds them in an index holding the status
# (ix_budget_items_year_status, ix_monitoring_reports_year_month) instead of reading every row
# it joins (a report's row is wide, with its lights, and a county has 200,000 of them).


def _items_in(status: ItemStatus) -> ColumnElement[bool]:
    return BudgetItem.id.in_(select(BudgetItem.id).where(BudgetItem.status == status))


def _reports_in(status: ReportStatus) -> ColumnElement[bool]:
    return MonitoringReport.id.in_(
        select(MonitoringReport.id).where(MonitoringReport.status == status)
    )


def _below(actor: Actor) -> ColumnElement[bool]:
    """Owned by a unit under the user's organisation: what its department reviews before
    finance (S3; budget_items.rules.is_parent_reviewer, for sets)."""
    scope = actor.scope_path or "/none/"
    units = select(Organisation.id).where(
        Organisation.path.startswith(scope, autoescape=True), Organisation.path != scope
    )
    return BudgetItem.organisation_id.in_(units)


def _not_prepared_by(actor: Actor, author: Any) -> ColumnElement[bool]:
    """S3: whoever prepared an object does not review it (workflow.check_reviewer); an
    unrecorded author matches no one. The object's own author only: the inbox never hides
    what this user may do."""
    if actor.user_id is None:
        return true()
    return or_(author.is_(None), author != actor.user_id)


@dataclass(frozen=True)
class _Step:
    """One step of the S3 review chain: the status each kind of object waits in there, what
    its reviewer does, and whose objects it reviews."""

    items: ItemStatus
    targets: TargetSetStatus
    reports: ReportStatus
    evaluations: EvaluationStatus
    actions: dict[TaskKind, TaskAction]
    # a unit's request reviewed by its department carries the targets filed with it
    # (targets.service.follow_item); finance approves targets before it decides the request
    targets_follow_the_request: bool


_DEPARTMENT_REVIEW = _Step(
    ItemStatus.department_review,
    TargetSetStatus.department_review,
    ReportStatus.department_review,
    EvaluationStatus.department_review,
    dict.fromkeys(
        (
            TaskKind.budget_item,
            TaskKind.targets,
            TaskKind.monitoring_report,
            TaskKind.self_evaluation,
        ),
        TaskAction.review,
    ),
    targets_follow_the_request=True,
)
_FINANCE_REVIEW = _Step(
    ItemStatus.finance_review,
    TargetSetStatus.finance_review,
    ReportStatus.finance_review,
    EvaluationStatus.finance_review,
    {
        TaskKind.budget_item: TaskAction.decide,
        TaskKind.targets: TaskAction.decide,
        TaskKind.monitoring_report: TaskAction.decide,
        TaskKind.self_evaluation: TaskAction.grade,
    },
    targets_follow_the_request=False,
)


def _item_reviews(actor: Actor, step: _Step) -> Select[Any]:
    return _branch(
        TaskKind.budget_item,
        step.actions[TaskKind.budget_item],
        object_id=BudgetItem.id,
        since=BudgetItem.submitted_at,
    ).where(_items_in(step.items), _not_prepared_by(actor, BudgetItem.created_by_id))


def _target_reviews(actor: Actor, step: _Step) -> Select[Any]:
    targets = (
        _branch(
            TaskKind.targets,
            step.actions[TaskKind.targets],
            object_id=TargetSet.id,
            since=TargetSet.submitted_at,
        )
        .join(TargetSet, TargetSet.item_id == BudgetItem.id)
        .where(TargetSet.status == step.targets, _not_prepared_by(actor, TargetSet.created_by_id))
    )
    if step.targets_follow_the_request:
        targets = targets.where(BudgetItem.status != step.items)
    return targets


def _report_reviews(actor: Actor, step: _Step) -> Select[Any]:
    return (
        _branch(
            TaskKind.monitoring_report,
            step.actions[TaskKind.monitoring_report],
            object_id=MonitoringReport.id,
            since=MonitoringReport.submitted_at,
            month=MonitoringReport.month,
        )
        .join(MonitoringReport, MonitoringReport.item_id == BudgetItem.id)
        .where(_reports_in(step.reports), _not_prepared_by(actor, MonitoringReport.created_by_id))
    )


def _evaluation_reviews(actor: Actor, step: _Step) -> Select[Any]:
    return (
        _branch(
            TaskKind.self_evaluation,
            step.actions[TaskKind.self_evaluation],
            object_id=SelfEvaluation.id,
            since=SelfEvaluation.submitted_at,
        )
        .join(SelfEvaluation, SelfEvaluation.item_id == BudgetItem.id)
        .where(
            SelfEvaluation.status == step.evaluations,
            _not_prepared_by(actor, SelfEvaluation.created_by_id),
        )
    )


def _reviews(actor: Actor, step: _Step, scope: ColumnElement[bool]) -> list[tuple[TaskKind, Any]]:
    """What waits for this step's reviewer among the objects in ``scope``: requests, targets,
    monthly reports and self-evaluations; never what the reviewer prepared."""
    return [
        (TaskKind.budget_item, _item_reviews(actor, step).where(scope)),
        (TaskKind.targets, _target_reviews(actor, step).where(scope)),
        (TaskKind.monitoring_report, _report_reviews(actor, step).where(scope)),
        (TaskKind.self_evaluation, _evaluation_reviews(actor, step).where(scope)),
    ]


def _rectifications(status: Sequence[RectificationStatus], action: TaskAction) -> Any:
    """Orders in ``status``: the department answers them by their deadline, finance verifies
    the answers (S2.3.2)."""
    return (
        _branch(
            TaskKind.rectification,
            action,
            object_id=Rectification.id,
            since=Rectification.responded_at
            if action is TaskAction.verify
            else Rectification.created_at,
            month=MonitoringReport.month,
            due_on=Rectification.deadline if action is TaskAction.answer else None,
        )
        .join(Rectification, Rectification.item_id == BudgetItem.id)
        .join(MonitoringReport, MonitoringReport.id == Rectification.report_id)
        .where(Rectification.status.in_(status))
    )


def _department_queues(actor: Actor) -> list[tuple[TaskKind, Any]]:
    """What units under this department have sent up for its review (S3), and the
    rectifications its subtree has to answer."""
    return [
        *_reviews(actor, _DEPARTMENT_REVIEW, _below(actor)),
        (
            TaskKind.rectification,
            visible(_rectifications(ANSWERABLE, TaskAction.answer), actor),
        ),
    ]


def _finance_queues(actor: Actor) -> list[tuple[TaskKind, Any]]:
    """What waits for the finance bureau's decision, county-wide."""
    reviews = select(func.count(AssessmentReview.id)).where(
        AssessmentReview.assessment_id == Assessment.id
    )
    answered = reviews.where(AssessmentReview.status == ReviewStatus.submitted)
    assessments = (
        # S2.1.2: put reviewers on a submitted assessment; conclude once one has answered
        _branch(
            TaskKind.assessment,
            case(
                (answered.scalar_subquery() > 0, typed_text(TaskAction.decide.value)),
                else_=typed_text(TaskAction.assign_reviewers.value),
            ),
            object_id=Assessment.id,
            since=Assessment.submitted_at,
        )
        .join(Assessment, Assessment.item_id == BudgetItem.id)
        .where(
            # from the (few) submitted assessments, not from every item
            BudgetItem.id.in_(
                select(Assessment.item_id).where(Assessment.status == AssessmentStatus.submitted)
            ),
            Assessment.status == AssessmentStatus.submitted,
            or_(reviews.scalar_subquery() == 0, answered.scalar_subquery() > 0),
        )
    )
    return [
        *_reviews(actor, _FINANCE_REVIEW, true()),
        (TaskKind.assessment, assessments),
        (
            TaskKind.rectification,
            _rectifications((RectificationStatus.answered,), TaskAction.verify),
        ),
    ]


def _assigned_reviews(actor: Actor) -> tuple[TaskKind, Select[Any]]:
    """S2.1.2: this expert's or third party's assessments still to review."""
    return (
        TaskKind.assessment_review,
        _branch(
            TaskKind.assessment_review,
            TaskAction.review,
            object_id=AssessmentReview.id,
            since=AssessmentReview.created_at,
        )
        .join(Assessment, Assessment.item_id == BudgetItem.id)
        .join(AssessmentReview, AssessmentReview.assessment_id == Assessment.id)
        .where(
            AssessmentReview.reviewer_id == actor.user_id,
            AssessmentReview.status == ReviewStatus.assigned,
            Assessment.status == AssessmentStatus.submitted,
        ),
    )


def _commissioned_evaluations(actor: Actor) -> tuple[TaskKind, Select[Any]]:
    """S2.4: the self-evaluations finance commissioned this third party to evaluate."""
    return (
        TaskKind.self_evaluation,
        _branch(
            TaskKind.self_evaluation,
            TaskAction.evaluate,
            object_id=SelfEvaluation.id,
            since=SelfEvaluation.updated_at,
        )
        .join(SelfEvaluation, SelfEvaluation.item_id == BudgetItem.id)
        .where(
            SelfEvaluation.third_party_id == actor.user_id,
            SelfEvaluation.third_party_submitted_at.is_(None),
            SelfEvaluation.status != EvaluationStatus.graded,
        ),
    )


def queues(actor: Actor, kinds: Sequence[TaskKind]) -> list[Select[Any]]:
    """The branches of the queues of ``kinds`` that wait for this user's role."""
    branches: list[tuple[TaskKind, Any]] = []
    if actor.role is Role.department:
        branches = _department_queues(actor)
    elif actor.role is Role.finance:
        branches = _finance_queues(actor)
    elif actor.role is Role.expert:
        branches = [_assigned_reviews(actor)]
    elif actor.role is Role.third_party:
        branches = [_assigned_reviews(actor), _commissioned_evaluations(actor)]
    return [branch for kind, branch in branches if kind in kinds]
