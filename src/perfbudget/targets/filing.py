"""Filing an item's performance targets (S2.2.2): the chain they are reviewed along, the
draft they start from, and saving them while they can be edited."""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from perfbudget.audit import service as audit
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import rules
from perfbudget.budget_items.models import BudgetItem, ItemKind, ItemStatus
from perfbudget.errors import RuleViolation, Unprocessable
from perfbudget.indicators import service as indicator_service
from perfbudget.indicators.models import FrameworkIndicator, LibraryIndicator
from perfbudget.principal import Actor
from perfbudget.targets import repository
from perfbudget.targets.models import TargetLine, TargetSet, TargetSetStatus
from perfbudget.targets.schemas import TargetLineIn, TargetSetRead, TargetSetWrite
from perfbudget.versioning import check_version
from perfbudget.workflow import ReviewChain

CHAIN = ReviewChain(
    "target set",
    "绩效目标",
    states=TargetSetStatus,
    outcomes=(TargetSetStatus.approved,),
    onward={TargetSetStatus.approved: frozenset({TargetSetStatus.superseded})},
    audited=TargetSet,
    recorder=audit.record,
)
EDITABLE = (TargetSetStatus.draft, TargetSetStatus.returned)


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
    before = None if target_set is None else audit.state(target_set)
    if target_set is None:
        target_set = _first_set(item, created_by_id=actor.user_id)
        repository.add(session, target_set)
    target_set.overall_goal = data.overall_goal
    target_set.lines = [
        TargetLine(position=position, **line.model_dump())
        for position, line in enumerate(data.lines, start=1)
    ]
    audit.record_edit(session, actor, "saved", target_set, before)
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
