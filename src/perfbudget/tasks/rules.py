"""What awaits its owner, as pure functions over loaded facts: the requests, targets,
assessments, monthly reports and self-evaluations a department (or the investment authority)
has to file, and the disclosures finance has still to make. The queues of objects waiting
for a reviewer are read set-based by the repository; these are the tasks that follow from
rules (which months a funded item owes a report, when a self-evaluation is expected)."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Generic, NamedTuple, TypeVar

from perfbudget.assessments import service as assessment_service
from perfbudget.assessments.models import AssessmentStatus
from perfbudget.budget_items.models import BudgetItem, ItemStatus
from perfbudget.disclosure.models import PublicationKind
from perfbudget.errors import RuleViolation
from perfbudget.evaluations import filing as evaluation_filing
from perfbudget.evaluations.models import EDITABLE as EVALUATION_EDITABLE
from perfbudget.evaluations.models import EvaluationStatus
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.models import FiscalYearStatus
from perfbudget.fiscal_years.parameters import RuleParameters
from perfbudget.monitoring import filing as monitoring_filing
from perfbudget.monitoring import schedule
from perfbudget.monitoring.models import ReportStatus
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.principal import Role
from perfbudget.targets import service as target_service
from perfbudget.targets.models import TargetSetStatus
from perfbudget.tasks.schemas import TaskAction, TaskKind

S = TypeVar("S", bound=StrEnum)
WITH_OWNER = (ItemStatus.draft, ItemStatus.returned)
# a request the budget decision has not yet settled: its ex-ante assessment is still wanted
UNDECIDED = (
    ItemStatus.draft,
    ItemStatus.returned,
    ItemStatus.submitted,
    ItemStatus.department_review,
    ItemStatus.finance_review,
)
OPEN_YEARS = (FiscalYearStatus.preparing, FiscalYearStatus.executing)
_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class TaskRow:
    """One task, before it is presented (the service adds its path and overdue flag)."""

    kind: TaskKind
    action: TaskAction
    fiscal_year_id: int
    fiscal_year: int
    title: str
    organisation: OrganisationRef | None
    object_id: int | None = None
    item_id: int | None = None
    month: int | None = None
    due_on: date | None = None
    waiting_since: datetime | None = None
    publication_kind: PublicationKind | None = None

    def overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today

    def order(self) -> tuple[Any, ...]:
        """Due first, then the longest waiting, then by item, month and object; the
        repository's window orders the same way (nulls last), so merged lists stay sorted."""
        return (
            self.due_on is None,
            self.due_on or date.min,
            self.waiting_since is None,
            self.waiting_since or _EARLIEST,
            *_nulls_last(self.item_id),
            *_nulls_last(self.month),
            *_nulls_last(self.object_id),
            *_nulls_last(self.organisation.id if self.organisation else None),
            self.fiscal_year_id,
        )


def _nulls_last(value: int | None) -> tuple[bool, int]:
    return value is None, value or 0


class Stage(NamedTuple, Generic[S]):
    """Where one object stands: its id and status (a tuple: thousands are read at once)."""

    id: int
    status: S


@dataclass(frozen=True)
class OwnedItem:
    """An item of the user's own organisation (or, for the investment authority, a capital
    construction project), with where its targets, assessment and self-evaluation stand."""

    item: BudgetItem
    targets: Stage[TargetSetStatus] | None  # the newest target set
    assessment: Stage[AssessmentStatus] | None
    evaluation: Stage[EvaluationStatus] | None


# --- the owner's tasks -------------------------------------------------------------------


def _task(item: BudgetItem, kind: TaskKind, action: TaskAction, **fields: Any) -> TaskRow:
    return TaskRow(
        kind=kind,
        action=action,
        fiscal_year_id=item.fiscal_year_id,
        fiscal_year=item.fiscal_year.year,
        title=item.name,
        organisation=OrganisationRef.model_validate(item.organisation),
        item_id=item.id,
        **fields,
    )


def _file_or_fix(returned: bool) -> TaskAction:
    return TaskAction.fix_after_return if returned else TaskAction.file


def request_task(item: BudgetItem) -> TaskRow | None:
    """A draft or returned request of a year still open (S2.2.2; mid-year additions while
    it executes). Its task covers the targets filed with it."""
    if item.status not in WITH_OWNER or item.fiscal_year.status not in OPEN_YEARS:
        return None
    action = _file_or_fix(item.status is ItemStatus.returned)
    return _task(item, TaskKind.budget_item, action, object_id=item.id)


def targets_task(owned: OwnedItem) -> TaskRow | None:
    """Targets with their owner (draft or returned) whose request is not itself with its
    owner (returned by finance while the request waits for the decision, an adjustment),
    and a funded overall budget still without its overall targets (S2.2.3)."""
    item, targets = owned.item, owned.targets
    if item.fiscal_year.status not in OPEN_YEARS or item.status in WITH_OWNER:
        return None
    if targets is None:
        if not _allows(target_service.check_first_set_allowed, item):
            return None
        return _task(item, TaskKind.targets, TaskAction.file)
    if targets.status not in target_service.EDITABLE:
        return None
    action = _file_or_fix(targets.status is TargetSetStatus.returned)
    return _task(item, TaskKind.targets, action, object_id=targets.id)


def assessment_task(role: Role | None, owned: OwnedItem) -> TaskRow | None:
    """A new major policy or project not yet decided whose ex-ante assessment this role
    files (S2.1.1: the investment authority for capital construction) and has not sent."""
    item, assessment = owned.item, owned.assessment
    if (
        item.status not in UNDECIDED
        or item.fiscal_year.status not in OPEN_YEARS
        or not assessment_service.requires_assessment(item)
        or assessment_service.assessor_role(item) is not role
        or (assessment is not None and assessment.status is not AssessmentStatus.draft)
    ):
        return None
    object_id = assessment.id if assessment else None
    return _task(item, TaskKind.assessment, TaskAction.file, object_id=object_id)


def evaluation_expected(status: FiscalYearStatus, parameters: RuleParameters, today: date) -> bool:
    """When the inbox asks for a self-evaluation not yet started (S2.4, "on the budget-
    preparation calendar"): once the year is closed, or from the day the year's window opens.
    Filing earlier is allowed (evaluations.filing.check_open) but not yet asked for."""
    if status is FiscalYearStatus.closed:
        return True
    opens = parameters.self_evaluation_opens
    return status is FiscalYearStatus.executing and opens is not None and today >= opens


def evaluation_task(owned: OwnedItem, parameters: RuleParameters, today: date) -> TaskRow | None:
    """A funded item's self-evaluation with its owner: returned, started, or expected and not
    started; due by the year's window (``self_evaluation_due``)."""
    item, evaluation = owned.item, owned.evaluation
    if not _allows(evaluation_filing.check_applicable, item):
        return None
    if evaluation is None:
        if not evaluation_expected(item.fiscal_year.status, parameters, today):
            return None
    elif evaluation.status not in EVALUATION_EDITABLE:
        return None
    returned = evaluation is not None and evaluation.status is EvaluationStatus.returned
    return _task(
        item,
        TaskKind.self_evaluation,
        _file_or_fix(returned),
        object_id=evaluation.id if evaluation else None,
        due_on=parameters.self_evaluation_due,
    )


def report_tasks(
    item: BudgetItem,
    reports: Mapping[int, Stage[ReportStatus]],
    parameters: RuleParameters,
    today: date,
) -> list[TaskRow]:
    """The months a funded item owes a report (``schedule.owes_report``) that have ended and
    are not yet submitted: missing, a draft, or returned; each due by ``schedule.due_date``."""
    if (
        item.status is not ItemStatus.funded
        or item.fiscal_year.status is not FiscalYearStatus.executing
    ):
        return []  # nothing is owed, or nothing can be filed any more (S2.3.1)
    kind, funded_at, year = item.kind, item.decided_at, item.fiscal_year.year
    tasks = []
    for month in range(1, 13):
        report = reports.get(month)
        if report is not None and report.status not in monitoring_filing.EDITABLE:
            continue  # submitted
        if not schedule.owes_report(kind, funded_at, year, month):
            continue
        if not _allows(monitoring_filing.check_filing_open, item, month, today):
            continue
        returned = report is not None and report.status is ReportStatus.returned
        tasks.append(
            _task(
                item,
                TaskKind.monitoring_report,
                _file_or_fix(returned),
                object_id=report.id if report else None,
                month=month,
                due_on=schedule.due_date(parameters, year, month, item.kind),
            )
        )
    return tasks


def owner_tasks(
    role: Role | None,
    owned: Iterable[OwnedItem],
    reports: Mapping[int, Mapping[int, Stage[ReportStatus]]],
    today: date,
) -> list[TaskRow]:
    """Everything the owner of these items has to file. ``role``: a department user files
    requests, targets, reports and self-evaluations of its subtree and the assessments of
    what is not capital construction; the investment authority those assessments only."""
    parameters: dict[int, RuleParameters] = {}
    tasks: list[TaskRow] = []
    for entry in owned:
        item = entry.item
        found = [assessment_task(role, entry)]
        if role is Role.department:
            if item.fiscal_year_id not in parameters:
                parameters[item.fiscal_year_id] = fiscal_year_service.rule_parameters(
                    item.fiscal_year
                )
            year = parameters[item.fiscal_year_id]
            found += [
                request_task(item),
                targets_task(entry),
                evaluation_task(entry, year, today),
                *report_tasks(item, reports.get(item.id, {}), year, today),
            ]
        tasks += [task for task in found if task is not None]
    return tasks


def _allows(check: Callable[..., None], *facts: Any) -> bool:
    """Whether a rule that refuses by raising lets these facts through."""
    try:
        check(*facts)
    except RuleViolation:
        return False
    return True


# --- finance's disclosures (S4.4) --------------------------------------------------------


@dataclass(frozen=True)
class Disclosable:
    """Something of a year that can be published: a department's targets or results (its
    own items' and its units'), or the year's circular (no department)."""

    fiscal_year_id: int
    year: int
    year_status: FiscalYearStatus
    kind: PublicationKind
    department: OrganisationRef | None
    circular_title: str | None = None


# Targets are published with the budget, once it executes; results with the final
# accounts and the circular once the year is closed (S4.4, S3).
PUBLISHED_FROM = {
    PublicationKind.targets: (FiscalYearStatus.executing, FiscalYearStatus.closed),
    PublicationKind.results: (FiscalYearStatus.closed,),
    PublicationKind.circular: (FiscalYearStatus.closed,),
}


def publication_tasks(
    disclosable: Iterable[Disclosable], published: set[tuple[int, PublicationKind, int | None]]
) -> list[TaskRow]:
    """Each department's targets and results, and the year's circular, that have something
    to publish and no current publication (disclosure.service publishes per department)."""
    tasks = []
    for entry in disclosable:
        department = entry.department
        key = (entry.fiscal_year_id, entry.kind, department.id if department else None)
        if entry.year_status not in PUBLISHED_FROM[entry.kind] or key in published:
            continue
        tasks.append(
            TaskRow(
                kind=TaskKind.publication,
                action=TaskAction.publish,
                fiscal_year_id=entry.fiscal_year_id,
                fiscal_year=entry.year,
                title=department.name_zh if department else (entry.circular_title or ""),
                organisation=department,
                publication_kind=entry.kind,
            )
        )
    return tasks
