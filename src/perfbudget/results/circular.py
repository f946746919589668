"""The circular (通报, S3): the department assessment's ranking, drafted and then published
as it stands; what is published stays as published."""

from typing import Any

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.audit import service as audit
from perfbudget.errors import RuleViolation, not_found
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.orgs.models import Organisation
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.principal import Actor
from perfbudget.results import measures, repository
from perfbudget.results.models import AssessmentStatus, Circular, DepartmentAssessment, score_text
from perfbudget.results.schemas import CircularCreate, CircularPublish, CircularRead
from perfbudget.versioning import check_version


def _circular_read(circular: Circular, year: int) -> CircularRead:
    return CircularRead.model_validate(
        {
            "id": circular.id,
            "fiscal_year": year,
            "title": circular.title,
            "body": circular.body,
            "status": circular.status,
            "ranking": circular.ranking,
            "published_at": circular.published_at,
            "version": circular.version,
        }
    )


def _already_published() -> RuleViolation:
    return RuleViolation(
        "CIRCULAR_ALREADY_PUBLISHED",
        "The year's circular is already published; it stays as published (S3).",
        "本年度考核结果已通报，通报内容不再变更（S3）。",
    )


def create_circular(
    session: Session, actor: Actor, year: int, body: CircularCreate
) -> CircularRead:
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    existing = repository.circular(session, fiscal_year.id)
    if existing is not None:
        if existing.status is AssessmentStatus.published:
            raise _already_published()
        raise RuleViolation(
            "CIRCULAR_EXISTS",
            "The year already has a draft circular.",
            "本年度已有通报草稿。",
        )
    circular = Circular(fiscal_year_id=fiscal_year.id, title=body.title, body=body.body)
    repository.add(session, circular)
    session.flush()
    audit.record_change(
        session,
        actor,
        "circular.created",
        entity_type="circular",
        entity_id=circular.id,
        before=None,
        after={"fiscal_year": year, "title": circular.title},
    )
    return _circular_read(circular, year)


def _ranking(
    assessments: list[DepartmentAssessment], organisations: dict[int, Organisation]
) -> list[dict[str, Any]]:
    ranked = sorted(
        (a for a in assessments if a.rank is not None),
        key=lambda a: (a.rank or 0, organisations[a.organisation_id].code),
    )
    return [
        {
            "rank": a.rank,
            "department": OrganisationRef.model_validate(
                organisations[a.organisation_id]
            ).model_dump(),
            "computed_score": score_text(a.computed_score),
            "qualitative_score": score_text(a.qualitative_score),
            "total_score": score_text(a.total_score),
        }
        for a in ranked
    ]


def _check_scored(
    assessments: list[DepartmentAssessment], organisations: dict[int, Organisation]
) -> None:
    # a department with nothing on record to assess is listed, unranked, and not circulated
    unscored = sorted(
        organisations[a.organisation_id].code
        for a in assessments
        if a.computed_score is not None and a.qualitative_score is None
    )
    if unscored:
        raise RuleViolation(
            "ASSESSMENTS_INCOMPLETE",
            "Give every assessed department its qualitative score before publication (S3).",
            "须为每个参加考核的部门给出定性评分后方可通报（S3）。",
            extra={"departments": unscored},
        )


def publish_circular(
    session: Session, actor: Actor, year: int, body: CircularPublish, expected_version: int | None
) -> CircularRead:
    """Publish the ranking as it stands now; later recomputation leaves it unchanged (S3)."""
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    circular = repository.circular(session, fiscal_year.id)
    if circular is None:
        raise not_found("Circular", "考核通报")
    if circular.status is AssessmentStatus.published:
        raise _already_published()
    check_version(circular.version, expected_version)
    assessments = list(repository.assessments(session, fiscal_year.id))
    if not assessments:
        raise RuleViolation(
            "ASSESSMENTS_NOT_COMPUTED",
            "Compute the department assessments before publishing the circular (S3).",
            "请先测算部门考核结果，再发布通报（S3）。",
        )
    organisations = measures.organisations(session)
    _check_scored(assessments, organisations)
    circular.ranking = _ranking(assessments, organisations)
    circular.status = AssessmentStatus.published
    circular.published_at = clock.utcnow()
    circular.published_by_id = actor.user_id
    session.flush()
    audit.record_change(
        session,
        actor,
        "circular.published",
        entity_type="circular",
        entity_id=circular.id,
        before={"status": AssessmentStatus.draft.value},
        after={"status": circular.status.value, "ranking": circular.ranking},
    )
    return _circular_read(circular, year)


def get_circular(session: Session, year: int) -> CircularRead:
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    circular = repository.circular(session, fiscal_year.id)
    if circular is None:
        raise not_found("Circular", "考核通报")
    return _circular_read(circular, year)
