"""S2.3.1: missing and late reports, listed per organisation."""

from tests.overview.conftest import COMPLIANCE, get_json
from tests.problems import invalid_fields


def _listing(body):
    return {
        entry["organisation"]["code"]: (
            [(row["item"]["id"], row["report_status"]) for row in entry["missing"]],
            [row["item"]["id"] for row in entry["late"]],
        )
        for entry in body["organisations"]
    }


def test_june_lists_the_missing_and_the_late_per_organisation(flow, county):
    ids, reports = county.items, county.reports
    body = get_json(flow, COMPLIANCE, user="oversight", month=6)
    assert (body["month"], body["as_of"], body["missing_total"], body["late_total"]) == (
        6,
        "2027-07-20",
        4,
        1,
    )
    # by organisation code; a draft or returned report is as good as none
    assert list(_listing(body).items()) == [
        ("201001", ([], [ids["B"]])),
        (
            "202",
            (
                [
                    (ids["C"], None),
                    (ids["D"], "returned"),
                    (ids["E"], None),
                    (ids["G"], "draft"),
                ],
                [],
            ),
        ),
    ]
    missing = {row["item"]["id"]: row for row in body["organisations"][1]["missing"]}
    assert missing[ids["E"]]["due_on"] == "2027-07-15"  # the overall report's own date
    assert missing[ids["E"]]["kind"] == "department_overall"
    assert (missing[ids["C"]]["due_on"], missing[ids["C"]]["report_id"]) == ("2027-07-10", None)
    assert missing[ids["D"]]["report_id"] == reports["D6"]
    (late,) = body["organisations"][0]["late"]
    assert late["report_id"] == reports["B6"]
    assert (late["due_on"], late["report_status"]) == ("2027-07-10", "accepted")
    assert late["submitted_at"].startswith("2027-07-12")
    assert late["item"]["name"] == "教师培训项目"


def test_nothing_is_missing_before_the_due_date(flow, county):
    body = get_json(flow, COMPLIANCE, month=7)
    assert (body["missing_total"], body["late_total"], body["organisations"]) == (0, 0, [])


def test_an_item_funded_after_the_month_owes_no_report(flow, county):
    body = get_json(flow, COMPLIANCE, month=5)
    missing = {row["item"]["id"] for entry in body["organisations"] for row in entry["missing"]}
    assert missing == {county.items["A"], county.items["D"], county.items["G"]}
    assert county.items["F"] not in missing


def test_compliance_month_bounds(flow):
    for month in (0, 13):
        response = flow.client.get(
            COMPLIANCE, params={"month": month}, headers=flow.auth("finance")
        )
        assert invalid_fields(response) == {"query.month"}
