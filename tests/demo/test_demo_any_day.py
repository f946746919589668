"""The demo county's story holds on any day (README "Demo"): loaded with the county's clock
at days across a year, it shows the year of the last ended month in execution with every
ended month reported on time (one report late and one not yet filed, as the story says), the
year before closed and graded, and the year after at the front gate."""

from datetime import UTC, date, datetime
from typing import Any

import pytest

from perfbudget import clock
from perfbudget.demo.calendar import DemoCalendar
from perfbudget.demo.execution import ITEMS, NOT_YET_FILED
from perfbudget.demo.loader import load_workflow

DAYS = [
    date(2026, 12, 1),  # reports January–November; November's due on the 10th
    date(2027, 1, 6),  # the executing year is still the old one: all twelve months over
    date(2027, 2, 12),  # one month over; January's report fell due on the 10th
    date(2027, 7, 1),  # the suite's own fiscal year (2027) is the one in execution
    date(2028, 2, 29),  # a leap day; the suite's 2027 is the closed year
]


@pytest.fixture
def county_day(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def move(day: date) -> None:
        noon_in_beijing = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)
        monkeypatch.setattr(clock, "system_now", lambda: noon_in_beijing)

    return move


@pytest.fixture(params=DAYS, ids=[day.isoformat() for day in DAYS])
def demo_day(request, county_day, db) -> DemoCalendar:  # type: ignore[no-untyped-def]
    county_day(request.param)
    calendar = DemoCalendar(request.param)
    load_workflow(db, calendar)
    db.commit()
    return calendar


def _items(client: Any, headers: dict[str, str], year: int) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/budget-items?fiscal_year={year}&limit=100", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def _the_three_years_sit_around_the_day(client, auth, demo_day):
    years = client.get("/api/v1/fiscal-years?limit=100", headers=auth("finance")).json()
    status = {entry["year"]: entry["status"] for entry in years["items"]}
    assert status[demo_day.executing] == "executing"
    assert status[demo_day.closed] == "closed"
    assert status[demo_day.preparing] == "preparing"
    assert demo_day.executing == (demo_day.today.year - (demo_day.today.month == 1))


def _every_ended_month_is_reported_on_time_but_the_two_meant_not_to_be(client, auth, demo_day):
    finance = auth("finance")
    items = {item["name"]: item for item in _items(client, finance, demo_day.executing)}
    assert len(items) == len(ITEMS) + 1
    last = demo_day.last_month
    late, unfiled, lights = set(), set(), set()
    for name, item in items.items():
        calendar = client.get(
            f"/api/v1/budget-items/{item['id']}/monitoring-reports", headers=finance
        ).json()
        for month in calendar["months"]:
            ended = month["month"] <= last
            assert month["ended"] is ended, (name, month)
            report = month["report"]
            if not ended:
                assert report is None
                continue
            if report is None:
                unfiled.add((name, month["month"], month["overdue"]))
                continue
            assert report["submitted_at"] is not None
            if report["late"]:
                late.add((name, month["month"]))
            if month["month"] == last:
                lights.add(report["item_light"])
    due_on = {m["month"]: m["due_on"] for m in calendar["months"]}
    january_due = date.fromisoformat(due_on[1])
    assert late == ({("农村客运班线补贴", 1)} if demo_day.today > january_due else set())
    last_due = date.fromisoformat(due_on[last])
    assert unfiled == {(NOT_YET_FILED[2], last, demo_day.today > last_due)}
    # last month's reports show every light
    assert lights == {"green", "blue", "yellow", "red"}


def _a_hold_and_two_open_rectifications_await_the_county(client, auth, demo_day):
    finance = auth("finance")
    items = _items(client, finance, demo_day.executing)
    held = [item for item in items if "PAYMENT_HOLD" in item["gates"]["blocking"]]
    assert [item["name"] for item in held] == ["农村客运班线补贴"]
    refused = client.post(
        f"/api/v1/budget-items/{held[0]['id']}/disbursements",
        json={
            "amount": "1.00",
            "paid_on": date(demo_day.executing, demo_day.last_month, 20).isoformat(),
            "purpose": "试拨",
        },
        headers=finance,
    )
    assert refused.json()["code"] == "PAYMENT_HOLD"
    orders = client.get("/api/v1/rectifications?status=open", headers=finance).json()
    assert orders["total"] == 2  # one with the suspension, one on its own
    for order in orders["items"]:
        assert date.fromisoformat(order["deadline"]) > demo_day.today


def _the_closed_year_is_graded_circulated_and_published(client, auth, demo_day):
    closed = demo_day.closed
    ledger = client.get(
        f"/api/v1/fiscal-years/{closed}/results?limit=100", headers=auth("oversight")
    ).json()
    assert {row["grade"] for row in ledger["items"]} == {"excellent", "good", "fair", "poor"}
    circular = client.get(f"/public/v1/fiscal-years/{closed}/circular")
    assert circular.status_code == 200
    assert circular.json()["ranking"]
    for kind in ("targets", "results"):
        published = client.get(f"/public/v1/fiscal-years/{closed}/{kind}").json()
        assert len(published["publications"]) == 4
    held = client.get(
        f"/api/v1/budget-items?fiscal_year={demo_day.preparing}&search=客运",
        headers=auth("finance"),
    ).json()["items"]
    assert held[0]["gates"]["blocking"] == ["POOR_RESULT_REQUIRES_REDUCTION"]
    assert held[0]["predecessor_grade"] == "poor"


def _the_year_in_preparation_shows_every_state_and_every_gate(client, auth, demo_day):
    items = _items(client, auth("finance"), demo_day.preparing)
    assert {item["status"] for item in items} >= {
        "draft",
        "department_review",
        "finance_review",
        "funded",
        "rejected",
        "returned",
    }
    held = {
        code
        for item in items
        if item["status"] == "finance_review"
        for code in item["gates"]["blocking"]
    }
    assert held >= {
        "TARGETS_NOT_APPROVED",
        "ASSESSMENT_REQUIRED",
        "ASSESSMENT_NOT_SUPPORTED",
        "INVESTMENT_ASSESSMENT_REQUIRED",
        "POOR_RESULT_REQUIRES_REDUCTION",
    }
    for item in items:
        if item["status"] == "finance_review" and item["gates"]["blocking"]:
            refused = client.post(
                f"/api/v1/budget-items/{item['id']}/decision",
                json={
                    "decision": "fund",
                    "approved_amount": item["requested_amount"],
                    "version": item["version"],
                },
                headers=auth("finance"),
            )
            assert refused.status_code == 409
            assert refused.json()["code"] == item["gates"]["blocking"][0]
    reviews = client.get("/api/v1/assessment-reviews", headers=auth("expert")).json()
    assert reviews["total"] == 2
    package = client.get(
        f"/api/v1/fiscal-years/{demo_day.preparing}/congress-package", headers=auth("oversight")
    ).json()
    assert package["item_count"] >= 4


def test_the_demo_story_holds_on_the_day(client, auth, demo_day):
    """One load per day (the whole county's three years take a few seconds), every part of
    the README's story checked on it."""
    _the_three_years_sit_around_the_day(client, auth, demo_day)
    _every_ended_month_is_reported_on_time_but_the_two_meant_not_to_be(client, auth, demo_day)
    _a_hold_and_two_open_rectifications_await_the_county(client, auth, demo_day)
    _the_closed_year_is_graded_circulated_and_published(client, auth, demo_day)
    _the_year_in_preparation_shows_every_state_and_every_gate(client, auth, demo_day)
