"""The finance bureau's assessment of how each department does its performance work (考核,
S3): computed from the records (``measures``), scored by the bureau, ranked; the circular
that publishes the ranking is ``circular``."""

from collections import Counter

from sqlalchemy.orm import Session

from perfbudget.audit import service as audit
from perfbudget.errors import not_found
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.orgs.models import Organisation
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.principal import Actor
from perfbudget.results import measures, repository
from perfbudget.results.circular import create_circular, get_circular, publish_circular
from perfbudget.results.measures import (
    COMPUTED_SHARE,
    QUALITATIVE_SHARE,
    TOP_GRADE_POINTS,
    WEIGHTS,
)
from perfbudget.results.models import DepartmentAssessment, score_text
from perfbudget.results.schemas import (
    AssessmentUpdate,
    DepartmentAssessmentList,
    DepartmentAssessmentRead,
)
from perfbudget.results.service import is_department
from perfbudget.versioning import check_version

# the measures' weights and the circular stay importable from here for other stages
__all__ = [
    "COMPUTED_SHARE",
    "QUALITATIVE_SHARE",
    "TOP_GRADE_POINTS",
    "WEIGHTS",
    "compute_assessments",
    "create_circular",
    "get_circular",
    "list_assessments",
    "publish_circular",
    "score_assessment",
]


def _read(
    assessment: DepartmentAssessment, year: int, organisations: dict[int, Organisation]
) -> DepartmentAssessmentRead:
    return DepartmentAssessmentRead.model_validate(
        {
            "id": assessment.id,
            "fiscal_year": year,
            "department": OrganisationRef.model_validate(organisations[assessment.organisation_id]),
            "metrics": assessment.metrics,
            "computed_score": assessment.computed_score,
            "qualitative_score": assessment.qualitative_score,
            "qualitative_note": assessment.qualitative_note,
            "total_score": assessment.total_score,
            "rank": assessment.rank,
            "version": assessment.version,
        }
    )


def _listing(
    assessments: list[DepartmentAssessment], year: int, organisations: dict[int, Organisation]
) -> DepartmentAssessmentList:
    ordered = sorted(
        assessments,
        key=lambda a: (a.rank is None, a.rank or 0, organisations[a.organisation_id].code),
    )
    return DepartmentAssessmentList(
        fiscal_year=year,
        rules=measures.RULES,
        items=[_read(a, year, organisations) for a in ordered],
    )


def compute_assessments(session: Session, actor: Actor, year: int) -> DepartmentAssessmentList:
    """(Re)compute every department's measures from the records; the qualitative scores
    stay, totals and ranks follow. A published circular keeps its own snapshot."""
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    organisations = measures.organisations(session)
    tallies = measures.tallies(session, fiscal_year, organisations)
    existing = {a.organisation_id: a for a in repository.assessments(session, fiscal_year.id)}
    for org in organisations.values():
        if not is_department(org):
            continue
        metrics, computed = measures.measure(tallies.get(org.id, Counter()))
        assessment = existing.get(org.id)
        if assessment is None:
            assessment = DepartmentAssessment(fiscal_year_id=fiscal_year.id, organisation_id=org.id)
            repository.add(session, assessment)
            existing[org.id] = assessment
        if assessment.metrics != metrics:
            assessment.metrics = metrics
        if assessment.computed_score != computed:
            assessment.computed_score = computed
        total = measures.total(assessment)
        if assessment.total_score != total:
            assessment.total_score = total
    assessments = list(existing.values())
    measures.rank(assessments, organisations)
    session.flush()
    audit.record(
        session,
        actor,
        "department_assessment.computed",
        entity_type="fiscal_year",
        entity_id=fiscal_year.id,
        changes={
            "scores": {
                organisations[a.organisation_id].code: score_text(a.computed_score)
                for a in assessments
            }
        },
    )
    return _listing(assessments, year, organisations)


def list_assessments(session: Session, year: int) -> DepartmentAssessmentList:
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    assessments = list(repository.assessments(session, fiscal_year.id))
    return _listing(assessments, year, measures.organisations(session) if assessments else {})


def score_assessment(
    session: Session,
    actor: Actor,
    year: int,
    assessment_id: int,
    body: AssessmentUpdate,
    expected_version: int | None,
) -> DepartmentAssessmentRead:
    """Finance's qualitative score (0–100) and note; the total and the ranking follow."""
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    assessment = repository.assessment(session, assessment_id)
    if assessment is None or assessment.fiscal_year_id != fiscal_year.id:
        raise not_found("Department assessment", "部门考核")
    check_version(assessment.version, expected_version)
    before = audit.state(assessment)
    assessment.qualitative_score = body.qualitative_score
    assessment.qualitative_note = body.note
    assessment.total_score = measures.total(assessment)
    organisations = measures.organisations(session)
    measures.rank(list(repository.assessments(session, fiscal_year.id)), organisations)
    audit.record_edit(session, actor, "scored", assessment, before)
    return _read(assessment, year, organisations)
