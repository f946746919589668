"""The department assessment and circular (考核、通报, S3), worked out by hand on the county
of conftest.py (today 1 March 2028)."""

from typing import Any

import pytest
from sqlalchemy import delete, select

from perfbudget.audit.models import AuditEvent
from perfbudget.budget_items.models import BudgetItem
from perfbudget.monitoring.models import ReportStatus
from perfbudget.results import service
from perfbudget.results.models import DepartmentAssessment
from tests.overview.conftest import Rows
from tests.problems import assert_problem, invalid_fields
from tests.results.conftest import ASSESSMENTS, BASE, CIRCULAR, at, extra_graded_items, get_json


def _compute(flow, user="finance"):
    return flow.client.post(f"{ASSESSMENTS}/compute", headers=flow.auth(user))


def _by_code(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["department"]["code"]: row for row in body["items"]}


def _score(flow, row, score, note="工作推进有力", **extra):
    body = {"qualitative_score": score, "note": note, "version": row["version"], **extra}
    return flow.client.patch(f"{ASSESSMENTS}/{row['id']}", json=body, headers=flow.auth("finance"))


def _scored(flow, education="90", health="95"):
    rows = _by_code(_compute(flow).json())
    for code, score in (("201", education), ("202", health)):
        assert _score(flow, rows[code], score).status_code == 200
    return _by_code(get_json(flow, ASSESSMENTS))


def test_measures_and_computed_scores(flow, county):
    response = _compute(flow)
    assert response.status_code == 200, response.text
    rows = _by_code(response.json())
    assert list(rows) == ["201", "202", "203", "204"]  # nothing ranked before scoring
    education = rows["201"]["metrics"]
    assert education["targets_on_time"] == {  # F's targets came in January
        "achieved": 2,
        "of": 3,
        "share": "66.67",
        "average": None,
        "weight": "20.00",
        "points": "13.33",
    }
    # A 12 + B 9 of 3 items × 12 months
    assert (education["reports_on_time"]["achieved"], education["reports_on_time"]["of"]) == (
        21,
        36,
    )
    assert education["reports_on_time"]["share"] == "58.33"
    assert education["rectifications_on_time"]["share"] == "50.00"  # B's was verified late
    assert education["evaluations_submitted"]["share"] == "66.67"
    assert education["average_grade"] == {
        "achieved": 2,
        "of": 2,
        "share": "75.00",
        "average": "3.00",
        "weight": "25.00",
        "points": "18.75",
    }
    # 40/3 + 35/3 + 7.5 + 40/3 + 18.75 = 64.583…
    assert rows["201"]["computed_score"] == "64.58"

    health = rows["202"]["metrics"]
    assert health["targets_on_time"]["share"] == "50.00"
    # D 12 + E's June of C 12 + D 12 + E 1; C's draft does not count
    assert (health["reports_on_time"]["achieved"], health["reports_on_time"]["of"]) == (13, 25)
    # C's order is past its deadline and open; D's deadline has not come
    assert (
        health["rectifications_on_time"]["achieved"],
        health["rectifications_on_time"]["of"],
    ) == (0, 1)
    assert health["evaluations_submitted"]["share"] == "100.00"  # E's counts once submitted
    assert health["average_grade"]["average"] == "2.00"
    # 10 + 10.4 + 0 + 20 + 12.5
    assert rows["202"]["computed_score"] == "52.90"

    idle = rows["204"]
    assert idle["computed_score"] is None and idle["rank"] is None
    assert idle["metrics"]["targets_on_time"]["share"] is None
    assert all(row["total_score"] is None and row["rank"] is None for row in rows.values())


def test_totals_weigh_computed_80_and_qualitative_20_and_rank(flow, county):
    rows = _scored(flow)
    # 64.58 × 0.8 + 90 × 0.2 = 69.664; 52.90 × 0.8 + 95 × 0.2 = 61.32
    assert (rows["201"]["total_score"], rows["201"]["rank"]) == ("69.66", 1)
    assert (rows["202"]["total_score"], rows["202"]["rank"]) == ("61.32", 2)
    assert rows["201"]["qualitative_note"] == "工作推进有力"
    listed = get_json(flow, ASSESSMENTS, user="oversight")
    assert [row["department"]["code"] for row in listed["items"]] == ["201", "202", "203", "204"]
    assert "80 %" in listed["rules"]


def _rescore(flow, code, score):
    row = _by_code(get_json(flow, ASSESSMENTS))[code]  # a re-ranking bumps other rows' versions
    assert _score(flow, row, score).status_code == 200


def test_equal_totals_share_a_rank(flow, county):
    _scored(flow, education="48.60", health="96.30")
    rows = _by_code(get_json(flow, ASSESSMENTS))
    # 51.664 + 9.72 = 61.384; 42.32 + 19.26 = 61.58
    assert (rows["202"]["total_score"], rows["202"]["rank"]) == ("61.58", 1)
    assert (rows["201"]["total_score"], rows["201"]["rank"]) == ("61.38", 2)
    _rescore(flow, "201", "49.60")  # 51.664 + 9.92 = 61.584 → 61.58
    rows = _by_code(get_json(flow, ASSESSMENTS))
    assert rows["201"]["total_score"] == rows["202"]["total_score"] == "61.58"
    assert rows["201"]["rank"] == rows["202"]["rank"] == 1


def test_scoring_refusals(flow, county):
    rows = _by_code(_compute(flow).json())
    education = rows["201"]
    assert invalid_fields(_score(flow, education, "100.01")) == {"body.qualitative_score"}
    assert invalid_fields(_score(flow, education, "-1")) == {"body.qualitative_score"}
    response = flow.client.patch(
        f"{ASSESSMENTS}/{education['id']}",
        json={"qualitative_score": "80"},
        headers=flow.auth("finance"),
    )
    assert_problem(response, 428, "VERSION_REQUIRED")
    assert_problem(_score(flow, {**education, "version": 99}, "80"), 409, "VERSION_CONFLICT")
    assert_problem(_score(flow, {**education, "id": 999999}, "80"), 404, "NOT_FOUND")
    response = flow.client.patch(
        f"/api/v1/fiscal-years/2026/department-assessments/{education['id']}",
        json={"qualitative_score": "80", "version": education["version"]},
        headers=flow.auth("finance"),
    )
    assert_problem(response, 404, "NOT_FOUND")  # an assessment of another year
    response = flow.client.patch(
        f"{ASSESSMENTS}/{education['id']}",
        json={"qualitative_score": "80", "version": education["version"]},
        headers=flow.auth("oversight"),
    )
    assert_problem(response, 403, "PERMISSION_DENIED")


@pytest.mark.parametrize("user", ["oversight", "department", "expert", "admin"])
def test_only_finance_computes(flow, county, user):
    assert_problem(_compute(flow, user), 403, "PERMISSION_DENIED")


@pytest.mark.parametrize("user", ["department", "unit", "thirdparty", "investment"])
def test_departments_do_not_read_assessments_or_the_circular(flow, county, user):
    for url in (ASSESSMENTS, CIRCULAR):
        assert_problem(flow.client.get(url, headers=flow.auth(user)), 403, "PERMISSION_DENIED")


def _circular(flow, title="2027年度预算绩效管理工作考核情况的通报", body="各部门："):
    return flow.client.post(
        CIRCULAR, json={"title": title, "body": body}, headers=flow.auth("finance")
    )


def _publish(flow, version):
    return flow.client.post(
        f"{CIRCULAR}/publish", json={"version": version}, headers=flow.auth("finance")
    )


def test_the_circular_snapshot_stays_as_published(flow, county, db):
    assert_problem(flow.client.get(CIRCULAR, headers=flow.auth("finance")), 404, "NOT_FOUND")
    response = _circular(flow)
    assert response.status_code == 201, response.text
    draft = response.json()
    assert (draft["status"], draft["ranking"], draft["published_at"]) == ("draft", [], None)
    assert service.published_circular(db, 2027) is None
    assert_problem(_circular(flow), 409, "CIRCULAR_EXISTS")

    assert_problem(_publish(flow, draft["version"]), 409, "ASSESSMENTS_NOT_COMPUTED")
    rows = _by_code(_compute(flow).json())
    assert _score(flow, rows["201"], "90").status_code == 200
    problem = assert_problem(_publish(flow, draft["version"]), 409, "ASSESSMENTS_INCOMPLETE")
    assert problem["departments"] == ["202"]  # 203 and 204 have nothing to assess
    assert _score(flow, rows["202"], "95").status_code == 200
    assert_problem(_publish(flow, draft["version"] + 1), 409, "VERSION_CONFLICT")

    response = _publish(flow, draft["version"])
    assert response.status_code == 200, response.text
    published = response.json()
    assert published["status"] == "published"
    assert published["published_at"].startswith("2028-03-01")
    expected = [
        (1, "201", "64.58", "90.00", "69.66"),
        (2, "202", "52.90", "95.00", "61.32"),
    ]
    snapshot = [
        (
            entry["rank"],
            entry["department"]["code"],
            entry["computed_score"],
            entry["qualitative_score"],
            entry["total_score"],
        )
        for entry in published["ranking"]
    ]
    assert snapshot == expected
    assert_problem(_publish(flow, published["version"]), 409, "CIRCULAR_ALREADY_PUBLISHED")
    assert_problem(_circular(flow), 409, "CIRCULAR_ALREADY_PUBLISHED")

    # the records and the scores change afterwards; the circular does not
    extra_graded_items(db, flow.org_id("202"), 3)
    rows = _by_code(_compute(flow).json())
    assert rows["202"]["computed_score"] != "52.90"
    assert _score(flow, rows["202"], "100").status_code == 200
    assert get_json(flow, CIRCULAR, user="oversight")["ranking"] == published["ranking"]
    circular = service.published_circular(db, 2027)
    assert circular is not None and circular.ranking == published["ranking"]

    actions = set(db.scalars(select(AuditEvent.action)))
    assert {
        "circular.created",
        "circular.published",
        "department_assessment.computed",
        "department_assessment.scored",
    } <= actions


def test_circular_validation_and_roles(flow, county):
    assert invalid_fields(_circular(flow, title="")) == {"body.title"}
    response = flow.client.post(CIRCULAR, json={"title": "通报"}, headers=flow.auth("oversight"))
    assert_problem(response, 403, "PERMISSION_DENIED")
    assert_problem(_publish(flow, 1), 404, "NOT_FOUND")


def _statements(flow, count_queries, method, url):
    count_queries.statements.clear()
    response = flow.client.request(method, url, headers=flow.auth("finance"))
    assert response.status_code == 200, response.text
    return count_queries.count


def test_statement_counts_do_not_grow_with_the_records(flow, county, db, count_queries):
    small = [
        _statements(flow, count_queries, "POST", f"{ASSESSMENTS}/compute"),
        _statements(flow, count_queries, "GET", ASSESSMENTS),
    ]
    # start again from no assessments, with many more records
    db.execute(delete(DepartmentAssessment))
    db.commit()
    extra_graded_items(db, flow.org_id("203"), 10)
    extra_graded_items(db, flow.org_id("201001"), 5)
    large = [
        _statements(flow, count_queries, "POST", f"{ASSESSMENTS}/compute"),
        _statements(flow, count_queries, "GET", ASSESSMENTS),
    ]
    assert large == small, count_queries.statements


def test_an_item_funded_in_august_owes_no_earlier_reports_as_in_the_overview(flow, county, db):
    """F (education) is funded at 01:00 on 1 August 2027, Beijing time (still July in UTC),
    and files July's report anyway, on time: it owes August to December only
    (``schedule.owes_report``, by the county's calendar), and its July report counts for
    nothing — in the assessment as in the month-by-month overview."""
    late_funded = db.get(BudgetItem, county.items["F"])
    assert late_funded is not None
    late_funded.decided_at = at(2027, 7, 31).replace(hour=17)  # 1 August, 01:00 CST
    db.commit()
    Rows(db).report(county.items["F"], 7, ReportStatus.accepted, submitted=at(2027, 8, 5))

    rows = _by_code(_compute(flow).json())
    reports = rows["201"]["metrics"]["reports_on_time"]
    # A 12 + B 9 on time, of A 12 + B 12 + F 5 (August to December)
    assert (reports["achieved"], reports["of"], reports["share"]) == (21, 29, "72.41")
    health = rows["202"]["metrics"]["reports_on_time"]
    assert (health["achieved"], health["of"]) == (13, 25)  # unchanged

    owed = {"201": 0, "202": 0}
    on_time = {"201": 0, "202": 0}
    for month in range(1, 13):
        overview = get_json(flow, f"{BASE}/monitoring-overview", month=month)
        for row in overview["departments"]:
            code = row["department"]["code"]
            if code in owed:
                owed[code] += row["reports"]["due"]
                on_time[code] += row["reports"]["submitted"] - row["reports"]["late"]
        education = next(r for r in overview["departments"] if r["department"]["code"] == "201")
        assert education["reports"]["funded_after_month"] == (1 if month < 8 else 0)
    assert owed == {"201": 29, "202": 25}
    assert on_time == {"201": 21, "202": 13}
