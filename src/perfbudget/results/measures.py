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

from perfbudget import figures
from perfbudget.budget_items.models import ItemKind
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.monitoring import schedule
from perfbudget.monitoring.models import RectificationStatus
from perfbudget.orgs.models import Organisation
from perfbudget.results import repository
from perfbudget.results.models import DepartmentAssessment
from perfbudget.results.service import department_of

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


def organisations(session: Session) -> dict[int, Organisation]:
    return {org.id: org for org in repository.organisations(session)}


def year_start(year: int) -> datetime:
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


def tallies(
    session: Session, fiscal_year: FiscalYear, organisations: dict[int, Organisation]
) -> dict[int, Counter[str]]:
    """The records, rolled up to each department: five statements whatever their number."""
    today = schedule.local_today()
    tallies: dict[int, Counter[str]] = {}

    def add(organisation_id: int, counts: dict[str, int]) -> None:
        department = department_of(organisations[organisation_id])
        tallies.setdefault(department, Counter()).update(counts)

    for organisation_id, counts in repository.item_records(
        session, fiscal_year.id, year_start(fiscal_year.year)
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


def measure(tally: Counter[str]) -> tuple[dict[str, Any], Decimal | None]:
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
    return _stored(measures), _computed(measures)


def _computed(measures: dict[str, dict[str, Any]]) -> Decimal | None:
    """Σ weight × share ÷ Σ weight × 100, over the measures with something to count."""
    measurable = [m for m in measures.values() if m["points"] is not None]
    return (
        _two(
            sum((m["points"] for m in measurable), Decimal(0))
            * 100
            / sum((m["weight"] for m in measurable), Decimal(0))
        )
        if measurable
        else None
    )


def _stored(measures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The measures as stored: decimals as strings, shares as percentages."""
    return {
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


def total(assessment: DepartmentAssessment) -> Decimal | None:
    if assessment.computed_score is None or assessment.qualitative_score is None:
        return None
    return _two(
        Decimal(assessment.computed_score) * COMPUTED_SHARE
        + Decimal(assessment.qualitative_score) * QUALITATIVE_SHARE
    )


def rank(assessments: list[DepartmentAssessment], organisations: dict[int, Organisation]) -> None:
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
        score = Decimal(assessment.total_score or 0)
        place = previous[1] if score == previous[0] else position
        if assessment.rank != place:
            assessment.rank = place
        previous = (score, place)
