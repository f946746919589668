"""An item's history and its target versions are pages, read in a fixed number of statements."""

from tests.budget_items.conftest import ITEMS
from tests.problems import invalid_fields


def _page(flow, url, user="finance", **params):
    response = flow.client.get(url, params=params, headers=flow.auth(user))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.keys() == {"items", "total", "limit", "offset"}
    return body


def _statements(flow, count_queries, url):
    count_queries.statements.clear()
    _page(flow, url, limit=100)
    return count_queries.count


def test_the_history_pages_oldest_first(flow):
    item = flow.submitted()
    url = f"{ITEMS}/{item['id']}/history"
    first = _page(flow, url, "department", limit=1)
    assert (first["total"], first["limit"], first["offset"]) == (2, 1, 0)
    assert [(e["from_status"], e["to_status"]) for e in first["items"]] == [("draft", "submitted")]
    second = _page(flow, url, "department", limit=1, offset=1)
    assert [e["to_status"] for e in second["items"]] == ["finance_review"]
    assert _page(flow, url, offset=5)["items"] == []
    limit_zero = flow.client.get(url, params={"limit": 0}, headers=flow.auth("finance"))
    assert invalid_fields(limit_zero) == {"query.limit"}


def test_the_history_costs_the_same_however_long(flow, count_queries):
    short = flow.submitted()
    long = flow.targets_approved()
    assert flow.decide(long["id"]).status_code == 200
    assert _page(flow, f"{ITEMS}/{long['id']}/history")["total"] > 2
    assert _statements(flow, count_queries, f"{ITEMS}/{short['id']}/history") == _statements(
        flow, count_queries, f"{ITEMS}/{long['id']}/history"
    )


def _adjusted(flow):
    item = flow.targets_approved()
    adjusted = flow.target_post(item["id"], "adjustments", "department", reason="上级追加培训任务")
    assert adjusted.status_code == 200, adjusted.text
    return item


def test_target_versions_page_newest_first(flow, count_queries):
    one = flow.targets_approved()
    two = _adjusted(flow)
    url = f"{ITEMS}/{two['id']}/targets/versions"
    first = _page(flow, url, limit=1)
    assert (first["total"], first["limit"], first["offset"]) == (2, 1, 0)
    assert [(v["number"], v["status"]) for v in first["items"]] == [(2, "draft")]
    assert first["items"][0]["lines"]
    second = _page(flow, url, limit=1, offset=1)
    assert [v["number"] for v in second["items"]] == [1]
    # count, sets, and their lines: however many versions
    assert _statements(flow, count_queries, f"{ITEMS}/{one['id']}/targets/versions") == (
        _statements(flow, count_queries, url)
    )
