"""The overview, the compliance listing and the queue read in a fixed number of statements,
whatever the number of items, reports and payments."""

from datetime import date, timedelta
from decimal import Decimal

from perfbudget.budget_items.models import (
    BudgetBook,
    BudgetItem,
    FundCategory,
    ItemKind,
    ItemStatus,
)
from perfbudget.fiscal_years import repository as fiscal_year_repository
from perfbudget.monitoring.models import Light, RectificationStatus, ReportStatus
from perfbudget.payments.models import HoldKind
from tests.factories import demo_org
from tests.overview.conftest import COMPLIANCE, OVERVIEW, QUEUE, TODAY, at

UNITS = ("201", "201001", "201002", "202", "202001", "202001001", "203", "203001", "204")
LIGHTS = list(Light)
STATUSES = [ReportStatus.finance_review, ReportStatus.accepted, ReportStatus.draft]


def _grow(db, rows, count):
    """``count`` more funded items, each with reports, payments, a plan, a hold and an order."""
    fiscal_year = fiscal_year_repository.get_by_year(db, 2027)
    organisations = [demo_org(db, code).id for code in UNITS]
    items = [
        BudgetItem(
            fiscal_year_id=fiscal_year.id,
            organisation_id=organisations[n % len(organisations)],
            name=f"批量项目{n}",
            kind=(ItemKind.project, ItemKind.policy)[n % 2],
            budget_book=list(BudgetBook)[n % 4],
            fund_category=FundCategory.ordinary,
            requested_amount=Decimal("500000.00"),
            approved_amount=Decimal("480000.00"),
            status=ItemStatus.funded,
            decided_at=at(1, 5),
        )
        for n in range(count)
    ]
    db.add_all(items)
    db.commit()
    for n, item in enumerate(items):
        for month in (5, 6):
            report = rows.report(
                item.id,
                month,
                STATUSES[n % 3],
                light=LIGHTS[n % 4],
                submitted=at(month + 1, 8 + n % 5),
                late=n % 5 > 2,
            )
        rows.paid(item.id, "1000.00", date(2027, 6, 1) + timedelta(days=n % 40))
        if n % 3 == 0:
            rows.plan(item.id, [f"{40000 * m}.00" for m in range(1, 13)])
        if n % 4 == 0:
            rows.hold(item.id, (HoldKind.suspend, HoldKind.stop)[n % 8 // 4])
        if n % 5 == 0:
            rows.rectification(item.id, report, RectificationStatus.open, date(2027, 7, 1 + n % 30))


def _statements(flow, count_queries, url, **params):
    count_queries.statements.clear()
    response = flow.client.get(url, params=params, headers=flow.auth("finance"))
    assert response.status_code == 200, response.text
    return count_queries.count, response.json()


def test_statement_count_does_not_grow_with_the_county(flow, county, rows, db, count_queries):
    calls = [
        (OVERVIEW, {"month": 6}),
        (COMPLIANCE, {"month": 6}),
        (QUEUE, {"limit": 100}),
        (QUEUE, {"limit": 100, "organisation_id": demo_org(db, "201").id, "light": "red"}),
    ]
    small = [_statements(flow, count_queries, url, **params) for url, params in calls]
    _grow(db, rows, 60)
    large = [_statements(flow, count_queries, url, **params) for url, params in calls]

    assert [count for count, _ in small] == [count for count, _ in large]
    assert all(count <= 8 for count, _ in large), [count for count, _ in large]
    # and the larger county really was read
    assert large[0][1]["county"]["items"] == small[0][1]["county"]["items"] + 60
    assert large[1][1]["late_total"] > small[1][1]["late_total"]
    assert large[2][1]["total"] > small[2][1]["total"]
    assert TODAY.date().isoformat() == large[0][1]["as_of"]
