"""Listing organisations: filters, pagination, a stable order, a fixed number of statements."""

import random

from tests.factories import make_org
from tests.orgs.conftest import URL
from tests.problems import assert_problem, invalid_fields


def _list(client, headers, **params):
    response = client.get(URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _codes(body):
    return [item["code"] for item in body["items"]]


def test_filters(client, admin, create_org):
    department = create_org("Q9000", name_zh="检索测试局")
    active_unit = create_org("Q9001", "unit", department, name_zh="检索一号站")
    closed = create_org("Q9002", "unit", department, name_zh="检索二号站")
    create_org("Q9001001", "unit", active_unit)
    deactivated = client.post(
        f"{URL}/{closed['id']}/deactivate", json={"version": closed["version"]}, headers=admin
    )
    assert deactivated.status_code == 200, deactivated.text

    assert _codes(_list(client, admin, parent_id=department["id"])) == ["Q9001", "Q9002"]
    assert _codes(_list(client, admin, parent_id=active_unit["id"])) == ["Q9001001"]
    assert _codes(_list(client, admin, search="Q900", kind="department")) == ["Q9000"]
    assert _codes(_list(client, admin, search="Q900", kind="unit")) == [
        "Q9001",
        "Q9001001",
        "Q9002",
    ]
    assert _codes(_list(client, admin, search="Q900", active="false")) == ["Q9002"]
    assert _codes(_list(client, admin, search="Q900", active="true")) == [
        "Q9000",
        "Q9001",
        "Q9001001",
    ]
    assert _codes(_list(client, admin, search="号站")) == ["Q9001", "Q9002"]
    assert _codes(_list(client, admin, search="教育局")) == ["201"]
    assert _list(client, admin, search="Q900", kind="department", active="false")["total"] == 0


def test_search_treats_wildcards_literally(client, admin):
    assert _list(client, admin, search="%")["total"] == 0
    assert _list(client, admin, search="_")["total"] == 0


def test_invalid_filters_answer_422(client, admin):
    assert invalid_fields(client.get(URL, params={"kind": "ministry"}, headers=admin)) == {
        "query.kind"
    }
    assert invalid_fields(client.get(URL, params={"status": "x"}, headers=admin)) == {
        "query.status"
    }


def test_pagination_is_stable_and_ordered_by_code(client, db, admin):
    codes = [f"PG{n:03d}" for n in range(1, 26)]
    for code in random.Random(7).sample(codes, len(codes)):
        make_org(db, code=code)

    first = _list(client, admin, search="PG0")
    assert (first["total"], first["limit"], first["offset"]) == (25, 20, 0)
    assert _codes(first) == codes[:20]

    second = _list(client, admin, search="PG0", offset=20)
    assert (second["total"], second["limit"], second["offset"]) == (25, 20, 20)
    assert _codes(second) == codes[20:]

    middle = _list(client, admin, search="PG0", limit=5, offset=10)
    assert (middle["total"], middle["limit"], middle["offset"]) == (25, 5, 10)
    assert _codes(middle) == codes[10:15]

    beyond = _list(client, admin, search="PG0", offset=40)
    assert beyond["items"] == []
    assert beyond["total"] == 25

    assert len(_list(client, admin, limit=100)["items"]) == 14 + 25


def test_whole_list_is_ordered_by_code(client, admin):
    codes = _codes(_list(client, admin, limit=100))
    assert codes == sorted(codes)
    assert len(codes) == 14


def test_page_size_limits(client, admin):
    assert invalid_fields(client.get(URL, params={"limit": 101}, headers=admin)) == {"query.limit"}
    assert invalid_fields(client.get(URL, params={"limit": 0}, headers=admin)) == {"query.limit"}
    assert invalid_fields(client.get(URL, params={"offset": -1}, headers=admin)) == {"query.offset"}
    assert _list(client, admin, limit=100)["limit"] == 100


def test_listing_needs_a_token(client):
    assert_problem(client.get(URL), 401, "NOT_AUTHENTICATED")


def _statements_for_list(client, headers, count_queries):
    count_queries.statements.clear()
    body = _list(client, headers, limit=100)
    return count_queries.count, body["total"]


def test_list_statement_count_does_not_grow_with_rows(client, db, admin, count_queries):
    department = make_org(db, code="N000")
    for n in range(1, 3):
        make_org(db, kind="unit", parent=department, code=f"N{n:03d}")
    few, total_few = _statements_for_list(client, admin, count_queries)

    parent = department
    for n in range(3, 30):
        parent = make_org(db, kind="unit", parent=parent, code=f"N{n:03d}")
    many, total_many = _statements_for_list(client, admin, count_queries)

    assert total_many - total_few == 27
    assert few >= 2  # the count and the page at least
    assert many == few
