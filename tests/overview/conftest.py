"""A small county built by hand, whose monitoring figures can be worked out on paper.

Items are funded through the HTTP API; reports, payments, plans, holds and rectifications
are put in place directly (their own endpoints are tested in tests/monitoring and
tests/payments)."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.budget_items.models import BudgetItem
from perfbudget.fiscal_years.parameters import RuleParameters
from perfbudget.monitoring.models import (
    Light,
    MonitoringReport,
    Rectification,
    RectificationStatus,
    ReportStatus,
)
from perfbudget.monitoring.schedule import due_date
from perfbudget.payments.models import (
    Disbursement,
    DisbursementSource,
    HoldKind,
    PaymentHold,
    SpendingPlanMonth,
)
from tests.workflow import Workflow

YEAR = 2027
TODAY = datetime(2027, 7, 20, 9, 30, tzinfo=UTC)
BUDGET_APPROVED = datetime(2026, 12, 20, 2, tzinfo=UTC)
OVERVIEW = f"/api/v1/fiscal-years/{YEAR}/monitoring-overview"
COMPLIANCE = f"/api/v1/fiscal-years/{YEAR}/monitoring-compliance"
QUEUE = "/api/v1/monitoring-reports"


def at(month: int, day: int, year: int = YEAR) -> datetime:
    return datetime(year, month, day, 10, tzinfo=UTC)


@dataclass
class Rows:
    """Direct inserts, each committed (a savepoint inside the test's transaction)."""

    db: Session

    def _item(self, item_id: int) -> BudgetItem:
        item = self.db.get(BudgetItem, item_id)
        assert item is not None
        return item

    def report(
        self,
        item_id: int,
        month: int,
        status: ReportStatus,
        *,
        light: Light | None = None,
        submitted: datetime | None = None,
        late: bool = False,
    ) -> int:
        item = self._item(item_id)
        report = MonitoringReport(
            item_id=item.id,
            fiscal_year_id=item.fiscal_year_id,
            organisation_id=item.organisation_id,
            month=month,
            status=status,
            cumulative_execution=Decimal("0.00"),
            due_on=due_date(RuleParameters(), item.fiscal_year.year, month, item.kind),
            submitted_at=submitted,
            late=late,
            item_light=light,
            execution_light=light,
            lights={},
        )
        self.db.add(report)
        self.db.commit()
        return report.id

    def paid(self, item_id: int, amount: str, on: date) -> None:
        self.db.add(
            Disbursement(
                item_id=item_id,
                amount=Decimal(amount),
                paid_on=on,
                purpose="拨付项目资金",
                source=DisbursementSource.manual,
                recorded_at=TODAY,
            )
        )
        self.db.commit()

    def plan(self, item_id: int, cumulative: list[str]) -> None:
        assert len(cumulative) == 12
        self.db.add_all(
            SpendingPlanMonth(item_id=item_id, month=month, cumulative_amount=Decimal(amount))
            for month, amount in enumerate(cumulative, start=1)
        )
        self.db.commit()

    def hold(self, item_id: int, kind: HoldKind, *, lifted: bool = False) -> int:
        hold = PaymentHold(
            item_id=item_id,
            kind=kind,
            reason="执行进度严重滞后",
            placed_at=at(7, 12),
            lifted_at=at(7, 18) if lifted else None,
        )
        self.db.add(hold)
        self.db.commit()
        return hold.id

    def rectification(
        self, item_id: int, report_id: int, status: RectificationStatus, deadline: date
    ) -> None:
        self.db.add(
            Rectification(
                item_id=item_id,
                report_id=report_id,
                organisation_id=self._item(item_id).organisation_id,
                required_measures="加快项目实施进度，按月报送整改情况",
                deadline=deadline,
                status=status,
            )
        )
        self.db.commit()


@pytest.fixture
def rows(db: Session) -> Rows:
    return Rows(db)


def fund(
    flow: Workflow,
    amount: str,
    *,
    user: str = "department",
    org: str = "201",
    kind: str = "project",
    name: str = "教师培训项目",
) -> int:
    """Filed, its targets approved and funded with the budget, in the December before the
    year (S2.2.2: targets with the request; S2.3.1: it owes every month), whatever the day."""
    with clock.replaying(BUDGET_APPROVED):
        if kind == "department_overall":
            item = flow.create(user, org, kind=kind, name=name, requested_amount=amount)
            item_id = int(item["id"])
            assert flow.post(item_id, "submit", user).status_code == 200
        else:
            item = flow.targets_approved(
                user=user, org=org, kind=kind, name=name, requested_amount=amount
            )
            item_id = int(item["id"])
        response = flow.decide(item_id, amount)
    assert response.status_code == 200, response.text
    return item_id


@dataclass
class County:
    items: dict[str, int] = field(default_factory=dict)
    reports: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Today is 20 July 2027: June's reports were due on the 10th, overall ones on the 15th."""
    monkeypatch.setattr(clock, "system_now", lambda: TODAY)
    return TODAY


@pytest.fixture
def county(flow: Workflow, rows: Rows, db: Session, monkeypatch: pytest.MonkeyPatch) -> County:
    """Education (201) with its unit 201001; Health (202). Figures for June, worked out:

    201  A project 1,200,000.00, plan 900,000.00 at June, paid 300,000 (Mar) + 150,000
           (30 Jun) + 100,000 (1 Jul, after June); June report in finance review, yellow
         B policy in 201001, 600,000.00, no plan, paid 120,000 (May); June report
           accepted, green, late; May report in finance review, red, late
         F project 200,000.00 funded on 3 August: owes no June report
    202  C project 800,000.00, no June report, suspended
         D project 333,333.33, June report returned, stopped
         E department_overall 5,000,000.00 (June only; no money figures), no report
         G policy 100,000.00, June report a draft, paid 10,000 (30 Jun)
    """
    c = County()
    c.items["A"] = fund(flow, "1200000.00")
    c.items["B"] = fund(flow, "600000.00", user="unit", org="201001", kind="policy")
    c.items["F"] = fund(flow, "200000.00", name="年中追加：校舍维修")
    c.items["C"] = fund(flow, "800000.00", user="health", org="202")
    c.items["D"] = fund(flow, "333333.33", user="health", org="202")
    c.items["E"] = fund(
        flow, "5000000.00", user="health", org="202", kind="department_overall", name="整体支出"
    )
    c.items["G"] = fund(flow, "100000.00", user="health", org="202", kind="policy")
    flow.create(name="未获批复的项目")  # a draft: never counted
    late_funded = db.get(BudgetItem, c.items["F"])
    assert late_funded is not None
    late_funded.decided_at = at(8, 3)
    db.commit()

    ids = c.items
    rows.plan(ids["A"], [f"{75000 * m * 2}.00" for m in range(1, 6)] + ["900000.00"] * 7)
    rows.paid(ids["A"], "300000.00", date(2027, 3, 15))
    rows.paid(ids["A"], "150000.00", date(2027, 6, 30))
    rows.paid(ids["A"], "100000.00", date(2027, 7, 1))
    rows.paid(ids["B"], "120000.00", date(2027, 5, 1))
    rows.paid(ids["G"], "10000.00", date(2027, 6, 30))

    c.reports["A6"] = rows.report(
        ids["A"], 6, ReportStatus.finance_review, light=Light.yellow, submitted=at(7, 5)
    )
    c.reports["B6"] = rows.report(
        ids["B"], 6, ReportStatus.accepted, light=Light.green, submitted=at(7, 12), late=True
    )
    c.reports["B5"] = rows.report(
        ids["B"], 5, ReportStatus.finance_review, light=Light.red, submitted=at(6, 12), late=True
    )
    c.reports["D6"] = rows.report(ids["D"], 6, ReportStatus.returned, submitted=at(7, 8))
    c.reports["G6"] = rows.report(ids["G"], 6, ReportStatus.draft)
    c.reports["C5"] = rows.report(
        ids["C"], 5, ReportStatus.rectify, light=Light.red, submitted=at(6, 9)
    )

    rows.hold(ids["A"], HoldKind.stop, lifted=True)
    rows.hold(ids["C"], HoldKind.suspend)
    rows.hold(ids["D"], HoldKind.stop)
    open_ = RectificationStatus.open
    rows.rectification(ids["A"], c.reports["A6"], open_, date(2027, 8, 31))
    rows.rectification(ids["B"], c.reports["B5"], RectificationStatus.accepted, date(2027, 7, 1))
    rows.rectification(ids["C"], c.reports["C5"], open_, date(2027, 7, 15))
    rows.rectification(ids["D"], c.reports["D6"], RectificationStatus.answered, date(2027, 7, 1))
    monkeypatch.setattr(clock, "system_now", lambda: TODAY)
    return c


def get_json(flow: Workflow, url: str, user: str = "finance", **params: Any) -> Any:
    response = flow.client.get(url, params=params, headers=flow.auth(user))
    assert response.status_code == 200, response.text
    return response.json()
