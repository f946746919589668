"""A small county with a graded year, whose results and assessment figures are worked out
by hand. Items are funded through the HTTP API; evaluations, reports and rectifications are
inserted directly (the evaluation endpoints are tested in tests/evaluations)."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.budget_items.models import (
    BudgetBook,
    BudgetItem,
    FundCategory,
    ItemKind,
    ItemStatus,
)
from perfbudget.evaluations.models import EvaluationStatus, Grade, SelfEvaluation
from perfbudget.monitoring.models import Rectification, RectificationStatus, ReportStatus
from perfbudget.targets.models import TargetSet
from tests.overview.conftest import Rows, fund
from tests.workflow import Workflow

YEAR = 2027
TODAY = datetime(2028, 3, 1, 9, 30, tzinfo=UTC)  # every report of 2027 has fallen due
BASE = f"/api/v1/fiscal-years/{YEAR}"
RESULTS = f"{BASE}/results"
BY_ORGANISATION = f"{RESULTS}/by-organisation"
ASSESSMENTS = f"{BASE}/department-assessments"
CIRCULAR = f"{BASE}/circular"


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, tzinfo=UTC)


def grade(
    db: Session,
    item_id: int,
    score: str | None,
    grade_: Grade | None,
    status: EvaluationStatus = EvaluationStatus.graded,
) -> None:
    item = db.get(BudgetItem, item_id)
    assert item is not None
    db.add(
        SelfEvaluation(
            item_id=item.id,
            fiscal_year_id=item.fiscal_year_id,
            organisation_id=item.organisation_id,
            status=status,
            final_execution=Decimal("0.00"),
            final_score=Decimal(score) if score else None,
            grade=grade_,
            submitted_at=at(2028, 1, 20),
            graded_at=at(2028, 2, 10) if grade_ else None,
        )
    )
    db.commit()


def targets_submitted(db: Session, item_id: int, when: datetime) -> None:
    target_set = db.scalars(
        select(TargetSet).where(TargetSet.item_id == item_id, TargetSet.number == 1)
    ).one()
    target_set.submitted_at = when
    db.commit()


def extra_graded_items(db: Session, organisation_id: int, count: int) -> None:
    """More graded items, inserted directly: for the statement-count tests."""
    fiscal_year_id = db.scalars(select(BudgetItem.fiscal_year_id).limit(1)).one()
    for n in range(count):
        item = BudgetItem(
            fiscal_year_id=fiscal_year_id,
            organisation_id=organisation_id,
            name=f"批量项目{n}",
            kind=ItemKind.project,
            budget_book=BudgetBook.general_public,
            fund_category=FundCategory.ordinary,
            requested_amount=Decimal("1000.00"),
            approved_amount=Decimal("1000.00"),
            status=ItemStatus.funded,
        )
        db.add(item)
        db.flush()
        grade(db, item.id, "70.00", Grade.fair)


@dataclass
class County:
    items: dict[str, int] = field(default_factory=dict)
    reports: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def county(flow: Workflow, db: Session, monkeypatch: pytest.MonkeyPatch) -> County:
    """Education 201 (with its unit 201001) and Health 202; today is 1 March 2028.

    201  A project 1,200,000.00 优 92.50; 12 reports on time; order closed in time
         B policy in 201001, 600,000.00 中 72.00; 12 reports, 3 late; order closed late
         F project 200,000.00, targets submitted 5 Jan 2027 (late); no reports; no evaluation
    202  C project 800,000.00 差 55.00, targets submitted 1 Feb 2027 (late); no reports;
           an open order past its deadline
         D project 333,333.33 良 85.25; 12 reports on time; an open order not yet due
         E department_overall 5,000,000.00: June report on time; evaluation in finance review
    """
    rows = Rows(db)
    c = County()
    c.items["A"] = fund(flow, "1200000.00")
    c.items["B"] = fund(flow, "600000.00", user="unit", org="201001", kind="policy")
    c.items["F"] = fund(flow, "200000.00", name="校舍维修")
    c.items["C"] = fund(flow, "800000.00", user="health", org="202")
    c.items["D"] = fund(flow, "333333.33", user="health", org="202")
    c.items["E"] = fund(
        flow, "5000000.00", user="health", org="202", kind="department_overall", name="整体支出"
    )
    ids = c.items
    targets_submitted(db, ids["F"], at(2027, 1, 5))
    targets_submitted(db, ids["C"], at(2027, 2, 1))
    for month in range(1, 13):
        for key in ("A", "B", "D"):
            late = key == "B" and month in (2, 5, 8)
            c.reports[f"{key}{month}"] = rows.report(
                ids[key], month, ReportStatus.accepted, submitted=at(2027, 6, 1), late=late
            )
    c.reports["E6"] = rows.report(ids["E"], 6, ReportStatus.accepted, submitted=at(2027, 7, 2))
    c.reports["C3"] = rows.report(ids["C"], 3, ReportStatus.draft)
    rows.rectification(ids["A"], c.reports["A3"], RectificationStatus.accepted, date(2027, 5, 31))
    rows.rectification(ids["B"], c.reports["B3"], RectificationStatus.accepted, date(2027, 5, 31))
    rows.rectification(ids["C"], c.reports["C3"], RectificationStatus.open, date(2027, 9, 30))
    rows.rectification(ids["D"], c.reports["D3"], RectificationStatus.open, date(2028, 4, 30))
    verified = {ids["A"]: at(2027, 5, 10), ids["B"]: at(2027, 6, 5)}
    for rectification in db.scalars(
        select(Rectification).where(Rectification.item_id.in_(verified))
    ):
        rectification.verified_at = verified[rectification.item_id]
    db.commit()

    grade(db, ids["A"], "92.50", Grade.excellent)
    grade(db, ids["B"], "72.00", Grade.fair)
    grade(db, ids["C"], "55.00", Grade.poor)
    grade(db, ids["D"], "85.25", Grade.good)
    grade(db, ids["E"], None, None, EvaluationStatus.finance_review)
    monkeypatch.setattr(clock, "system_now", lambda: TODAY)
    return c


def get_json(flow: Workflow, url: str, user: str = "finance", **params: Any) -> Any:
    response = flow.client.get(url, params=params, headers=flow.auth(user))
    assert response.status_code == 200, response.text
    return response.json()
