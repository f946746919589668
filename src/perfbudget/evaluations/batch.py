"""Many self-evaluations at once (S2.4): items, approved targets, stored evaluations and
payments (and to submit: monitoring histories and attachments) read in a fixed number of
statements, each draft (and submission) decided by ``filing`` as a single one is, and the
accepted ones written by bulk statements."""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.attachments import service as attachment_service
from perfbudget.attachments.models import Attachment
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import repository as item_repository
from perfbudget.budget_items import rules
from perfbudget.budget_items.models import BudgetItem
from perfbudget.bulk import Batch, Origin, Written, unique
from perfbudget.evaluations import filing, reading, repository, scoring
from perfbudget.evaluations.models import EvaluationStatus, SelfEvaluation
from perfbudget.evaluations.schemas import EvaluationDraft
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.parameters import RuleParameters
from perfbudget.monitoring import schedule
from perfbudget.payments import service as payment_service
from perfbudget.principal import Actor
from perfbudget.targets import lines_in_force as targets_in_force
from perfbudget.targets import repository as target_repository
from perfbudget.targets.models import TargetLine

ENTITY = "self_evaluation"


@dataclass(frozen=True)
class Entry:
    key: Hashable
    item_id: int
    data: EvaluationDraft


@dataclass(frozen=True)
class _Accepted:
    item: BudgetItem
    stored: SelfEvaluation | None
    # as the batch leaves it: a transient evaluation, never added to the session
    evaluation: SelfEvaluation
    # what submitting set on it (none unless submitted)
    submitted: dict[str, Any]


@dataclass(frozen=True)
class _Facts:
    """What deciding every entry reads, loaded in a fixed number of statements."""

    items: dict[int, BudgetItem]
    lines: dict[int, list[TargetLine]]
    stored: dict[int, SelfEvaluation]
    disbursed: dict[int, Decimal]
    # to submit: the items' monitoring histories and the stored evaluations' attachments
    histories: dict[int, dict[int, list[tuple[int, Decimal]]]]
    attachments: dict[int, list[Attachment]]
    years: dict[int, RuleParameters]
    today: date
    now: datetime


def _load(
    session: Session, actor: Actor, entries: Sequence[Entry], *, submit: bool, lock: bool
) -> _Facts:
    items = item_repository.visible_by_id(session, actor, unique(e.item_id for e in entries))
    ids = list(items)
    lines = target_repository.approved_lines_of_items(session, ids)
    stored = repository.of_items(session, ids, lock=lock)
    disbursed = payment_service.disbursed_totals(session, ids)
    histories = repository.monitoring_histories(session, ids) if submit else {}
    attachments = (
        attachment_service.list_for_owners(
            session, reading.ATTACHMENT_OWNER, [evaluation.id for evaluation in stored.values()]
        )
        if submit
        else {}
    )
    years = {
        item.fiscal_year_id: fiscal_year_service.rule_parameters(item.fiscal_year)
        for item in items.values()
    }
    return _Facts(
        items=items,
        lines=lines,
        stored=stored,
        disbursed=disbursed,
        histories=histories,
        attachments=attachments,
        years=years,
        today=schedule.local_today(),
        now=clock.utcnow(),
    )


def plan(
    session: Session,
    actor: Actor,
    entries: Sequence[Entry],
    *,
    submit: bool,
    lock: bool = False,
) -> Batch[Hashable]:
    """Check every entry; ``lock``: the stored evaluations stay locked until the commit."""
    facts = _load(session, actor, entries, submit=submit, lock=lock)
    batch: Batch[Hashable] = Batch()
    accepted: list[_Accepted] = []
    for entry in entries:
        decided = batch.attempt(entry.key, partial(_decide, facts, actor, entry, submit=submit))
        if decided is not None:
            accepted.append(decided)
    batch.write = lambda session, origin: _write(session, origin, accepted)
    return batch


def _decide(facts: _Facts, actor: Actor, entry: Entry, *, submit: bool) -> _Accepted:
    """One entry's draft (and submission), as ``filing`` decides a single evaluation's."""
    item = facts.items.get(entry.item_id)
    if item is None:
        raise item_access.item_not_found()
    parameters = facts.years[item.fiscal_year_id]
    approved = targets_in_force.in_force(item, facts.lines.get(item.id, []))
    existing = facts.stored.get(item.id)
    checked = filing.draft(
        actor,
        item,
        entry.data,
        approved=approved,
        stored=existing,
        disbursed=facts.disbursed.get(item.id, scoring.ZERO),
        parameters=parameters,
        today=facts.today,
        expected_version=entry.data.version,
    )
    evaluation = SelfEvaluation(
        status=EvaluationStatus.draft if existing is None else existing.status,
        version=1 if existing is None else existing.version + 1,
        final_execution=checked.final_execution,
        sections=checked.sections,
        lines=[filing.new_line(line) for line in checked.lines],
    )
    submitted: dict[str, Any] = {}
    if submit:
        route = filing.CHAIN.check_submission(
            evaluation,
            by_unit=rules.needs_department_review(item),
            expected_version=evaluation.version,
        )
        submitted = filing.submit(
            item,
            evaluation,
            approved,
            parameters=parameters,
            history=facts.histories.get(item.id, {}),
            attachments=0 if existing is None else len(facts.attachments.get(existing.id, [])),
            now=facts.now,
        )
        evaluation.status = route
    return _Accepted(item, existing, evaluation, submitted)


def _columns(accepted: _Accepted, origin: Origin) -> dict[str, Any]:
    evaluation = accepted.evaluation
    return {
        "status": evaluation.status,
        "final_execution": evaluation.final_execution,
        "sections": evaluation.sections,
        "updated_at": origin.now,
        **accepted.submitted,
    }


def _write(session: Session, origin: Origin, accepted: list[_Accepted]) -> Written:
    new = [entry for entry in accepted if entry.stored is None]
    changed = [entry for entry in accepted if entry.stored is not None]
    created = repository.insert_evaluations(
        session,
        [
            {
                "scoring": {},
                "plausibility_flags": [],
                "completeness": [],
                **_columns(entry, origin),
                "item_id": entry.item.id,
                "fiscal_year_id": entry.item.fiscal_year_id,
                "organisation_id": entry.item.organisation_id,
                "created_by_id": origin.actor.user_id,
                "created_at": origin.now,
                "version": 1,
            }
            for entry in new
        ],
    )
    updated = [entry.stored.id for entry in changed if entry.stored is not None]
    repository.update_evaluations(
        session,
        [
            {
                "id": entry.stored.id,
                "version": entry.stored.version,
                **_columns(entry, origin),
            }
            for entry in changed
            if entry.stored is not None
        ],
    )
    repository.replace_lines(session, updated, _line_rows(created + updated, new + changed))
    return Written(
        count=len(accepted),
        created={ENTITY: created} if created else {},
        changed={ENTITY: updated} if updated else {},
    )


def _line_rows(ids: list[int], accepted: list[_Accepted]) -> list[dict[str, Any]]:
    """The lines of each accepted evaluation, under its row's id (``ids``, in the same order)."""
    return [
        {
            "evaluation_id": evaluation_id,
            "target_line_id": line.target_line_id,
            "final_actual": line.final_actual,
            "qualitative_status": line.qualitative_status,
            "qualitative_share": line.qualitative_share,
            "explanation": line.explanation,
            "computed_points": line.computed_points,
            "adjusted_points": None,
            "adjustment_reason": None,
        }
        for evaluation_id, entry in zip(ids, accepted, strict=True)
        for line in entry.evaluation.lines
    ]
