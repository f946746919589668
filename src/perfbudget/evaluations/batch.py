"""Many self-evaluations at once (S2.4): items, approved targets, stored evaluations and
payments (and to submit: monitoring histories and attachments) read in a fixed number of
statements, each draft (and submission) decided by ``filing`` as a single one is, and the
accepted ones written by bulk statements."""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.attachments import service as attachment_service
from perfbudget.auth.principal import Actor
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import repository as item_repository
from perfbudget.budget_items.models import BudgetItem
from perfbudget.bulk import Batch, Origin, Written, unique
from perfbudget.evaluations import filing, reading, repository, scoring
from perfbudget.evaluations.models import EvaluationStatus, SelfEvaluation
from perfbudget.evaluations.schemas import EvaluationDraft
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.monitoring import evaluation as monitoring_lines
from perfbudget.monitoring import schedule
from perfbudget.payments import service as payment_service
from perfbudget.targets import repository as target_repository

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


def plan(
    session: Session,
    actor: Actor,
    entries: Sequence[Entry],
    *,
    submit: bool,
    lock: bool = False,
) -> Batch[Hashable]:
    """Check every entry; ``lock``: the stored evaluations stay locked until the commit."""
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
    today, now = schedule.local_today(), clock.utcnow()
    years = {
        item.fiscal_year_id: fiscal_year_service.rule_parameters(item.fiscal_year)
        for item in items.values()
    }

    batch: Batch[Hashable] = Batch()
    accepted: list[_Accepted] = []
    for entry in entries:

        def decide(entry: Entry = entry) -> _Accepted:
            item = items.get(entry.item_id)
            if item is None:
                raise item_access.item_not_found()
            parameters = years[item.fiscal_year_id]
            approved = monitoring_lines.in_force(item, lines.get(item.id, []))
            existing = stored.get(item.id)
            checked = filing.draft(
                actor,
                item,
                entry.data,
                approved=approved,
                stored=existing,
                disbursed=disbursed.get(item.id, scoring.ZERO),
                parameters=parameters,
                today=today,
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
                route = filing.check_submittable(evaluation, item, evaluation.version)
                submitted = filing.submit(
                    item,
                    evaluation,
                    approved,
                    parameters=parameters,
                    history=histories.get(item.id, {}),
                    attachments=0 if existing is None else len(attachments.get(existing.id, [])),
                    now=now,
                )
                evaluation.status = route
            return _Accepted(item, existing, evaluation, submitted)

        decided = batch.attempt(entry.key, decide)
        if decided is not None:
            accepted.append(decided)
    batch.write = lambda session, origin: _write(session, origin, accepted)
    return batch


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
    repository.replace_lines(
        session,
        updated,
        [
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
            for evaluation_id, entry in zip(created + updated, new + changed, strict=True)
            for line in entry.evaluation.lines
        ],
    )
    return Written(
        count=len(accepted),
        created={ENTITY: created} if created else {},
        changed={ENTITY: updated} if updated else {},
    )
