"""An item's target sets as versions (S2.2.2): the current one, every one kept, and the
adjustment that starts the next once the current is approved (amend-only)."""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from perfbudget.audit import service as audit
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import rules
from perfbudget.errors import Conflict, Unprocessable
from perfbudget.errors import not_found as missing
from perfbudget.pagination import ListQuery, Page, page_of
from perfbudget.principal import Actor
from perfbudget.targets import repository
from perfbudget.targets.models import TargetLine, TargetSet, TargetSetStatus
from perfbudget.targets.schemas import TargetAdjustment, TargetSetRead
from perfbudget.versioning import check_version


def not_found() -> Exception:
    return missing("Target set", "绩效目标")


def current_set(session: Session, actor: Actor, item_id: int) -> TargetSet:
    item_access.get_item(session, actor, item_id)
    target_set = repository.current(session, item_id)
    if target_set is None:
        raise not_found()
    return target_set


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
    raise not_found()


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
        lines=[_copy(line) for line in current.lines],
    )
    repository.add(session, adjusted)
    session.flush()
    audit.record(
        session,
        actor,
        "targets.adjustment_started",
        entity_type=TargetSet.__audit_entity__,
        entity_id=adjusted.id,
        changes={"number": adjusted.number, "reason": data.reason},
    )
    return adjusted


def _copy(line: TargetLine) -> TargetLine:
    return TargetLine(
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
