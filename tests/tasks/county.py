"""A county with something waiting for every role, put in place directly (rows, as the
overview's statement tests do) so that it can grow: ``grow(db, n)`` adds ``n`` of each."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from perfbudget.assessments.models import (
    Assessment,
    AssessmentReview,
    AssessmentStatus,
)
from perfbudget.budget_items.models import (
    BudgetBook,
    BudgetItem,
    FundCategory,
    ItemKind,
    ItemStatus,
)
from perfbudget.evaluations.models import EvaluationStatus, SelfEvaluation
from perfbudget.fiscal_years import repository as fiscal_year_repository
from perfbudget.monitoring.models import (
    MonitoringReport,
    Rectification,
    RectificationStatus,
    ReportStatus,
)
from perfbudget.targets.models import TargetSet, TargetSetStatus
from perfbudget.users import repository as user_repository
from tests.factories import demo_org

BEFORE_THE_YEAR = datetime(2026, 12, 20, tzinfo=UTC)
SUBMITTED = datetime(2027, 6, 20, tzinfo=UTC)


def _item(db: Session, org: str, status: ItemStatus, name: str, **fields: object) -> BudgetItem:
    year = fiscal_year_repository.get_by_year(db, 2027)
    assert year is not None
    funded = status is ItemStatus.funded
    item = BudgetItem(
        fiscal_year_id=year.id,
        organisation_id=demo_org(db, org).id,
        name=name,
        kind=ItemKind.project,
        budget_book=BudgetBook.general_public,
        fund_category=FundCategory.ordinary,
        requested_amount=Decimal("500000.00"),
        approved_amount=Decimal("480000.00") if funded else None,
        decided_at=BEFORE_THE_YEAR if funded else None,
        submitted_at=None if status is ItemStatus.draft else SUBMITTED,
        status=status,
        **fields,
    )
    db.add(item)
    db.flush()
    return item


def _report(db: Session, item: BudgetItem, month: int, status: ReportStatus) -> MonitoringReport:
    report = MonitoringReport(
        item_id=item.id,
        fiscal_year_id=item.fiscal_year_id,
        organisation_id=item.organisation_id,
        month=month,
        status=status,
        cumulative_execution=Decimal("100000.00"),
        due_on=date(2027, month + 1, 10),
        submitted_at=SUBMITTED,
    )
    db.add(report)
    db.flush()
    return report


def grow(db: Session, count: int) -> None:
    """``count`` times: a draft, a unit's request in department review, a request in finance
    review with its targets, funded items owing reports (one filed to finance, one unit's to
    its department, one rectification open and one answered), self-evaluations in both
    reviews, a submitted assessment assigned to the expert and the third party, one without
    reviewers, and a capital construction request for the investment authority."""
    expert = user_repository.get_by_username(db, "expert")
    third_party = user_repository.get_by_username(db, "thirdparty")
    assert expert is not None and third_party is not None
    for n in range(count):
        _item(db, "201", ItemStatus.draft, f"草稿{n}")
        _item(db, "201001", ItemStatus.department_review, f"单位申请{n}")
        decision = _item(db, "202", ItemStatus.finance_review, f"待决定{n}")
        db.add(
            TargetSet(
                item_id=decision.id,
                number=1,
                status=TargetSetStatus.finance_review,
                submitted_at=SUBMITTED,
            )
        )
        own = _item(db, "201", ItemStatus.funded, f"执行项目{n}")
        unit = _item(db, "201001", ItemStatus.funded, f"单位执行项目{n}")
        _report(db, own, 6, ReportStatus.finance_review)
        _report(db, unit, 6, ReportStatus.department_review)
        for status in (RectificationStatus.open, RectificationStatus.answered):
            db.add(
                Rectification(
                    item_id=own.id,
                    report_id=_report(
                        db, own, 4 + (status is RectificationStatus.open), ReportStatus.rectify
                    ).id,
                    organisation_id=own.organisation_id,
                    required_measures="加快进度",
                    deadline=date(2027, 7, 1),
                    status=status,
                )
            )
        for item, status in (
            (own, EvaluationStatus.finance_review),
            (unit, EvaluationStatus.department_review),
        ):
            db.add(
                SelfEvaluation(
                    item_id=item.id,
                    fiscal_year_id=item.fiscal_year_id,
                    organisation_id=item.organisation_id,
                    status=status,
                    final_execution=Decimal("400000.00"),
                    submitted_at=SUBMITTED,
                )
            )
        for org, reviewers in (("203", (expert.id, third_party.id)), ("204", ())):
            major = _item(db, org, ItemStatus.finance_review, f"重大项目{org}-{n}", new_major=True)
            assessment = Assessment(
                item_id=major.id,
                assessor_role="department",
                dimensions={},
                conclusion="",
                status=AssessmentStatus.submitted,
                submitted_at=SUBMITTED,
            )
            db.add(assessment)
            db.flush()
            for reviewer in reviewers:
                db.add(AssessmentReview(assessment_id=assessment.id, reviewer_id=reviewer))
        _item(
            db, "204", ItemStatus.draft, f"基建项目{n}", new_major=True, capital_construction=True
        )
    db.commit()


# each role's kinds that ``grow`` fills
FILLED = {
    "finance": {
        "budget_item",
        "targets",
        "assessment",
        "monitoring_report",
        "rectification",
        "self_evaluation",
    },
    "department": {"budget_item", "monitoring_report", "rectification", "self_evaluation"},
    "unit": {"monitoring_report"},
    "expert": {"assessment_review"},
    "thirdparty": {"assessment_review"},
    "investment": {"assessment"},
    "health": set(),
    "agriculture": set(),
    "transport": {"budget_item"},
    "oversight": set(),
    "admin": set(),
}
