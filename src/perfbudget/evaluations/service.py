"""Self-evaluation (自评, S2.4): the owner files the year's final actuals, execution and report,
and submits it: to the parent department for a unit (S3), else to finance. Finance's review
and grade are ``review``'s, a third party's evaluation ``third_party``'s."""

from decimal import Decimal

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.attachments import service as attachment_service
from perfbudget.attachments.models import Attachment
from perfbudget.audit import service as audit
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import rules
from perfbudget.budget_items.models import BudgetItem
from perfbudget.evaluations import filing, reading, repository, scoring
from perfbudget.evaluations.models import EvaluationLine, EvaluationStatus, SelfEvaluation

# the reviews' home is ``review``; the demo and the tests call these from here
from perfbudget.evaluations.schemas import EvaluationAction, EvaluationDraft, EvaluationRead
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.parameters import RuleParameters
from perfbudget.monitoring import schedule
from perfbudget.payments import service as payment_service
from perfbudget.principal import Actor

EDITABLE_LINE_FIELDS = ("final_actual", "qualitative_status", "qualitative_share", "explanation")


def read_evaluation(session: Session, actor: Actor, item_id: int) -> EvaluationRead:
    """The self-evaluation; before its first save, the draft it starts from (not saved: no
    id, no version), or the refusal the first save would meet (S2.4)."""
    item = item_access.get_item(session, actor, item_id)
    evaluation = repository.of_item(session, item.id)
    if evaluation is not None:
        return reading.evaluation_read(session, item, evaluation)
    approved = reading.target_lines(session, item)
    checked = filing.first_draft(
        item,
        approved=approved,
        disbursed=_disbursed(session, item),
        parameters=fiscal_year_service.rule_parameters(item.fiscal_year),
        today=schedule.local_today(),
    )
    draft = _new_evaluation(item, checked, created_by_id=None)
    return reading.evaluation_read(session, item, draft, list(reading.require_approved(approved)))


def _disbursed(session: Session, item: BudgetItem) -> Decimal:
    """What a save without ``final_execution`` records: every disbursement to the item."""
    return payment_service.disbursed_totals(session, [item.id]).get(item.id, scoring.ZERO)


def _new_evaluation(
    item: BudgetItem, checked: filing.Draft, *, created_by_id: int | None
) -> SelfEvaluation:
    """A self-evaluation as its first save stores it (not yet added to the session)."""
    return SelfEvaluation(
        item_id=item.id,
        fiscal_year_id=item.fiscal_year_id,
        organisation_id=item.organisation_id,
        status=EvaluationStatus.draft,
        final_execution=checked.final_execution,
        sections=checked.sections,
        scoring={},
        plausibility_flags=[],
        completeness=[],
        third_party_adopted=False,
        created_by_id=created_by_id,
        lines=[filing.new_line(entry) for entry in checked.lines],
    )


def _replace_lines(evaluation: SelfEvaluation, lines: list[EvaluationLine]) -> None:
    """Update answered lines in place: a line's row is unique per target line, and a
    delete-then-insert of the same target line would collide before the delete is flushed."""
    existing = {line.target_line_id: line for line in evaluation.lines}
    kept = []
    for line in lines:
        row = existing.get(line.target_line_id)
        if row is None:
            kept.append(line)
            continue
        for name in EDITABLE_LINE_FIELDS:
            setattr(row, name, getattr(line, name))
        row.computed_points = row.adjusted_points = row.adjustment_reason = None
        kept.append(row)
    evaluation.lines = kept


def save_draft(
    session: Session,
    actor: Actor,
    item_id: int,
    data: EvaluationDraft,
    expected_version: int | None,
) -> EvaluationRead:
    """Create the self-evaluation, or replace its draft (the version read is then required)."""
    item = item_access.get_item(session, actor, item_id)
    approved = reading.target_lines(session, item)
    evaluation = repository.of_item(session, item.id)
    checked = filing.draft(
        actor,
        item,
        data,
        approved=approved,
        stored=evaluation,
        disbursed=_disbursed(session, item),
        parameters=fiscal_year_service.rule_parameters(item.fiscal_year),
        today=schedule.local_today(),
        expected_version=expected_version,
    )
    if evaluation is None:
        evaluation = _new_evaluation(item, checked, created_by_id=actor.user_id)
        repository.add(session, evaluation)
        audit.record_edit(session, actor, "created", evaluation, None, context={"item_id": item.id})
    else:
        before = audit.state(evaluation)
        evaluation.final_execution = checked.final_execution
        evaluation.sections = checked.sections
        _replace_lines(evaluation, [filing.new_line(entry) for entry in checked.lines])
        audit.record_edit(session, actor, "updated", evaluation, before)
    return reading.evaluation_read(session, item, evaluation, list(approved or []))


def _filable(session: Session, actor: Actor, item_id: int) -> tuple[BudgetItem, RuleParameters]:
    item = item_access.get_item(session, actor, item_id)
    parameters = fiscal_year_service.rule_parameters(item.fiscal_year)
    filing.check_filer(actor, item, parameters, schedule.local_today())
    return item, parameters


def submit(
    session: Session,
    actor: Actor,
    item_id: int,
    data: EvaluationAction,
    expected_version: int | None,
) -> EvaluationRead:
    """Score the self-evaluation and send it on: to the parent department for a unit (S3),
    else to finance."""
    item, parameters = _filable(session, actor, item_id)
    evaluation = reading.evaluation_of(session, item)
    route = filing.CHAIN.check_submission(
        evaluation, by_unit=rules.needs_department_review(item), expected_version=expected_version
    )
    approved = reading.target_lines(session, item)
    filing.submit(
        item,
        evaluation,
        approved,
        parameters=parameters,
        history=repository.monitoring_history(session, item.id),
        attachments=len(
            attachment_service.list_for_owner(session, reading.ATTACHMENT_OWNER, evaluation.id)
        ),
        now=clock.utcnow(),
    )
    filing.CHAIN.move_to(session, actor, evaluation, route, "submitted")
    return reading.evaluation_read(session, item, evaluation, list(approved or []))


def add_attachment(
    session: Session, actor: Actor, item_id: int, upload: attachment_service.Source
) -> Attachment:
    """A report attachment (PDF, Word, Excel) while the self-evaluation can be changed."""
    item = item_access.get_item(session, actor, item_id)
    rules.require_owner_side(actor, item)
    evaluation = reading.evaluation_of(session, item)
    filing.check_editable(evaluation)
    return attachment_service.store(session, actor, reading.ATTACHMENT_OWNER, evaluation.id, upload)
