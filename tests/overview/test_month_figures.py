"""The overview's read model (``item_month_figures``, issue 16), driven through the HTTP API
as a client would: every write that changes an input keeps its item's twelve rows equal to
the rule in the request's own transaction, a refused write leaves them as they were,
``check`` / ``rebuild`` and the CLI find and repair a drift, the answers written without
validation equal their models' JSON, and the reads and payments cost a fixed number of
statements."""

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text, update
from sqlalchemy.orm import Session

from perfbudget import cli, clock
from perfbudget.budget_items import repository as item_repository
from perfbudget.budget_items.schemas import BudgetItemRead
from perfbudget.db import get_engine
from perfbudget.evaluations.models import Grade
from perfbudget.fiscal_years import repository as fiscal_year_repository
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.monitoring.models import Light
from perfbudget.overview import month_figures
from perfbudget.overview.models import ItemMonthFigure
from perfbudget.overview.schemas import MonitoringCompliance
from perfbudget.pagination import Page
from perfbudget.payments import service as payment_service
from perfbudget.payments.models import HoldKind
from perfbudget.principal import Actor
from tests.budget_items.test_result_gates import _graded_predecessor
from tests.factories import demo_org
from tests.imports.conftest import upload
from tests.imports.test_monitoring import report_rows
from tests.isolated import served_county, sign_in
from tests.monitoring.conftest import Monitor
from tests.overview.conftest import BUDGET_APPROVED, COMPLIANCE, OVERVIEW, get_json
from tests.overview.test_statements import _grow
from tests.platform.test_cli import cli_database  # noqa: F401 - the fixture, shared
from tests.problems import assert_problem
from tests.workflow import Workflow

ITEMS = "/api/v1/budget-items"
MONTHS = range(1, 13)
# a row's figures, in this order
FIELDS = (
    "owes",
    "submitted",
    "late",
    "light",
    "approved_cents",
    "planned_cents",
    "disbursed_cents",
)
Figures = dict[int, tuple[Any, ...]]


# --- helpers ---------------------------------------------------------------------------------


def figures(db: Session, item_id: int) -> Figures:
    """The item's stored rows by month, as (owes, submitted, late, light, approved, planned,
    disbursed), read from the table itself."""
    rows = db.execute(
        select(ItemMonthFigure.month, *(getattr(ItemMonthFigure, name) for name in FIELDS))
        .where(ItemMonthFigure.item_id == item_id)
        .order_by(ItemMonthFigure.month)
    ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def unreported(approved_cents: int, *, owes_from: int = 1) -> Figures:
    """Twelve months of an item funded with that amount, no plan, report or payment."""
    return {
        month: (month >= owes_from, False, False, None, approved_cents, None, 0) for month in MONTHS
    }


def changed(rows: Figures, months: range | list[int], **values: Any) -> Figures:
    """``rows`` with the named figures replaced in these months."""
    result = dict(rows)
    for month in months:
        row = dict(zip(FIELDS, result[month], strict=True))
        row.update(values)
        result[month] = tuple(row[name] for name in FIELDS)
    return result


def county_figures(flow: Workflow, month: int, user: str = "finance") -> dict[str, Any]:
    return dict(get_json(flow, OVERVIEW, user=user, month=month)["county"])


def department(flow: Workflow, month: int, code: str) -> dict[str, Any]:
    body = get_json(flow, OVERVIEW, month=month)
    (row,) = [row for row in body["departments"] if row["department"]["code"] == code]
    return dict(row)


@pytest.fixture
def sql(engine: Engine) -> Iterator[list[str]]:
    """Every statement sent, savepoints included, whitespace folded."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def refreshed_in_the_request(statements: list[str]) -> None:
    """The request replaced rows of the read model (delete, then insert from the rule) and
    did so before its transaction was committed (the harness's request transaction is a
    savepoint: its commit is the last RELEASE)."""
    deletes = [n for n, s in enumerate(statements) if s.startswith("DELETE FROM item_month")]
    inserts = [n for n, s in enumerate(statements) if s.startswith("INSERT INTO item_month")]
    commits = [n for n, s in enumerate(statements) if s.startswith("RELEASE SAVEPOINT")]
    assert deletes and inserts and commits, statements
    assert deletes[0] < inserts[0] <= inserts[-1] < commits[-1]


def figure_writes(statements: list[str]) -> list[str]:
    return [s for s in statements if "item_month_figures" in s and not s.startswith("SELECT")]


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """The county's calendar (Beijing noon) on a given day; 5 July 2027 to begin with."""

    def move(day: date) -> None:
        moment = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)
        monkeypatch.setattr(clock, "system_now", lambda: moment)

    move(date(2027, 7, 5))
    return move


@pytest.fixture
def monitor(flow: Workflow, today: Callable[[date], None]) -> Monitor:
    return Monitor(flow)


def funded(monitor: Monitor, amount: str = "1200000.00", **fields: Any) -> int:
    """A 2027 item funded with the budget in December 2026 (it owes every month); the
    year's execution is started once all of a test's items are funded."""
    item = monitor.funded(amount, execute=False, funded_at=BUDGET_APPROVED, **fields)
    return int(item["id"])


def pay(flow: Workflow, item_id: int, amount: str, paid_on: str, user: str = "finance") -> Any:
    return flow.client.post(
        f"{ITEMS}/{item_id}/disbursements",
        json={"amount": amount, "paid_on": paid_on, "purpose": "拨付项目资金"},
        headers=flow.auth(user),
    )


def plan(flow: Workflow, item_id: int, cumulative: list[str], user: str = "department") -> Any:
    body = {
        "months": [
            {"month": month, "cumulative_amount": amount}
            for month, amount in enumerate(cumulative, start=1)
        ]
    }
    return flow.client.put(f"{ITEMS}/{item_id}/spending-plan", json=body, headers=flow.auth(user))


def payment_rows(*payments: tuple[int, str, str]) -> list[dict[str, Any]]:
    return [
        {
            "item_id": item_id,
            "amount": amount,
            "paid_on": paid_on,
            "purpose": "国库集中支付",
            "external_reference": "",
        }
        for item_id, amount, paid_on in payments
    ]


# --- 1. each write path keeps the rows right, in the request's transaction ------------------


def test_funding_writes_twelve_rows_owed_from_the_funding_month(flow, monitor, db, sql):
    item_id = flow.targets_approved(requested_amount="1200000.00")["id"]
    assert figures(db, item_id) == {}  # not funded: no rows
    sql.clear()
    with clock.replaying(BUDGET_APPROVED):
        assert flow.decide(item_id, "1150000.00").status_code == 200
    refreshed_in_the_request(sql)
    assert figures(db, item_id) == unreported(115000000)
    (stored,) = db.execute(
        select(
            func.count(),
            func.min(ItemMonthFigure.fiscal_year_id),
            func.min(ItemMonthFigure.organisation_id),
            func.max(ItemMonthFigure.organisation_id),
        ).where(ItemMonthFigure.item_id == item_id)
    ).all()
    year = fiscal_year_repository.get_by_year(db, 2027)
    assert year is not None
    org = demo_org(db, "201").id
    assert tuple(stored) == (12, year.id, org, org)

    # funded at 01:00 on 1 August in Beijing (still 31 July in UTC): owes from August on
    mid_year = flow.targets_approved(name="年中追加项目", requested_amount="300000.00")["id"]
    with clock.replaying(datetime(2027, 7, 31, 17, tzinfo=UTC)):
        assert flow.decide(mid_year, "300000.00").status_code == 200
    assert figures(db, mid_year) == unreported(30000000, owes_from=8)

    july, august = county_figures(flow, 7), county_figures(flow, 8)
    assert (july["items"], july["reports"]["due"], july["reports"]["funded_after_month"]) == (
        2,
        1,
        1,
    )
    assert (august["items"], august["reports"]["due"]) == (2, 2)
    assert august["reports"]["funded_after_month"] == 0
    assert (july["approved"], july["disbursed"]) == ("1450000.00", "0.00")
    # no plans: approved × 7 ÷ 12
    assert july["planned"] == "845833.33"


def test_a_spending_plan_saved_then_replaced(flow, monitor, db, sql):
    item_id = funded(monitor)
    monitor.start_execution()
    first = [f"{100000 * month}.00" for month in MONTHS]
    sql.clear()
    assert plan(flow, item_id, first).status_code == 200
    refreshed_in_the_request(sql)
    rows = figures(db, item_id)
    assert [rows[month][5] for month in MONTHS] == [10000000 * month for month in MONTHS]
    assert county_figures(flow, 6)["planned"] == "600000.00"
    assert county_figures(flow, 6)["time_progress"] == "50.00"

    # replaced: everything in the first quarter, then nothing more until December
    second = ["300000.00", "600000.00"] + ["900000.00"] * 9 + ["1200000.00"]
    sql.clear()
    assert plan(flow, item_id, second).status_code == 200
    refreshed_in_the_request(sql)
    planned = [30000000, 60000000] + [90000000] * 9 + [120000000]
    assert figures(db, item_id) == {
        month: (True, False, False, None, 120000000, planned[month - 1], 0) for month in MONTHS
    }
    assert county_figures(flow, 6)["planned"] == "900000.00"
    assert county_figures(flow, 12)["planned"] == "1200000.00"


def test_a_payment_counts_from_the_month_it_was_paid_in(flow, monitor, db, sql):
    item_id = funded(monitor)
    monitor.start_execution()
    sql.clear()
    assert pay(flow, item_id, "300000.00", "2027-03-15").status_code == 201
    refreshed_in_the_request(sql)
    assert figures(db, item_id) == changed(
        unreported(120000000), range(3, 13), disbursed_cents=30000000
    )
    # the last day of June is June's; the first of July is not
    assert pay(flow, item_id, "150000.00", "2027-06-30").status_code == 201
    assert pay(flow, item_id, "100000.05", "2027-07-01").status_code == 201
    rows = figures(db, item_id)
    assert [rows[month][6] for month in MONTHS] == [0, 0] + [30000000] * 3 + [45000000] + [
        55000005
    ] * 6
    assert county_figures(flow, 2)["disbursed"] == "0.00"
    assert county_figures(flow, 5)["disbursed"] == "300000.00"
    june = county_figures(flow, 6)
    assert (june["disbursed"], june["execution_rate"]) == ("450000.00", "37.50")
    assert county_figures(flow, 7)["disbursed"] == "550000.05"


def test_a_payment_upload_refreshes_every_item_it_pays(flow, monitor, db, sql):
    first, second = funded(monitor), funded(monitor, "800000.00", name="校舍维修项目")
    third = funded(monitor, "500000.00", name="未付款项目")
    monitor.start_execution()
    sql.clear()
    rows = payment_rows(
        (first, "1000.00", "2027-02-01"),
        (second, "250.50", "2027-05-31"),
        (first, "2000.00", "2027-06-01"),
    )
    response = upload(flow.client, flow.auth, "disbursements", rows)
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 3
    refreshed_in_the_request(sql)
    assert figures(db, first) == changed(
        changed(unreported(120000000), range(2, 13), disbursed_cents=100000),
        range(6, 13),
        disbursed_cents=300000,
    )
    assert figures(db, second) == changed(unreported(80000000), range(5, 13), disbursed_cents=25050)
    assert figures(db, third) == unreported(50000000)
    assert county_figures(flow, 5)["disbursed"] == "1250.50"
    assert county_figures(flow, 6)["disbursed"] == "3250.50"


def test_a_report_drafted_submitted_and_accepted(flow, monitor, db, today, sql):
    item_id = funded(monitor, "1000000.00")
    monitor.start_execution()
    before = figures(db, item_id)
    assert before == unreported(100000000)

    saved = monitor.save(item_id, 6)
    assert saved.status_code == 200, saved.text
    assert saved.json()["status"] == "draft"
    assert figures(db, item_id) == before  # a draft is not submitted
    june = county_figures(flow, 6)
    assert (june["reports"]["due"], june["reports"]["submitted"]) == (1, 0)

    sql.clear()
    submitted = monitor.act(item_id, 6, "submit", "department")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "finance_review"
    assert submitted.json()["item_light"] == "green"
    refreshed_in_the_request(sql)
    after = changed(before, [6], submitted=True, light=Light.green)
    assert figures(db, item_id) == after
    june = county_figures(flow, 6)
    assert june["reports"] == {
        "due": 1,
        "submitted": 1,
        "overdue": 0,
        "late": 0,
        "funded_after_month": 0,
    }
    assert june["lights"] == {"green": 1, "blue": 0, "yellow": 0, "red": 0}

    accepted = monitor.decided(item_id, "accept")
    assert accepted["status"] == "accepted"
    assert figures(db, item_id) == after

    # May's report, filed on 20 July, after its due date (10 June): late
    today(date(2027, 7, 20))
    before_may = county_figures(flow, 5)
    assert before_may["reports"]["overdue"] == 1
    assert monitor.save(item_id, 5, cumulative_execution="400000.00").status_code == 200
    listing = get_json(flow, COMPLIANCE, month=5)
    (entry,) = listing["organisations"]
    assert [(row["item"]["id"], row["report_status"]) for row in entry["missing"]] == [
        (item_id, "draft")
    ]
    late = monitor.act(item_id, 5, "submit", "department")
    assert late.status_code == 200, late.text
    assert (late.json()["late"], late.json()["item_light"]) == (True, "blue")
    assert figures(db, item_id) == changed(after, [5], submitted=True, late=True, light=Light.blue)
    may = county_figures(flow, 5)
    assert may["reports"] == {
        "due": 1,
        "submitted": 1,
        "overdue": 0,
        "late": 1,
        "funded_after_month": 0,
    }
    listing = get_json(flow, COMPLIANCE, month=5)
    assert (listing["missing_total"], listing["late_total"]) == (0, 1)
    assert listing["organisations"][0]["late"][0]["item"]["id"] == item_id


def test_a_report_returned_by_the_department_is_unsubmitted_again(flow, monitor, db, today):
    item_id = funded(monitor, "1000000.00", user="unit", org="201001", name="基层教学点建设")
    monitor.start_execution()
    before = figures(db, item_id)
    assert monitor.save(item_id, 6, user="unit").status_code == 200
    submitted = monitor.act(item_id, 6, "submit", "unit")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "department_review"
    light = Light(submitted.json()["item_light"])
    assert figures(db, item_id) == changed(before, [6], submitted=True, light=light)
    assert county_figures(flow, 6)["reports"]["submitted"] == 1

    returned = monitor.act(
        item_id, 6, "department-review", "department", decision="return", reason="数据有误"
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    assert figures(db, item_id) == before  # as good as none: no light either
    assert county_figures(flow, 6)["reports"]["submitted"] == 0
    assert department(flow, 6, "201")["lights"] == {"green": 0, "blue": 0, "yellow": 0, "red": 0}

    # past the due date now: overdue and listed as missing, with the returned report
    today(date(2027, 7, 20))
    assert county_figures(flow, 6)["reports"]["overdue"] == 1
    (entry,) = get_json(flow, COMPLIANCE, month=6)["organisations"]
    assert entry["organisation"]["code"] == "201001"
    assert [(row["item"]["id"], row["report_status"]) for row in entry["missing"]] == [
        (item_id, "returned")
    ]

    # filed again: submitted, and not late (lateness is the first submission's)
    version = monitor.read(item_id, 6)["version"]
    assert monitor.save(item_id, 6, user="unit", version=version).status_code == 200
    again = monitor.act(item_id, 6, "submit", "unit")
    assert again.status_code == 200, again.text
    assert (again.json()["status"], again.json()["late"]) == ("department_review", False)
    assert figures(db, item_id) == changed(before, [6], submitted=True, late=False, light=light)
    june = county_figures(flow, 6)
    assert (june["reports"]["submitted"], june["reports"]["overdue"]) == (1, 0)


def test_a_report_upload_submits_in_bulk_and_the_rows_follow(flow, monitor, db):
    first = funded(monitor, "1000000.00")
    second = funded(monitor, "1000000.00", name="第二个项目")
    monitor.start_execution()
    drafts = report_rows(monitor, first) + report_rows(monitor, second)
    response = upload(flow.client, flow.auth, "monitoring-reports", drafts, user="department")
    assert response.status_code == 201, response.text
    assert figures(db, first) == figures(db, second) == unreported(100000000)

    # the stored drafts submitted by a second upload (a bulk update of the reports)
    again = [{**row, "version": 1} for row in drafts]
    response = upload(
        flow.client,
        flow.auth,
        "monitoring-reports",
        again,
        user="department",
        params={"submit": "true"},
    )
    assert response.status_code == 201, response.text
    expected = changed(unreported(100000000), [6], submitted=True, light=Light.green)
    assert figures(db, first) == figures(db, second) == expected
    assert county_figures(flow, 6)["reports"]["submitted"] == 2
    assert county_figures(flow, 6)["lights"]["green"] == 2


# --- 2. a refused write leaves the rows as they were -----------------------------------------


def test_refused_writes_leave_the_rows_as_they_were(flow, monitor, db, sql):
    item_id = funded(monitor, "1000000.00")
    other = funded(monitor, "500000.00", name="另一个项目")
    monitor.start_execution()
    assert pay(flow, item_id, "300000.00", "2027-03-15").status_code == 201
    assert plan(flow, item_id, [f"{80000 * month}.00" for month in MONTHS]).status_code == 200
    before = {item_id: figures(db, item_id), other: figures(db, other)}
    overview = get_json(flow, OVERVIEW, month=6)

    def unchanged() -> None:
        assert {item_id: figures(db, item_id), other: figures(db, other)} == before
        assert get_json(flow, OVERVIEW, month=6) == overview

    sql.clear()
    assert_problem(pay(flow, item_id, "700000.01", "2027-04-01"), 409, "BUDGET_EXCEEDED")
    assert_problem(pay(flow, item_id, "10.00", "2026-12-31"), 422, "DISBURSEMENT_DATE_OUTSIDE_YEAR")
    # a refusal that is committed (its audit trace): still nothing of the payment
    assert_problem(
        pay(flow, item_id, "10.00", "2027-04-01", user="department"), 403, "PERMISSION_DENIED"
    )
    assert_problem(plan(flow, item_id, ["1000000.01"] * 12), 409, "PLAN_EXCEEDS_APPROVED")
    rejected = upload(
        flow.client,
        flow.auth,
        "disbursements",
        payment_rows((other, "10.00", "2027-04-01"), (999999, "10.00", "2027-04-01")),
    )
    assert_problem(rejected, 422, "IMPORT_REJECTED")
    assert figure_writes(sql) == []
    unchanged()

    # held: refused by the payment hold
    item = item_repository.get_unscoped(db, item_id)
    assert item is not None
    payment_service.place_hold(db, Actor.system("test"), item, HoldKind.suspend, "进度滞后", None)
    db.commit()
    overview = get_json(flow, OVERVIEW, month=6)  # the hold is counted; the money is not
    sql.clear()
    assert_problem(pay(flow, item_id, "10.00", "2027-04-01"), 409, "PAYMENT_HOLD")
    assert figure_writes(sql) == []
    unchanged()

    # a red report without its reasons is refused at submission
    saved = monitor.save(other, 6, cumulative_execution="1000.00")
    assert saved.status_code == 200, saved.text
    sql.clear()
    refused = monitor.act(other, 6, "submit", "department")
    assert_problem(refused, 409, "DEVIATION_EXPLANATION_REQUIRED")
    assert figure_writes(sql) == []
    unchanged()
    assert monitor.read(other, 6)["status"] == "draft"


def test_a_refused_funding_writes_no_rows(flow, monitor, db):
    item = flow.submitted(requested_amount="400000.00")  # its targets not approved
    assert_problem(flow.decide(item["id"], "400000.00"), 409, "TARGETS_NOT_APPROVED")
    assert flow.get(item["id"])["status"] != "funded"
    assert figures(db, item["id"]) == {}
    assert county_figures(flow, 6)["items"] == 0


# --- 3. check() finds a drift, rebuild() repairs it; the CLI does the same ---------------------


def test_check_names_a_tampered_row_and_rebuild_repairs_it(flow, monitor, db):
    item_id = funded(monitor, "1200000.00")
    draft = flow.create(name="未获批复的项目")["id"]
    monitor.start_execution()
    assert pay(flow, item_id, "300000.00", "2027-03-15").status_code == 201
    assert month_figures.check(db) == []
    year = fiscal_year_repository.get_by_year(db, 2027)
    assert year is not None
    org = demo_org(db, "201").id

    def row(month: int, disbursed: int) -> tuple[Any, ...]:
        return (
            item_id,
            month,
            year.id,
            org,
            "project",
            True,
            False,
            False,
            None,
            120000000,
            None,
            disbursed,
        )

    db.execute(
        update(ItemMonthFigure)
        .where(ItemMonthFigure.item_id == item_id, ItemMonthFigure.month == 6)
        .values(disbursed_cents=1)
    )
    db.commit()
    (drift,) = month_figures.check(db)
    assert (drift.year, drift.missing, drift.stale) == (2027, [row(6, 30000000)], [row(6, 1)])
    # the overview reads the table, so it shows what was tampered with
    assert county_figures(flow, 6)["disbursed"] == "0.01"
    assert county_figures(flow, 5)["disbursed"] == "300000.00"

    # a row missing, and a row of an item that is not funded
    db.execute(
        ItemMonthFigure.__table__.delete().where(
            ItemMonthFigure.item_id == item_id, ItemMonthFigure.month == 2
        )
    )
    db.add(
        ItemMonthFigure(
            item_id=draft,
            month=1,
            fiscal_year_id=year.id,
            organisation_id=org,
            kind="project",
            owes=True,
            submitted=False,
            late=False,
            light=None,
            approved_cents=0,
            planned_cents=None,
            disbursed_cents=0,
        )
    )
    db.commit()
    (drift,) = month_figures.check(db)
    assert drift.missing == [row(2, 0), row(6, 30000000)]
    stray = (draft, 1, year.id, org, "project", True, False, False, None, 0, None, 0)
    assert drift.stale == [row(6, 1), stray]

    assert month_figures.rebuild(db, 1999) == 0  # another year: nothing of 2027 repaired
    assert len(month_figures.check(db)) == 1
    assert month_figures.rebuild(db, 2027) == 12
    db.commit()
    assert month_figures.check(db) == []
    assert figures(db, draft) == {}
    rows = figures(db, item_id)
    assert (rows[2][6], rows[6][6]) == (0, 30000000)
    assert county_figures(flow, 6)["disbursed"] == "300000.00"
    assert month_figures.rebuild(db) == 12  # every year
    db.commit()
    assert month_figures.check(db) == []


@pytest.mark.usefixtures("cli_database")
def test_the_cli_checks_and_rebuilds_the_read_model(capsys):
    assert cli.main(["db", "upgrade"]) == 0
    assert cli.main(["demo", "load"]) == 0
    capsys.readouterr()
    assert cli.main(["overview", "check"]) == 0  # the demo's writes kept it too
    assert capsys.readouterr().out == "item_month_figures equals its recomputation\n"

    with Session(get_engine()) as session, session.begin():
        per_year = dict(
            session.execute(
                select(FiscalYear.year, func.count(ItemMonthFigure.item_id))
                .join(ItemMonthFigure, ItemMonthFigure.fiscal_year_id == FiscalYear.id)
                .group_by(FiscalYear.year)
            ).all()
        )
        years = sorted(session.scalars(select(FiscalYear.year)))
        target = session.scalars(
            select(ItemMonthFigure)
            .where(ItemMonthFigure.disbursed_cents > 0)
            .order_by(ItemMonthFigure.item_id, ItemMonthFigure.month)
            .limit(1)
        ).one()
        year = session.scalar(select(FiscalYear.year).where(FiscalYear.id == target.fiscal_year_id))
        original = tuple(
            value.value if hasattr(value, "value") else value
            for value in (getattr(target, name) for name in month_figures.COLUMNS)
        )
        key, tampered = (target.item_id, target.month), target.disbursed_cents + 1
        target.disbursed_cents = tampered
    assert sum(per_year.values()) > 0 and year in per_year
    other = next(number for number in years if number != year)

    assert cli.main(["overview", "check"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{year}: 1 rows as recomputed are not stored, 1 stored rows are not as recomputed; "
        f"first: {original}",
        "the read model drifted: run `perfbudget overview rebuild`",
    ]
    assert cli.main(["overview", "rebuild", "--year", str(other)]) == 0
    assert capsys.readouterr().out == (
        f"rebuilt item_month_figures: {per_year.get(other, 0)} rows ({other})\n"
    )
    assert cli.main(["overview", "check"]) == 1  # that year was not the one drifted
    capsys.readouterr()

    assert cli.main(["overview", "rebuild", "--year", str(year)]) == 0
    assert (
        capsys.readouterr().out == f"rebuilt item_month_figures: {per_year[year]} rows ({year})\n"
    )
    assert cli.main(["overview", "check"]) == 0
    assert capsys.readouterr().out == "item_month_figures equals its recomputation\n"
    assert cli.main(["overview", "rebuild"]) == 0
    assert capsys.readouterr().out == (
        f"rebuilt item_month_figures: {sum(per_year.values())} rows (every fiscal year)\n"
    )
    with Session(get_engine()) as session:
        repaired = session.get(ItemMonthFigure, key)
        assert repaired is not None
        assert repaired.disbursed_cents == tampered - 1 == original[-1]
        assert month_figures.check(session) == []


# --- 4. what is written without validation is the model's own JSON ----------------------------


def test_the_compliance_listing_is_its_models_json(flow, county):
    ids = county.items
    for month, user, missing, late in (
        (6, "oversight", {ids["C"], ids["D"], ids["E"], ids["G"]}, {ids["B"]}),
        (5, "finance", {ids["A"], ids["D"], ids["G"]}, {ids["B"]}),
        (7, "finance", set(), set()),
    ):
        response = flow.client.get(COMPLIANCE, params={"month": month}, headers=flow.auth(user))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        entries = body["organisations"]
        assert {row["item"]["id"] for entry in entries for row in entry["missing"]} == missing
        assert {row["item"]["id"] for entry in entries for row in entry["late"]} == late
        statuses = {row["report_status"] for entry in entries for row in entry["missing"]}
        assert statuses == {6: {None, "draft", "returned"}, 5: {None}, 7: set()}[month]
        assert MonitoringCompliance.model_validate(body).model_dump(mode="json") == body
        model = MonitoringCompliance.model_validate_json(response.content)
        assert model.model_dump_json().encode() == response.content


@pytest.fixture
def item_scene(flow: Workflow, county: Any) -> dict[str, int]:
    """The county's items, a 2026 item graded poor and its 2027 successor (targets approved,
    not funded: the poor grade blocks it), and a draft with nothing but a name."""
    predecessor = int(_graded_predecessor(flow, Grade.poor)["id"])
    successor = flow.targets_approved(continues_item_id=predecessor, name="教师培训项目（续）")
    draft = flow.create(name="只有名称的草稿")["id"]
    return {
        **county.items,
        "predecessor": predecessor,
        "successor": successor["id"],
        "draft": draft,
    }


PAGES = ({"limit": 50}, {"limit": 4, "offset": 2}, {"limit": 50, "fiscal_year": 2027})


def test_the_item_page_validates_as_its_model_and_each_item_is_its_own_read(flow, item_scene):
    for params in PAGES:
        response = flow.client.get(ITEMS, params=params, headers=flow.auth("finance"))
        assert response.status_code == 200, response.text
        body = response.json()
        assert Page[BudgetItemRead].model_validate(body).model_dump(mode="json") == body
        assert len(body["items"]) == min(params["limit"], body["total"] - params.get("offset", 0))
        for item in body["items"]:
            assert item == flow.get(item["id"])

    body = flow.client.get(ITEMS, params={"limit": 50}, headers=flow.auth("finance")).json()
    by_id = {item["id"]: item for item in body["items"]}
    assert body["total"] == len(by_id) == 11  # the county's 8, the 2026 item, these two
    a = by_id[item_scene["A"]]
    assert (a["approved_amount"], a["status"], a["targets"]["total_weight"]) == (
        "1200000.00",
        "funded",
        "90.00",
    )
    assert a["gates"] == {"passed": True, "blocking": [], "warnings": []}
    assert by_id[item_scene["C"]]["gates"]["blocking"] == ["PAYMENT_HOLD"]
    successor = by_id[item_scene["successor"]]
    assert successor["predecessor_grade"] == "poor"
    assert "POOR_RESULT_REQUIRES_REDUCTION" in successor["gates"]["blocking"]
    empty = by_id[item_scene["draft"]]
    assert (empty["approved_amount"], empty["targets"], empty["decided_at"]) == (None, None, None)
    assert (empty["submitted_at"], empty["predecessor_grade"]) == (None, None)
    assert empty["gates"]["passed"] is False and empty["gates"]["blocking"]


def test_the_item_page_is_byte_for_byte_its_models_json(flow, item_scene):
    """``answers.json_answer`` promises the model's own JSON text, key order included (the
    order the contract and ``GET /budget-items/{id}`` give)."""
    for params in PAGES:
        response = flow.client.get(ITEMS, params=params, headers=flow.auth("finance"))
        assert response.status_code == 200, response.text
        first = response.json()["items"][0]
        single = flow.client.get(f"{ITEMS}/{first['id']}", headers=flow.auth("finance"))
        assert list(first) == list(single.json())  # the same keys in the same order
        model = Page[BudgetItemRead].model_validate_json(response.content)
        assert model.model_dump_json().encode() == response.content


# --- 5. a fixed number of statements ------------------------------------------------------------

# the user behind the token; then the fiscal year, the organisations, the read model's
# figures, the holds and the rectifications
OVERVIEW_STATEMENTS = 1 + 5
# the user; the fiscal year, the missing and the late reports
COMPLIANCE_STATEMENTS = 1 + 3
# the user; the page with everything on it and, riding along, the total
PAGE_STATEMENTS = 1 + 1


def _counted(flow: Workflow, count_queries: Any, url: str, user: str, **params: Any) -> Any:
    count_queries.statements.clear()
    response = flow.client.get(url, params=params, headers=flow.auth(user))
    assert response.status_code == 200, response.text
    return count_queries.count, response.json()


def test_the_reads_cost_the_same_statements_for_a_grown_county(
    flow, county, rows, db, count_queries
):
    calls = [
        (OVERVIEW, "finance", {"month": 6}, OVERVIEW_STATEMENTS),
        (OVERVIEW, "oversight", {"month": 12}, OVERVIEW_STATEMENTS),
        (COMPLIANCE, "finance", {"month": 6}, COMPLIANCE_STATEMENTS),
        (ITEMS, "finance", {"limit": 100}, PAGE_STATEMENTS),
        (ITEMS, "department", {"limit": 100}, PAGE_STATEMENTS),
    ]
    small = [_counted(flow, count_queries, url, user, **params) for url, user, params, _ in calls]
    _grow(db, rows, 60)
    large = [_counted(flow, count_queries, url, user, **params) for url, user, params, _ in calls]
    expected = [count for *_, count in calls]
    assert [count for count, _ in small] == expected
    assert [count for count, _ in large] == expected
    # and the grown county was read: 60 more items, in the figures and on the pages
    assert large[0][1]["county"]["items"] == small[0][1]["county"]["items"] + 60 == 67
    assert large[1][1]["county"]["items"] == small[1][1]["county"]["items"] + 60
    assert large[2][1]["missing_total"] > small[2][1]["missing_total"]
    assert len(large[3][1]["items"]) == len(small[3][1]["items"]) + 60
    assert large[4][1]["total"] > small[4][1]["total"]


def test_a_payment_costs_the_same_statements_whatever_it_touches(
    flow, monitor, db, count_queries, sql
):
    items = [funded(monitor, "100000.00", name=f"计数项目{n}") for n in range(8)]
    monitor.start_execution()

    def statements(call: Callable[[], Any]) -> tuple[int, list[str]]:
        count_queries.statements.clear()
        sql.clear()
        response = call()
        assert response.status_code == 201, response.text
        return count_queries.count, [write.split(" ")[0] for write in figure_writes(sql)]

    def single(item_id: int) -> tuple[int, list[str]]:
        return statements(lambda: pay(flow, item_id, "10.00", "2027-04-01"))

    def batch(*item_ids: int) -> tuple[int, list[str]]:
        payments = payment_rows(*((item_id, "1.00", "2027-05-02") for item_id in item_ids))
        return statements(lambda: upload(flow.client, flow.auth, "disbursements", payments))

    first = single(items[0])
    # a second item with payments made and a plan: its payment is no dearer
    assert batch(*[items[1]] * 30)[0] > 0
    assert plan(flow, items[1], [f"{8000 * month}.00" for month in MONTHS]).status_code == 200
    assert single(items[1]) == first
    # the rows are replaced by one delete and one insert from the rule, whatever the items
    assert first[1] == ["DELETE", "INSERT"]
    one, eight = batch(items[2], items[2]), batch(*items)
    assert one == eight
    assert eight[1] == ["DELETE", "INSERT"]
    assert figures(db, items[7])[5][6] == 100  # 1.00 paid on 2 May
    assert figures(db, items[2])[12][6] == 300  # twice in the first upload, once in this
    assert county_figures(flow, 4)["disbursed"] == "20.00"
    assert county_figures(flow, 5)["disbursed"] == "60.00"


# --- two writes on one item at once ---------------------------------------------------------------


class HeldRefresh:
    """Holds the first request that refreshes the read model once it has replaced its rows
    and before it commits, until released."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reached, self.released = threading.Event(), threading.Event()
        self.calls = 0
        refresh = month_figures.refresh

        def held(session: Session, item_ids: Any) -> None:
            refresh(session, item_ids)
            self.calls += 1
            if self.calls == 1:
                self.reached.set()
                assert self.released.wait(30)

        monkeypatch.setattr(month_figures, "refresh", held)


def _waiting_for_a_lock(engine: Engine) -> bool:
    """Whether another connection waits for a row lock (PostgreSQL); on SQLite the second
    writer waits for the database's write lock, which cannot be seen: a moment is given."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.5)
        return True
    with engine.connect() as watcher:
        for _ in range(200):
            waiting = watcher.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            )
            watcher.rollback()
            if waiting:
                return True
            time.sleep(0.05)
    return False


def test_a_plan_and_a_report_saved_at_once_for_one_item_both_commit(tmp_path, monkeypatch):
    """The department saves an item's spending plan while June's report of the same item
    is submitted, each in a request of its own that commits (the real request sessions, on
    a database of their own): both succeed, and the rows hold both. The plan's request is
    held after it replaced the rows, before its commit, while the submission's waits."""
    monkeypatch.setattr(clock, "system_now", lambda: datetime(2027, 7, 5, 4, tzinfo=UTC))
    with served_county(tmp_path, "figures_race") as (client, engine):
        with Session(engine) as db:
            organisation = demo_org(db, "201").id
        tokens = {user: sign_in(client, user) for user in ("department", "finance")}
        monitor = Monitor(Served(client, tokens, {"201": organisation}))
        item_id = funded(monitor, "1000000.00")
        monitor.start_execution()
        assert monitor.save(item_id, 6).status_code == 200
        version = monitor.read(item_id, 6)["version"]

        held = HeldRefresh(monkeypatch)
        cumulative = [f"{80000 * month}.00" for month in MONTHS]
        saving, saved = in_background(lambda: plan(monitor.flow, item_id, cumulative))
        assert held.reached.wait(15)
        submitting, submitted = in_background(
            lambda: monitor.act(item_id, 6, "submit", "department", version=version)
        )
        assert _waiting_for_a_lock(engine)
        held.released.set()
        saving.join(timeout=60)
        submitting.join(timeout=60)

        assert saved["response"].status_code == 200, saved["response"].text
        assert submitted["response"].status_code == 200, submitted["response"].text
        assert submitted["response"].json()["status"] == "finance_review"
        with Session(engine) as db:
            assert month_figures.check(db) == []
            rows = figures(db, item_id)
        assert rows[6] == (True, True, False, Light.green, 100000000, 48000000, 0)
        assert [rows[month][5] for month in MONTHS] == [8000000 * month for month in MONTHS]


class Served(Workflow):
    """The workflow helper on a served county: organisations known beforehand, so that no
    session of the test holds a transaction (on SQLite, the write lock) between requests."""

    def __init__(
        self, client: Any, tokens: dict[str, dict[str, str]], organisations: dict[str, int]
    ) -> None:
        super().__init__(client, tokens.__getitem__, None)  # type: ignore[arg-type]
        self.organisations = organisations

    def org_id(self, code: str) -> int:
        return self.organisations[code]


def in_background(call: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["response"] = call()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome
