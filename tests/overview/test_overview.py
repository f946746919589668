"""The bureau's overview of a month (S2.3): figures worked out by hand on a small county."""

import pytest

from perfbudget.monitoring.models import Light, ReportStatus
from tests.overview.conftest import OVERVIEW, at, get_json
from tests.problems import assert_problem, invalid_fields

ZERO_MONEY = {"approved": "0.00", "disbursed": "0.00", "planned": "0.00"}


def _department(body, code):
    (row,) = [row for row in body["departments"] if row["department"]["code"] == code]
    return row


def test_june_figures_per_department_and_for_the_county(flow, county):
    body = get_json(flow, OVERVIEW, month=6)
    assert (body["fiscal_year"], body["month"], body["as_of"]) == (2027, 6, "2027-07-20")
    assert (body["due_on"], body["overall_due_on"]) == ("2027-07-10", "2027-07-15")

    education = _department(body, "201")
    assert education["department"]["name_zh"] == "县教育局"
    assert education["items"] == 3  # A, B (in the unit 201001, rolled up), F
    assert education["reports"] == {
        "due": 2,
        "submitted": 2,
        "overdue": 0,
        "late": 1,
        "funded_after_month": 1,  # F, funded on 3 August: items = due + funded after
    }
    assert education["lights"] == {"green": 1, "blue": 0, "yellow": 1, "red": 0}
    # A's plan 900,000 + (B 600,000 + F 200,000) × 6 ÷ 12
    assert (education["approved"], education["disbursed"], education["planned"]) == (
        "2000000.00",
        "570000.00",
        "1300000.00",
    )
    assert (
        education["execution_rate"],
        education["time_progress"],
        education["execution_ratio"],
    ) == ("28.50", "65.00", "43.85")
    assert education["holds"] == {"suspended": 0, "stopped": 0}  # A's stop was lifted
    assert education["rectifications"] == {"open": 1, "overdue": 0}

    health = _department(body, "202")
    assert health["items"] == 4  # C, D, G and, in June, the overall budget E
    assert health["reports"] == {
        "due": 4,
        "submitted": 0,
        "overdue": 4,
        "late": 0,
        "funded_after_month": 0,
    }
    assert health["lights"] == {"green": 0, "blue": 0, "yellow": 0, "red": 0}
    # E's 5,000,000 stays out of the money; (800,000 + 333,333.33 + 100,000) ÷ 2
    assert (health["approved"], health["disbursed"], health["planned"]) == (
        "1233333.33",
        "10000.00",
        "616666.67",
    )
    assert (health["execution_rate"], health["time_progress"], health["execution_ratio"]) == (
        "0.81",
        "50.00",
        "1.62",
    )
    assert health["holds"] == {"suspended": 1, "stopped": 1}
    # C's order is past its deadline; D's was answered and waits on finance
    assert health["rectifications"] == {"open": 2, "overdue": 1}

    county_total = body["county"]
    assert county_total["items"] == 7
    assert county_total["reports"] == {
        "due": 6,
        "submitted": 2,
        "overdue": 4,
        "late": 1,
        "funded_after_month": 1,
    }
    assert county_total["lights"] == {"green": 1, "blue": 0, "yellow": 1, "red": 0}
    assert (county_total["approved"], county_total["disbursed"], county_total["planned"]) == (
        "3233333.33",
        "580000.00",
        "1916666.67",
    )
    assert (
        county_total["execution_rate"],
        county_total["time_progress"],
        county_total["execution_ratio"],
    ) == ("17.94", "59.28", "30.26")
    assert county_total["holds"] == {"suspended": 1, "stopped": 1}
    assert county_total["rectifications"] == {"open": 3, "overdue": 1}


def test_every_department_is_listed_even_without_items(flow, county):
    body = get_json(flow, OVERVIEW, month=6)
    codes = [row["department"]["code"] for row in body["departments"]]
    assert codes == ["201", "202", "203", "204"]  # bureaus and the agency hold no items here
    transport = _department(body, "204")
    assert transport["items"] == 0
    assert {key: transport[key] for key in ZERO_MONEY} == ZERO_MONEY
    assert transport["execution_rate"] is None and transport["execution_ratio"] is None


def test_before_the_due_date_nothing_is_overdue(flow, county):
    """July's reports fall due on 10 August; the overall budget reports in June only."""
    body = get_json(flow, OVERVIEW, month=7)
    assert body["overall_due_on"] is None
    assert body["county"]["items"] == 6
    assert body["county"]["reports"] == {
        "due": 5,
        "submitted": 0,
        "overdue": 0,
        "late": 0,
        "funded_after_month": 1,
    }
    # by the end of July A has had 550,000; the plan stays at 900,000
    assert _department(body, "201")["disbursed"] == "670000.00"
    assert _department(body, "201")["planned"] == "1366666.67"


def test_may_counts_the_may_reports(flow, county):
    body = get_json(flow, OVERVIEW, month=5)
    assert body["county"]["items"] == 6  # no overall budget outside June
    assert body["county"]["reports"] == {
        "due": 5,
        "submitted": 2,
        "overdue": 3,
        "late": 1,
        "funded_after_month": 1,
    }
    assert body["county"]["lights"] == {"green": 0, "blue": 0, "yellow": 0, "red": 2}
    education = _department(body, "201")
    # A plans 750,000 by May; B and F 5 ÷ 12 of 800,000; paid: A 300,000, B 120,000
    assert (education["disbursed"], education["planned"]) == ("420000.00", "1083333.33")


def test_a_report_of_an_item_funded_after_the_month_is_left_out_and_said_so(flow, county, rows):
    """F, funded on 3 August, files a June report anyway: it owes none, so the report stays
    out of the counts and lights, and ``funded_after_month`` says why."""
    before = get_json(flow, OVERVIEW, month=6)
    rows.report(county.items["F"], 6, ReportStatus.accepted, light=Light.red, submitted=at(7, 9))
    body = get_json(flow, OVERVIEW, month=6)
    education = _department(body, "201")
    assert education["reports"] == _department(before, "201")["reports"]
    assert education["lights"] == {"green": 1, "blue": 0, "yellow": 1, "red": 0}
    assert education["reports"]["funded_after_month"] == 1
    assert education["items"] == education["reports"]["due"] + 1
    # the same item owes August's report: it was funded before August ended
    august = _department(get_json(flow, OVERVIEW, month=8), "201")
    assert (august["reports"]["due"], august["reports"]["funded_after_month"]) == (3, 0)


def test_a_year_without_funded_items_is_all_zero(flow, frozen):
    body = get_json(flow, OVERVIEW, month=3)
    assert body["county"]["items"] == 0
    assert body["county"]["reports"] == {
        "due": 0,
        "submitted": 0,
        "overdue": 0,
        "late": 0,
        "funded_after_month": 0,
    }
    assert body["county"]["time_progress"] is None


@pytest.mark.parametrize("month", ["0", "13", "-1", "June", ""])
def test_month_must_be_1_to_12(flow, month):
    response = flow.client.get(OVERVIEW, params={"month": month}, headers=flow.auth("finance"))
    assert invalid_fields(response) == {"query.month"}


def test_month_is_required_and_unknown_parameters_are_refused(flow):
    assert invalid_fields(flow.client.get(OVERVIEW, headers=flow.auth("finance"))) == {
        "query.month"
    }
    response = flow.client.get(
        OVERVIEW, params={"month": 6, "monht": 6}, headers=flow.auth("finance")
    )
    assert_problem(response, 422, "VALIDATION_FAILED")


def test_an_unknown_year_is_404(flow):
    response = flow.client.get(
        "/api/v1/fiscal-years/1999/monitoring-overview",
        params={"month": 6},
        headers=flow.auth("oversight"),
    )
    assert_problem(response, 404, "NOT_FOUND")
