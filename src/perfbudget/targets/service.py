"""Performance targets (S2.2.2): filed with the request, reviewed up the chain (S3),
amend-only once approved."""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.audit import service as audit
from perfbudget.auth.principal import Actor
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import rules
from perfbudget.budget_items.models import BudgetItem, ItemKind, ItemStatus
from perfbudget.errors import Conflict, RuleViolation, Unprocessable, not_found
from perfbudget.evaluations import repository as evaluation_repository
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.i18n import counted
from perfbudget.indicators import service as indicator_service
from perfbudget.indicators.models import FrameworkIndicator, LibraryIndicator
from perfbudget.pagination import ListQuery, Page, page_of
from perfbudget.targets import repository
from perfbudget.targets.checks import Baseline, FilingCheck, run_checks
from perfbudget.targets.models import TargetLine, TargetSet, TargetSetStatus
from perfbudget.targets.schemas import (
    FilingCheckRead,
    FilingCheckReport,
    TargetAdjustment,
    TargetLineIn,
    TargetReview,
    TargetSetRead,
    TargetSetWrite,
)
from perfbudget.versioning import check_version
from perfbudget.workflow import ReviewChain

TRANSITIONS = {
    TargetSetStatus.draft: frozenset(
        {TargetSetStatus.department_review, TargetSetStatus.finance_review}
    ),
    TargetSetStatus.returned: frozenset(
        {TargetSetStatus.department_review, TargetSetStatus.finance_review}
    ),
    TargetSetStatus.department_review: frozenset(
        {TargetSetStatus.finance_review, TargetSetStatus.returned}
    ),
    TargetSetStatus.finance_review: frozenset({TargetSetStatus.approved, TargetSetStatus.returned}),
    TargetSetStatus.approved: frozenset({TargetSetStatus.superseded}),
    TargetSetStatus.superseded: frozenset[TargetSetStatus](),
}
CHAIN = ReviewChain(
    "target set",
    "绩效目标",
    TRANSITIONS,
    TargetSetStatus.department_review,
    TargetSetStatus.finance_review,
)
EDITABLE = (TargetSetStatus.draft, TargetSetStatus.returned)


def _move(target_set: TargetSet, target: TargetSetStatus) -> None:
    CHAIN.check(target_set.status, target)
    target_set.status = target


def _not_found() -> Exception:
    return not_found("Target set", "绩效目标")


def current_set(session: Session, actor: Actor, item_id: int) -> TargetSet:
    item_access.get_item(session, actor, item_id)
    target_set = repository.current(session, item_id)
    if target_set is None:
        raise _not_found()
    return target_set


def read_current(session: Session, actor: Actor, item_id: int) -> TargetSetRead:
    """The current version of the item's targets; before their first save, the draft they
    start from (not saved: no id, no version), or the refusal the first save would meet."""
    item = item_access.get_item(session, actor, item_id)
    target_set = repository.current(session, item_id)
    if target_set is None:
        check_first_set_allowed(item)
        target_set = _first_set(item, created_by_id=None)
        target_set.lines = framework_lines(
            item, indicator_service.framework_in_force(session, item.fiscal_year_id)
        )
    return TargetSetRead.model_validate(target_set)


def _first_set(item: BudgetItem, created_by_id: int | None) -> TargetSet:
    return TargetSet(
        item_id=item.id,
        number=1,
        status=TargetSetStatus.draft,
        overall_goal="",
        created_by_id=created_by_id,
    )


def framework_lines(item: BudgetItem, framework: Sequence[FrameworkIndicator]) -> list[TargetLine]:
    """The lines an item's first targets start from, "using the common framework" (S2.2.2):
    each indicator of the year's framework with its name, category, direction and unit, for
    the preparer to give a target value and a weight (the framework suggests neither). A
    department's overall targets use the six aspects of S2.2.3, which it does not hold."""
    if item.kind is ItemKind.department_overall:
        return []
    return [
        TargetLine(
            position=position,
            category=indicator.category,
            name=indicator.name,
            direction=indicator.direction,
            target_value=None,
            unit=indicator.unit,
            qualitative_standard=None,
            weight=None,
            library_indicator_id=None,
            framework_indicator_id=indicator.id,
        )
        for position, indicator in enumerate(framework, start=1)
    ]


def list_versions(session: Session, actor: Actor, item_id: int) -> list[TargetSet]:
    item_access.get_item(session, actor, item_id)
    return repository.versions(session, item_id)


def versions_page(
    session: Session, actor: Actor, item_id: int, page: ListQuery
) -> Page[TargetSetRead]:
    item_access.get_item(session, actor, item_id)
    rows, total = repository.versions_page(session, item_id, limit=page.limit, offset=page.offset)
    return page_of(TargetSetRead, rows, total, page)


def get_version(session: Session, actor: Actor, item_id: int, number: int) -> TargetSet:
    for target_set in list_versions(session, actor, item_id):
        if target_set.number == number:
            return target_set
    raise _not_found()


def write_targets(
    session: Session, actor: Actor, item_id: int, data: TargetSetWrite, expected_version: int | None
) -> TargetSet:
    item = item_access.get_item(session, actor, item_id)
    target_set = repository.current(session, item_id)
    check_filing(
        actor,
        item,
        target_set,
        data,
        expected_version,
        library=indicator_service.library_by_id(
            session, [line.library_indicator_id for line in data.lines if line.library_indicator_id]
        ),
        framework=indicator_service.framework_by_id(
            session,
            [line.framework_indicator_id for line in data.lines if line.framework_indicator_id],
        ),
    )
    if target_set is None:
        target_set = _first_set(item, created_by_id=actor.user_id)
        repository.add(session, target_set)
        before = None
    else:
        before = _snapshot(target_set)
    target_set.overall_goal = data.overall_goal
    target_set.lines = [
        TargetLine(position=position, **line.model_dump())
        for position, line in enumerate(data.lines, start=1)
    ]
    session.flush()
    audit.record_change(
        session,
        actor,
        "targets.saved",
        entity_type="target_set",
        entity_id=target_set.id,
        before=before,
        after=_snapshot(target_set),
    )
    return target_set


def check_filing(
    actor: Actor,
    item: BudgetItem,
    current: TargetSet | None,
    data: TargetSetWrite,
    expected_version: int | None,
    *,
    library: dict[int, LibraryIndicator],
    framework: dict[int, FrameworkIndicator],
) -> None:
    """Every rule of saving an item's targets (S2.2.2), over loaded facts: the owner files,
    the first set with the request (S2.2.3: an overall budget's once decided), a later save
    of the version read while it can be edited, each line's indicator available."""
    rules.require_owner_side(actor, item)
    if current is None:
        check_first_set_allowed(item)
    else:
        check_version(current.version, expected_version)
        if current.status not in EDITABLE:
            raise RuleViolation(
                "TARGETS_NOT_EDITABLE",
                "Submitted or approved targets change only through an adjustment (S2.2.2).",
                "已报送或已批复的绩效目标只能通过调整程序变更（S2.2.2）。",
                extra={"target_set_status": current.status.value},
            )
    for position, line in enumerate(data.lines, start=1):
        _check_line(item, position, line, library, framework)


def check_first_set_allowed(item: BudgetItem) -> None:
    """An item's first targets are started with its request, while a draft (S2.2.2); a
    department's overall targets once its budget is decided (S2.2.3)."""
    if item.kind is ItemKind.department_overall:
        if item.status is not ItemStatus.funded:
            raise RuleViolation(
                "OVERALL_TARGETS_AFTER_DECISION",
                "A department's overall targets are set once its budget is decided (S2.2.3).",
                "部门整体绩效目标在部门预算批复后设定（S2.2.3）。",
            )
    elif item.status not in (ItemStatus.draft, ItemStatus.returned):
        raise RuleViolation(
            "ITEM_NOT_EDITABLE",
            "Targets are filed with the budget request, while it is a draft (S2.2.2).",
            "绩效目标随预算申请一并编报，仅可在草稿状态下填写（S2.2.2）。",
        )


def _check_line(
    item: BudgetItem,
    position: int,
    data: TargetLineIn,
    library: dict[int, LibraryIndicator],
    framework: dict[int, FrameworkIndicator],
) -> None:
    if data.library_indicator_id is not None:
        reused = library.get(data.library_indicator_id)
        if (
            reused is None
            or not reused.is_active
            or f"/{reused.organisation_id}/" not in item.organisation.path
        ):
            raise _unavailable(position)
    if data.framework_indicator_id is not None:
        common = framework.get(data.framework_indicator_id)
        if common is None or not common.is_active or common.fiscal_year_id != item.fiscal_year_id:
            raise _unavailable(position)


def _unavailable(position: int) -> Unprocessable:
    return Unprocessable(
        "INDICATOR_NOT_AVAILABLE",
        f"Line {position} refers to an indicator that is not in this year's framework "
        "or the department's library.",
        f"第 {position} 行引用的指标不在本年度共性框架或本部门指标库中。",
        extra={"line": position},
    )


def _snapshot(target_set: TargetSet) -> dict[str, object]:
    return {
        "overall_goal": target_set.overall_goal,
        "lines": [
            {
                "name": line.name,
                "category": line.category.value,
                "direction": line.direction.value,
                "target_value": None if line.target_value is None else str(line.target_value),
                "unit": line.unit,
                "weight": str(line.weight),
            }
            for line in target_set.lines
        ],
    }


def _baseline(session: Session, item: BudgetItem, target_set: TargetSet) -> Baseline:
    """An adjustment against the version in force; a continued item against last year's
    approved lines and what its graded self-evaluation found (three statements at most)."""
    if target_set.number > 1:
        approved = repository.approved(session, item.id)
        return Baseline(approved.lines if approved else [], in_force=True)
    if item.continues_item_id is None:
        return Baseline()
    approved = repository.approved(session, item.continues_item_id)
    if approved is None:
        return Baseline()
    actuals = evaluation_repository.graded_actuals(session, item.continues_item_id)
    return Baseline(approved.lines, actuals)


def checks_for(session: Session, item: BudgetItem, target_set: TargetSet) -> list[FilingCheck]:
    parameters = fiscal_year_service.rule_parameters(item.fiscal_year)
    known = indicator_service.known_indicator_names(
        session, item.fiscal_year_id, item.organisation.path
    )
    return run_checks(
        item,
        target_set,
        parameters,
        baseline=_baseline(session, item, target_set),
        known_names=known,
    )


def check_report(session: Session, actor: Actor, item_id: int) -> FilingCheckReport:
    item = item_access.get_item(session, actor, item_id)
    target_set = repository.current(session, item_id)
    if target_set is None:
        raise _not_found()
    checks = checks_for(session, item, target_set)
    return FilingCheckReport(
        item_id=item.id,
        target_set_number=target_set.number,
        passed=not any(check.severity == "blocking" for check in checks),
        checks=[_check_read(check) for check in checks],
    )


def _check_read(check: FilingCheck) -> FilingCheckRead:
    return FilingCheckRead(
        code=check.code,
        severity=check.severity,
        clause=check.clause,
        line=check.line,
        message=check.message,
        data=check.data,
    )


def _file(session: Session, actor: Actor, item: BudgetItem, target_set: TargetSet) -> None:
    """Run the filing checks and send the set up the chain (parent department, then finance)."""
    blocking = [c for c in checks_for(session, item, target_set) if c.severity == "blocking"]
    if blocking:
        raise RuleViolation(
            "TARGET_CHECKS_FAILED",
            f"The targets fail {counted(len(blocking), 'filing check')}: {blocking[0].en}",
            f"绩效目标未通过 {len(blocking)} 项审核要求：{blocking[0].zh}",
            extra={"checks": [_check_read(c).model_dump() for c in blocking]},
        )
    _move(target_set, CHAIN.route(rules.needs_department_review(item)))
    target_set.submitted_at = clock.utcnow()
    target_set.return_reason = None
    session.flush()
    audit.record(
        session,
        actor,
        "targets.submitted",
        entity_type="target_set",
        entity_id=target_set.id,
        changes={"status": target_set.status.value},
    )


def submit_with_item(session: Session, actor: Actor, item: BudgetItem) -> None:
    """S2.2.2: every project and policy request carries its targets."""
    if item.kind is ItemKind.department_overall:
        return
    target_set = repository.current(session, item.id)
    if target_set is None:
        raise RuleViolation(
            "TARGETS_REQUIRED",
            "A budget request is filed with its performance targets (S2.2.2).",
            "预算申请须同时报送绩效目标（S2.2.2）。",
        )
    if target_set.status in EDITABLE:
        _file(session, actor, item, target_set)


def submit_targets(
    session: Session, actor: Actor, item_id: int, expected_version: int | None
) -> TargetSet:
    item = item_access.get_item(session, actor, item_id)
    rules.require_owner_side(actor, item)
    target_set = current_set(session, actor, item_id)
    check_version(target_set.version, expected_version)
    if (
        target_set.number == 1
        and item.kind is not ItemKind.department_overall
        and item.status in (ItemStatus.draft, ItemStatus.returned)
    ):
        raise RuleViolation(
            "SUBMIT_WITH_ITEM",
            "These targets go with the budget request: submit the item (S2.2.2).",
            "该绩效目标随预算申请一并报送，请提交预算项目（S2.2.2）。",
        )
    if target_set.status not in EDITABLE:
        CHAIN.check(target_set.status, TargetSetStatus.finance_review)
    _file(session, actor, item, target_set)
    return target_set


def department_review(
    session: Session, actor: Actor, item_id: int, data: TargetReview, expected_version: int | None
) -> TargetSet:
    item = item_access.get_item(session, actor, item_id)
    rules.require_parent_reviewer(actor, item)
    target_set = current_set(session, actor, item_id)
    CHAIN.check_reviewer(actor.user_id, *request_authors(item, target_set))
    check_version(target_set.version, expected_version)
    _review(
        session,
        actor,
        target_set,
        data,
        approve_to=TargetSetStatus.finance_review,
        expected=TargetSetStatus.department_review,
    )
    return target_set


def finance_review(
    session: Session, actor: Actor, item_id: int, data: TargetReview, expected_version: int | None
) -> TargetSet:
    item = item_access.get_item(session, actor, item_id)
    target_set = current_set(session, actor, item_id)
    CHAIN.check_reviewer(actor.user_id, *request_authors(item, target_set))
    check_version(target_set.version, expected_version)
    previous = repository.approved(session, item_id)
    _review(
        session,
        actor,
        target_set,
        data,
        approve_to=TargetSetStatus.approved,
        expected=TargetSetStatus.finance_review,
    )
    if data.decision == "approve":
        if previous is not None and previous.id != target_set.id:
            _move(previous, TargetSetStatus.superseded)
        target_set.approved_at = clock.utcnow()
        target_set.approved_by_id = actor.user_id
        session.flush()
    return target_set


def _review(
    session: Session,
    actor: Actor,
    target_set: TargetSet,
    data: TargetReview,
    *,
    approve_to: TargetSetStatus,
    expected: TargetSetStatus,
) -> None:
    if target_set.status is not expected:
        CHAIN.check(
            target_set.status,
            approve_to if data.decision == "approve" else TargetSetStatus.returned,
        )
    if data.decision == "return":
        _require_reason(data.reason)
        _move(target_set, TargetSetStatus.returned)
        target_set.return_reason = data.reason
    else:
        _move(target_set, approve_to)
    session.flush()
    audit.record(
        session,
        actor,
        f"targets.{expected.value}_{data.decision}",
        entity_type="target_set",
        entity_id=target_set.id,
        changes={"status": target_set.status.value, "reason": data.reason},
    )


def _require_reason(reason: str | None) -> None:
    if not (reason or "").strip():
        raise Unprocessable(
            "REASON_REQUIRED", "Give the reasons for returning it.", "退回须说明理由。"
        )


def _follows(item: BudgetItem, target_set: TargetSet) -> bool:
    """The first set of a project or policy is filed with the request (S2.2.2) and moves with
    it; an overall budget's targets and any adjustment go their own way."""
    return item.kind is not ItemKind.department_overall and target_set.number == 1


def following_set(session: Session, item: BudgetItem) -> TargetSet | None:
    target_set = repository.current(session, item.id)
    return target_set if target_set is not None and _follows(item, target_set) else None


def request_authors(item: BudgetItem, target_set: TargetSet | None) -> tuple[int | None, ...]:
    """Who prepared what a review decides: a set that moves with its item is one request
    with it, so reviewing either decides on both authors' work (S3)."""
    if target_set is None:
        return (item.created_by_id,)
    if _follows(item, target_set):
        return (item.created_by_id, target_set.created_by_id)
    return (target_set.created_by_id,)


def follow_item(
    session: Session, item: BudgetItem, item_status: ItemStatus, reason: str | None
) -> None:
    """Keep the original target set in step when the item itself moves up or back."""
    target_set = following_set(session, item)
    if target_set is None:
        return
    if (
        item_status is ItemStatus.finance_review
        and target_set.status is TargetSetStatus.department_review
    ):
        _move(target_set, TargetSetStatus.finance_review)
    elif item_status is ItemStatus.returned and target_set.status in (
        TargetSetStatus.department_review,
        TargetSetStatus.finance_review,
    ):
        _move(target_set, TargetSetStatus.returned)
        target_set.return_reason = reason
    session.flush()


def adjust(
    session: Session,
    actor: Actor,
    item_id: int,
    data: TargetAdjustment,
    expected_version: int | None,
) -> TargetSet:
    """Approved targets are amend-only: a new version, with a reason, reviewed again."""
    item = item_access.get_item(session, actor, item_id)
    rules.require_owner_side(actor, item)
    current = current_set(session, actor, item_id)
    check_version(current.version, expected_version)
    if current.status is not TargetSetStatus.approved:
        raise Conflict(
            "ADJUSTMENT_NOT_ALLOWED",
            "Only approved targets are adjusted; these are still being prepared or reviewed.",
            "仅已批复的绩效目标可申请调整；当前目标仍在编报或审核中。",
            extra={"target_set_status": current.status.value},
        )
    adjusted = TargetSet(
        item_id=item.id,
        number=current.number + 1,
        status=TargetSetStatus.draft,
        overall_goal=current.overall_goal,
        adjustment_reason=data.reason,
        created_by_id=actor.user_id,
        lines=[
            TargetLine(
                position=line.position,
                category=line.category,
                name=line.name,
                direction=line.direction,
                target_value=line.target_value,
                unit=line.unit,
                qualitative_standard=line.qualitative_standard,
                weight=line.weight,
                library_indicator_id=line.library_indicator_id,
                framework_indicator_id=line.framework_indicator_id,
            )
            for line in current.lines
        ],
    )
    repository.add(session, adjusted)
    session.flush()
    audit.record(
        session,
        actor,
        "targets.adjustment_started",
        entity_type="target_set",
        entity_id=adjusted.id,
        changes={"number": adjusted.number, "reason": data.reason},
    )
    return adjusted


def answered_lines(
    approved: Sequence[TargetLine], answered_ids: list[int]
) -> dict[int, TargetLine]:
    """The approved lines by id, after checking that a report or an evaluation answers only
    them, each once (monitoring S2.3.1, self-evaluation S2.4)."""
    by_id = {line.id: line for line in approved}
    unknown = [line_id for line_id in answered_ids if line_id not in by_id]
    if unknown:
        raise Unprocessable(
            "TARGET_LINE_UNKNOWN",
            "Answer the lines of the item's approved targets only.",
            "须按该项目批复的绩效目标逐项填报。",
            extra={"target_line_ids": unknown},
        )
    if len(set(answered_ids)) != len(answered_ids):
        raise Unprocessable(
            "TARGET_LINE_DUPLICATE",
            "Each target line is answered once.",
            "每项绩效指标只填报一次。",
            extra={
                "target_line_ids": sorted({i for i in answered_ids if answered_ids.count(i) > 1})
            },
        )
    return by_id
