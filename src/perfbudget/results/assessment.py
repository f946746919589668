"""The finance bureau's assessment of how each department does its performance work, and
the circular (考核、通报, S3).

Computed from the records, per top-level department with its subordinate units:

- targets on time: funded projects and policies whose original targets (set 1) were
  submitted before 1 January of the year, Beijing time — with the budget request, before
  execution began (S2.2.2);
- reports on time: monthly reports owed and submitted by their due date ÷ reports owed by
  today (each funded item owes one per month whose due date has passed and that ended after
  it was funded, ``schedule.owes_report``; overall budgets June only);
- rectifications on time: orders verified as rectified on or before their deadline ÷ orders
  whose deadline has passed or that are verified (S2.3.2);
- evaluations submitted: self-evaluations submitted ÷ funded items (S2.4);
- average grade: 优 4, 良 3, 中 2, 差 1 over the graded items, as a share of 4.

Computed score = Σ weight × share ÷ Σ weight × 100, over the measures with something to
count (a department without rectification orders is not judged on them). Total = 80 %
computed + 20 % the bureau's qualitative score; ranked by total, ties sharing a rank."""

from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from perfbudget import clock, figures
from perfbudget.audit import service as audit
from perfbudget.auth.principal import Actor
from perfbudget.budget_items.models import ItemKind
from perfbudget.errors import RuleViolation, not_found
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.monitoring import schedule
from perfbudget.monitoring.models import RectificationStatus
from perfbudget.orgs.models import Organisation
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.results import repository
from perfbudget.results.models import AssessmentStatus, Circular, DepartmentAssessment
from perfbudget.results.schemas import (
    AssessmentUpdate,
    CircularCreate,
    CircularPublish,
    CircularRead,
    DepartmentAssessmentList,
    DepartmentAssessmentRead,
)
from perfbudget.results.service import department_of, is_department
from perfbudget.versioning import check_version

CENT = Decimal("0.01")
WEIGHTS = {
    "targets_on_time": Decimal(20),
    "reports_on_time": Decimal(20),
    "rectifications_on_time": Decimal(15),
    "evaluations_submitted": Decimal(20),
    "average_grade": Decimal(25),
}
COMPUTED_SHARE = Decimal("0.8")
QUALITATIVE_SHARE = Decimal("0.2")
TOP_GRADE_POINTS = 4
RULES = (
    "computed = Σ weight × share ÷ Σ weight × 100 over measurable measures; weights: targets "
    "on time 20, reports on time 20, rectifications by deadline 15, self-evaluations "
    "submitted 20, average grade (优 4 良 3 中 2 差 1, ÷ 4) 25; total = 80 % computed + "
    "20 % qualitative; ranked by total"
)


def _two(value: Decimal) -> Decimal:
    """A share or score as shown, by the one rounding rule (``figures``)."""
    return figures.shown(value)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _year_start(year: int) -> datetime:
    return datetime(year, 1, 1, tzinfo=schedule.COUNTY_TIME)


def _months_due(fiscal_year: FiscalYear, today: date) -> dict[ItemKind, list[int]]:
    """The months of each kind whose report has fallen due by ``today`` (S2.3.1)."""
    parameters = fiscal_year_service.rule_parameters(fiscal_year)
    return {
        kind: [
            month
            for month in schedule.report_months(kind)
            if schedule.due_date(parameters, fiscal_year.year, month, kind) < today
        ]
        for kind in ItemKind
    }


def _reports_owed(session: Session, fiscal_year: FiscalYear, today: date) -> dict[int, int]:
    """Per owning organisation, the reports its funded items owe by ``today``: each month
    fallen due that the item owes (``schedule.owes_report``, the overview's rule too)."""
    months_due = _months_due(fiscal_year, today)
    owed: Counter[int] = Counter()
    for row in repository.funded_moments(session, fiscal_year.id):
        owed[row.organisation_id] += row.items * sum(
            schedule.owes_report(row.kind, row.decided_at, fiscal_year.year, month)
            for month in months_due[row.kind]
        )
    return owed


def _tallies(
    session: Session, fiscal_year: FiscalYear, organisations: dict[int, Organisation]
) -> dict[int, Counter[str]]:
    """The records, rolled up to each department: five statements whatever their number."""
    today = schedule.local_today()
    tallies: dict[int, Counter[str]] = {}

    def add(organisation_id: int, counts: dict[str, int]) -> None:
        department = department_of(organisations[organisation_id])
        tallies.setdefault(department, Counter()).update(counts)

    for organisation_id, counts in repository.item_records(
        session, fiscal_year.id, _year_start(fiscal_year.year)
    ).items():
        add(organisation_id, counts)
    for organisation_id, owed in _reports_owed(session, fiscal_year, today).items():
        add(organisation_id, {"reports_owed": owed})
    month_ends = {
        month: schedule.funded_by_month_end(fiscal_year.year, month) for month in range(1, 13)
    }
    for organisation_id, counts in repository.reports_on_time(
        session, fiscal_year.id, month_ends
    ).items():
        add(organisation_id, counts)
    for row in repository.rectifications(session, fiscal_year.id):
        verified = row.status is RectificationStatus.accepted
        closed_on = (
            row.verified_at.astimezone(schedule.COUNTY_TIME).date()
            if verified and row.verified_at
            else None
        )
        if verified or row.deadline < today:
            on_time = closed_on is not None and closed_on <= row.deadline
            add(row.organisation_id, {"rectifications_due": 1, "rectifications_on_time": on_time})
    return tallies


def _metric(achieved: int, of: int, weight: Decimal) -> dict[str, Any]:
    if not of:
        return {"achieved": achieved, "of": of, "share": None, "weight": weight, "points": None}
    share = min(Decimal(achieved) / Decimal(of), Decimal(1))
    return {
        "achieved": achieved,
        "of": of,
        "share": share,
        "weight": weight,
        "points": share * weight,
    }


def _measure(tally: Counter[str]) -> tuple[dict[str, Any], Decimal | None]:
    """The five measures as stored (decimals as strings) and the computed score."""
    graded = tally["graded"]
    grades = _metric(tally["grade_points"], graded * TOP_GRADE_POINTS, WEIGHTS["average_grade"])
    grades["achieved"] = graded
    grades["of"] = graded
    grades["average"] = Decimal(tally["grade_points"]) / graded if graded else None
    measures = {
        "targets_on_time": _metric(
            tally["targets_on_time"], tally["targets_due"], WEIGHTS["targets_on_time"]
        ),
        "reports_on_time": _metric(
            tally["reports_on_time"], tally["reports_owed"], WEIGHTS["reports_on_time"]
        ),
        "rectifications_on_time": _metric(
            tally["rectifications_on_time"],
            tally["rectifications_due"],
            WEIGHTS["rectifications_on_time"],
        ),
        "evaluations_submitted": _metric(
            tally["evaluations_submitted"], tally["funded"], WEIGHTS["evaluations_submitted"]
        ),
        "average_grade": grades,
    }
    measurable = [m for m in measures.values() if m["points"] is not None]
    computed = (
        _two(
            sum((m["points"] for m in measurable), Decimal(0))
            * 100
            / sum((m["weight"] for m in measurable), Decimal(0))
        )
        if measurable
        else None
    )
    stored = {
        key: {
            name: (
                f"{_two(value * 100 if name == 'share' else value)}"
                if isinstance(value, Decimal)
                else value
            )
            for name, value in measure.items()
        }
        for key, measure in measures.items()
    }
    return stored, computed


def _total(assessment: DepartmentAssessment) -> Decimal | None:
    if assessment.computed_score is None or assessment.qualitative_score is None:
        return None
    return _two(
        Decimal(assessment.computed_score) * COMPUTED_SHARE
        + Decimal(assessment.qualitative_score) * QUALITATIVE_SHARE
    )


def _rank(assessments: list[DepartmentAssessment], organisations: dict[int, Organisation]) -> None:
    """Competition ranking by total (1, 1, 3); unscored departments have no rank."""
    scored = sorted(
        (a for a in assessments if a.total_score is not None),
        key=lambda a: (-Decimal(a.total_score or 0), organisations[a.organisation_id].code),
    )
    for assessment in assessments:
        if assessment.total_score is None and assessment.rank is not None:
            assessment.rank = None
    previous: tuple[Decimal | None, int] = (None, 0)
    for position, assessment in enumerate(scored, start=1):
        total = Decimal(assessment.total_score or 0)
        rank = previous[1] if total == previous[0] else position
        if assessment.rank != rank:
            assessment.rank = rank
        previous = (total, rank)


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
        fiscal_year=year, rules=RULES, items=[_read(a, year, organisations) for a in ordered]
    )


def _organisations(session: Session) -> dict[int, Organisation]:
    return {org.id: org for org in repository.organisations(session)}


def compute_assessments(session: Session, actor: Actor, year: int) -> DepartmentAssessmentList:
    """(Re)compute every department's measures from the records; the qualitative scores
    stay, totals and ranks follow. A published circular keeps its own snapshot."""
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    organisations = _organisations(session)
    tallies = _tallies(session, fiscal_year, organisations)
    existing = {a.organisation_id: a for a in repository.assessments(session, fiscal_year.id)}
    for org in organisations.values():
        if not is_department(org):
            continue
        metrics, computed = _measure(tallies.get(org.id, Counter()))
        assessment = existing.get(org.id)
        if assessment is None:
            assessment = DepartmentAssessment(fiscal_year_id=fiscal_year.id, organisation_id=org.id)
            repository.add(session, assessment)
            existing[org.id] = assessment
        if assessment.metrics != metrics:
            assessment.metrics = metrics
        if assessment.computed_score != computed:
            assessment.computed_score = computed
        total = _total(assessment)
        if assessment.total_score != total:
            assessment.total_score = total
    assessments = list(existing.values())
    _rank(assessments, organisations)
    session.flush()
    audit.record(
        session,
        actor,
        "department_assessment.computed",
        entity_type="fiscal_year",
        entity_id=fiscal_year.id,
        changes={
            "scores": {
                organisations[a.organisation_id].code: _text(a.computed_score) for a in assessments
            }
        },
    )
    return _listing(assessments, year, organisations)


def list_assessments(session: Session, year: int) -> DepartmentAssessmentList:
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    assessments = list(repository.assessments(session, fiscal_year.id))
    return _listing(assessments, year, _organisations(session) if assessments else {})


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
    before = {
        "qualitative_score": _text(assessment.qualitative_score),
        "qualitative_note": assessment.qualitative_note,
        "total_score": _text(assessment.total_score),
    }
    assessment.qualitative_score = body.qualitative_score
    assessment.qualitative_note = body.note
    assessment.total_score = _total(assessment)
    organisations = _organisations(session)
    _rank(list(repository.assessments(session, fiscal_year.id)), organisations)
    session.flush()
    audit.record_change(
        session,
        actor,
        "department_assessment.scored",
        entity_type="department_assessment",
        entity_id=assessment.id,
        before=before,
        after={
            "qualitative_score": _text(assessment.qualitative_score),
            "qualitative_note": assessment.qualitative_note,
            "total_score": _text(assessment.total_score),
        },
    )
    return _read(assessment, year, organisations)


# --- the circular ---------------------------------------------------------------------------


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


def _snapshot(
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
            "computed_score": _text(a.computed_score),
            "qualitative_score": _text(a.qualitative_score),
            "total_score": _text(a.total_score),
        }
        for a in ranked
    ]


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
    organisations = _organisations(session)
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
    circular.ranking = _snapshot(assessments, organisations)
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
