"""Who may do what: finance keeps the framework, departments their libraries, all others read."""

import pytest

from tests.factories import demo_org
from tests.indicators.conftest import LIBRARY, framework_body, framework_url, indicators_url

ALL = ("admin", "finance", "department", "unit", "expert", "thirdparty", "investment", "oversight")
SCHOOL = "No. 1 Middle School, 201001: filled in by the test"
READERS = {user: 200 for user in ALL if user != "admin"} | {"admin": 403}


def _only(allowed, status):
    return {user: status if user in allowed else 403 for user in ALL}


# (route, method, path template, body, {demo user: expected status}); {fw}, {lib}: ids
MATRIX = [
    ("framework", "GET", framework_url(), None, READERS),
    ("framework list", "GET", indicators_url(), None, READERS),
    ("framework read", "GET", indicators_url() + "/{fw}", None, READERS),
    (
        "framework create",
        "POST",
        indicators_url(),
        framework_body("新增共性指标"),
        _only({"finance"}, 201),
    ),
    (
        "framework update",
        "PATCH",
        indicators_url() + "/{fw}",
        {"name": "改名", "version": 1},
        _only({"finance"}, 200),
    ),
    (
        "framework deactivate",
        "POST",
        indicators_url() + "/{fw}/deactivate",
        {"version": 1},
        _only({"finance"}, 200),
    ),
    (
        "framework activate",
        "POST",
        indicators_url() + "/{fw}/activate",
        {"version": 1},
        _only({"finance"}, 200),
    ),
    # finance passes the permission check and meets the rule: 2027 already has a framework
    ("copy forward", "POST", framework_url() + "/copy-forward", None, _only({"finance"}, 409)),
    ("library list", "GET", LIBRARY, None, READERS),
    ("library read", "GET", LIBRARY + "/{lib}", None, READERS),
    (
        "library create",
        "POST",
        LIBRARY,
        {
            "organisation_id": SCHOOL,
            "category": "quantity",
            "name": "新增",
            "direction": "gte",
            "unit": "人",
        },
        _only({"department", "unit"}, 201),
    ),
    (
        "library update",
        "PATCH",
        LIBRARY + "/{lib}",
        {"name": "改名", "version": 1},
        _only({"department", "unit"}, 200),
    ),
    (
        "library deactivate",
        "POST",
        LIBRARY + "/{lib}/deactivate",
        {"version": 1},
        _only({"department", "unit"}, 200),
    ),
    (
        "library activate",
        "POST",
        LIBRARY + "/{lib}/activate",
        {"version": 1},
        _only({"department", "unit"}, 200),
    ),
]


@pytest.mark.parametrize(
    ("route", "method", "path", "body", "username", "expected"),
    [
        pytest.param(route, method, path, body, user, expected[user], id=f"{route}-{user}")
        for route, method, path, body, expected in MATRIX
        for user in ALL
    ],
)
def test_role_matrix(
    client, db, auth, add_framework, add_library, route, method, path, body, username, expected
):
    school = demo_org(db, "201001")
    ids = {
        "fw": add_framework("培训人次")["id"],
        "lib": add_library("升学率", school.id, username="unit")["id"],
    }
    if body is not None and body.get("organisation_id") == SCHOOL:
        body = {**body, "organisation_id": school.id}
    response = client.request(method, path.format(**ids), json=body, headers=auth(username))
    assert response.status_code == expected, (route, username, response.text)
    if expected == 403:
        assert response.json()["code"] == "PERMISSION_DENIED"
