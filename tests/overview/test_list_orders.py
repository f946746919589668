"""Sorting the finance queue, the rectification orders and the budget items; an item's
holds as a page."""

from decimal import Decimal

import pytest

from perfbudget.payments.models import HoldKind
from tests.overview.conftest import QUEUE, get_json
from tests.overview.test_statements import _grow, _statements
from tests.problems import invalid_fields

ITEMS = "/api/v1/budget-items"
RECTIFICATIONS = "/api/v1/rectifications"


def _listed(flow, url, key="id", **params):
    return [row[key] for row in get_json(flow, url, limit=100, **params)["items"]]


def test_the_queue_sorts_by_submission_owner_light_and_month(flow, county):
    b5, a6 = county.reports["B5"], county.reports["A6"]
    assert _listed(flow, QUEUE) == [b5, a6]  # by default the oldest submission first
    assert _listed(flow, QUEUE, sort="-submitted_at") == [a6, b5]
    assert _listed(flow, QUEUE, sort="organisation") == [a6, b5]  # 201 before 201001
    assert _listed(flow, QUEUE, sort="-organisation") == [b5, a6]
    assert _listed(flow, QUEUE, sort="-item_light") == [b5, a6]  # red before yellow
    assert _listed(flow, QUEUE, sort="item_light") == [a6, b5]
    assert _listed(flow, QUEUE, sort="-month") == [a6, b5]


def test_rectifications_sort_by_deadline_and_status(flow, county):
    a, b, c, d = (county.items[key] for key in "ABCD")

    def items(**params):
        return _listed(flow, RECTIFICATIONS, key="item_id", **params)

    # B and D share a deadline: the id breaks the tie, in the sort's direction
    assert items() == [b, d, c, a]
    assert items(sort="-deadline") == [a, c, d, b]
    # open, answered, accepted: the workflow's order, not the alphabet's
    assert items(sort="status") == [a, c, d, b]
    assert items(sort="-status") == [b, d, c, a]


def test_budget_items_sort_by_amount_and_organisation(flow, county):
    def rows(sort):
        return get_json(flow, ITEMS, limit=100, sort=sort)["items"]

    by_amount = [(Decimal(row["requested_amount"]), row["id"]) for row in rows("requested_amount")]
    assert len(by_amount) >= 7
    assert by_amount == sorted(by_amount)
    descending = [
        (Decimal(row["requested_amount"]), row["id"]) for row in rows("-requested_amount")
    ]
    assert descending == sorted(by_amount, reverse=True)
    by_owner = [(row["organisation"]["code"], row["id"]) for row in rows("-organisation")]
    assert by_owner == sorted(by_owner, reverse=True)
    ascending = [row["id"] for row in rows("id")]
    assert ascending == sorted(ascending)
    assert [row["id"] for row in rows("-id")] == ascending[::-1]


@pytest.mark.parametrize("url", [QUEUE, RECTIFICATIONS, ITEMS])
def test_an_unknown_sort_is_refused(flow, url):
    response = flow.client.get(url, params={"sort": "deadline_at"}, headers=flow.auth("finance"))
    assert invalid_fields(response) == {"query.sort"}


def test_a_sorted_page_costs_what_the_default_one_does(flow, county, rows, db, count_queries):
    calls = [
        (ITEMS, {}),
        (ITEMS, {"sort": "-organisation"}),
        (ITEMS, {"sort": "status"}),
        (QUEUE, {"sort": "-organisation"}),
        (RECTIFICATIONS, {"sort": "-status"}),
    ]
    small = [_statements(flow, count_queries, url, limit=100, **p)[0] for url, p in calls]
    _grow(db, rows, 30)
    large = [_statements(flow, count_queries, url, limit=100, **p)[0] for url, p in calls]
    assert small == large
    assert small[0] == small[1] == small[2]


def test_an_items_holds_are_a_page_oldest_first(flow, county, rows):
    item_id = county.items["A"]
    later = rows.hold(item_id, HoldKind.suspend)
    url = f"{ITEMS}/{item_id}/holds"

    first = get_json(flow, url, limit=1)
    assert (first["total"], first["limit"], first["offset"]) == (2, 1, 0)
    assert [(h["kind"], h["active"]) for h in first["items"]] == [("stop", False)]
    second = get_json(flow, url, limit=1, offset=1)
    assert [(h["id"], h["active"]) for h in second["items"]] == [(later, True)]
    assert get_json(flow, url, offset=2)["items"] == []
    response = flow.client.get(url, params={"limit": 101}, headers=flow.auth("finance"))
    assert invalid_fields(response) == {"query.limit"}
