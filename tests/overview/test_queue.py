"""The finance queue: reports awaiting review, filterable by light, organisation and month."""

import pytest

from tests.factories import demo_org
from tests.overview.conftest import QUEUE, get_json
from tests.problems import invalid_fields


def _ids(flow, **params):
    return [row["id"] for row in get_json(flow, QUEUE, **params)["items"]]


def test_by_default_the_reports_awaiting_finance_oldest_first(flow, county):
    body = get_json(flow, QUEUE)
    assert body["total"] == 2
    first, second = body["items"]
    assert [first["id"], second["id"]] == [county.reports["B5"], county.reports["A6"]]
    assert first["item"] == {"id": county.items["B"], "code": None, "name": "教师培训项目"}
    assert first["organisation"]["code"] == "201001"
    assert (first["fiscal_year"], first["month"], first["status"]) == (2027, 5, "finance_review")
    assert (first["item_light"], first["late"], first["due_on"]) == ("red", True, "2027-06-10")
    assert first["submitted_at"].startswith("2027-06-12")
    assert second["item_light"] == "yellow" and second["late"] is False


def test_filters(flow, county, db):
    reports = county.reports
    education = demo_org(db, "201").id
    unit = demo_org(db, "201001").id
    health = demo_org(db, "202").id
    assert _ids(flow, light="red") == [reports["B5"]]
    assert _ids(flow, month=6) == [reports["A6"]]
    assert _ids(flow, late="true") == [reports["B5"]]
    assert _ids(flow, late="false") == [reports["A6"]]
    assert _ids(flow, organisation_id=education) == [reports["B5"], reports["A6"]]  # subtree
    assert _ids(flow, organisation_id=unit) == [reports["B5"]]
    assert _ids(flow, organisation_id=health) == []
    assert _ids(flow, organisation_id=999999) == []
    assert _ids(flow, fiscal_year=2027) == [reports["B5"], reports["A6"]]
    assert _ids(flow, fiscal_year=2026) == []
    assert _ids(flow, status="draft") == [reports["G6"]]
    assert _ids(flow, status="returned", organisation_id=health) == [reports["D6"]]
    assert _ids(flow, status="accepted", month=6, light="green") == [reports["B6"]]


def test_paging(flow, county):
    page = get_json(flow, QUEUE, limit=1, offset=1)
    assert (page["total"], page["limit"], page["offset"]) == (2, 1, 1)
    assert [row["id"] for row in page["items"]] == [county.reports["A6"]]
    assert get_json(flow, QUEUE, offset=5)["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": 0}, "query.month"),
        ({"month": 13}, "query.month"),
        ({"light": "purple"}, "query.light"),
        ({"status": "lost"}, "query.status"),
        ({"limit": 101}, "query.limit"),
    ],
)
def test_invalid_filters_are_refused(flow, params, field):
    response = flow.client.get(QUEUE, params=params, headers=flow.auth("finance"))
    assert invalid_fields(response) == {field}
