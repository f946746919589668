"""Who sees and who acts: the owner's subtree files, finance reviews, oversight reads."""

import pytest

from tests.monitoring.conftest import RECTIFICATIONS, url
from tests.problems import assert_problem

BEHIND = {
    "cumulative_execution": "100000.00",
    "deviation_reasons": "项目招标延期",
    "corrective_measures": "加快招标进度",
}


@pytest.fixture
def ordered(monitor):
    """A unit's report under suspension, and its rectification id."""
    item = monitor.funded(user="unit", org="201001")
    monitor.submitted(item["id"], user="unit", **BEHIND)
    monitor.act(item["id"], 6, "department-review", "department", decision="approve")
    return item["id"], monitor.decided(item["id"], "suspend")["rectification_id"]


def test_another_department_sees_nothing(monitor, ordered, login):
    item_id, rectification_id = ordered
    outsiders = {
        "health": {"Authorization": f"Bearer {login('health')}"},
        "expert": monitor.auth("expert"),
        "investment": monitor.auth("investment"),
    }
    for user, headers in outsiders.items():
        for path in (
            url(item_id),
            url(item_id, 6),
            f"{RECTIFICATIONS}/{rectification_id}",
            f"{RECTIFICATIONS}/{rectification_id}/attachments/1",
        ):
            assert_problem(monitor.client.get(path, headers=headers), 404, "NOT_FOUND")
        listed = monitor.client.get(RECTIFICATIONS, headers=headers).json()
        assert listed["total"] == 0, user
    health = outsiders["health"]
    assert_problem(
        monitor.client.put(url(item_id, 5), json={"lines": []}, headers=health), 404, "NOT_FOUND"
    )
    assert_problem(
        monitor.client.post(
            f"{RECTIFICATIONS}/{rectification_id}/response",
            json={"measures_taken": "x", "version": 1},
            headers=health,
        ),
        404,
        "NOT_FOUND",
    )


def test_a_sibling_unit_sees_nothing_of_another_unit(monitor, ordered, db):
    from perfbudget.principal import Role
    from tests.factories import STRONG_PASSWORD, demo_org, make_user

    item_id, rectification_id = ordered
    sibling = make_user(db, role=Role.department, organisation=demo_org(db, "201002"))
    token = monitor.client.post(
        "/api/v1/auth/token", data={"username": sibling.username, "password": STRONG_PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert_problem(monitor.client.get(url(item_id, 6), headers=headers), 404, "NOT_FOUND")
    assert_problem(
        monitor.client.get(f"{RECTIFICATIONS}/{rectification_id}", headers=headers),
        404,
        "NOT_FOUND",
    )


def test_oversight_reads_everything_and_changes_nothing(monitor, ordered):
    item_id, rectification_id = ordered
    assert monitor.read(item_id, user="oversight")["status"] == "suspended"
    assert monitor.calendar(item_id, user="oversight")["monitored"] is True
    assert monitor.rectification(rectification_id, user="oversight")["status"] == "open"
    listed = monitor.client.get(RECTIFICATIONS, headers=monitor.auth("oversight")).json()
    assert [row["id"] for row in listed["items"]] == [rectification_id]
    for method, path, body in (
        ("PUT", url(item_id, 5), {"lines": []}),
        ("POST", url(item_id, 6, "/submit"), {"version": 1}),
        ("POST", url(item_id, 6, "/department-review"), {"decision": "approve"}),
        ("POST", url(item_id, 6, "/finance-review"), {"decision": "accept"}),
        ("POST", f"{RECTIFICATIONS}/{rectification_id}/response", {"measures_taken": "x"}),
        ("POST", f"{RECTIFICATIONS}/{rectification_id}/verification", {"decision": "accepted"}),
    ):
        response = monitor.client.request(
            method, path, json=body, headers=monitor.auth("oversight")
        )
        assert_problem(response, 403, "PERMISSION_DENIED")


def test_each_side_keeps_to_its_role(monitor, ordered):
    item_id, rectification_id = ordered
    # finance reviews and verifies, but does not file or answer
    assert_problem(
        monitor.client.put(url(item_id, 5), json={"lines": []}, headers=monitor.auth("finance")),
        403,
        "PERMISSION_DENIED",
    )
    assert_problem(
        monitor.rectification_post(rectification_id, "response", "finance", measures_taken="x"),
        403,
        "PERMISSION_DENIED",
    )
    # departments file and answer, but neither decide nor verify
    assert_problem(
        monitor.act(item_id, 6, "finance-review", "department", decision="accept"),
        403,
        "PERMISSION_DENIED",
    )
    assert_problem(
        monitor.rectification_post(
            rectification_id, "verification", "department", decision="accepted"
        ),
        403,
        "PERMISSION_DENIED",
    )
    # the parent department may answer for its unit (its subtree)
    answered = monitor.rectification_post(
        rectification_id, "response", "department", measures_taken="主管部门督促整改到位"
    )
    assert answered.status_code == 200, answered.text
