"""Every route is closed without a token, and each role reaches only its own functions."""

import re

import pytest
from fastapi.routing import APIRoute

from perfbudget.auth.deps import current_actor
from perfbudget.main import PUBLIC_PATHS, ROUTERS
from tests.factories import demo_org

# Routes open to any signed-in user, whatever the role (the account's own business).
SELF_SERVICE = {("GET", "/api/v1/auth/me"), ("POST", "/api/v1/auth/password")}


def _api_routes():
    return [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]


def _concrete(path: str) -> str:
    return re.sub(r"\{year\}", "2027", re.sub(r"\{[a-z_]+\}", "1", path))


def _dependency_calls(dependant):
    for sub in dependant.dependencies:
        yield sub.call
        yield from _dependency_calls(sub)


def test_every_non_public_route_answers_401_without_a_token(app, client):
    checked = 0
    for route in _api_routes():
        if route.path in PUBLIC_PATHS:
            continue
        for method in route.methods:
            response = client.request(method, _concrete(route.path), json={})
            assert response.status_code == 401, (method, route.path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "NOT_AUTHENTICATED"
            checked += 1
    assert checked >= 20


def test_public_routes_are_exactly_the_documented_ones(app, client):
    for path in ("/healthz", "/readyz", "/api/v1/meta/enums", "/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 200, path
    served = (
        {route.path for route in _api_routes()}
        | set(app.openapi()["paths"])
        | {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
    )
    assert PUBLIC_PATHS <= served


def test_the_contract_lists_every_route(app):
    """The OpenAPI document and the routers agree, so the 401 walk above sees everything."""
    in_contract = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    in_routers = {(method, route.path) for route in _api_routes() for method in route.methods}
    assert in_contract == in_routers


def test_every_route_declares_its_permission(app):
    """The check never lives inline: each protected route depends on require(permission)."""
    for route in _api_routes():
        if route.path in PUBLIC_PATHS:
            continue
        calls = list(_dependency_calls(route.dependant))
        declared = [getattr(call, "required_permission", None) for call in calls]
        if (next(iter(route.methods)), route.path) in SELF_SERVICE:
            assert any(call is current_actor or "actor" in call.__name__ for call in calls)
            continue
        assert any(declared), f"{route.methods} {route.path} declares no permission"


ORG_BODY = {"code": "X900", "name_zh": "新部门", "kind": "department"}
USER_BODY = {
    "username": "newcomer",
    "display_name": "新用户",
    "role": "expert",
    "initial_password": "Welcome#2026x",
}

# (family, method, path, body, {demo user: expected status})
ALL = ("admin", "finance", "department", "unit", "expert", "thirdparty", "investment", "oversight")
MATRIX = [
    ("org read", "GET", "/api/v1/organisations", None, dict.fromkeys(ALL, 200)),
    (
        "org write",
        "POST",
        "/api/v1/organisations",
        ORG_BODY,
        {user: 201 if user == "admin" else 403 for user in ALL},
    ),
    (
        "user read",
        "GET",
        "/api/v1/users",
        None,
        {user: 200 if user in ("admin", "finance", "oversight") else 403 for user in ALL},
    ),
    (
        "user write",
        "POST",
        "/api/v1/users",
        USER_BODY,
        {user: 201 if user == "admin" else 403 for user in ALL},
    ),
    ("fiscal year read", "GET", "/api/v1/fiscal-years", None, dict.fromkeys(ALL, 200)),
    (
        "fiscal year write",
        "POST",
        "/api/v1/fiscal-years",
        {"year": 2031},
        {user: 201 if user == "finance" else 403 for user in ALL},
    ),
    (
        "audit read",
        "GET",
        "/api/v1/audit-events",
        None,
        {user: 200 if user in ("finance", "oversight") else 403 for user in ALL},
    ),
    (
        "audit verify",
        "GET",
        "/api/v1/audit-events/verify",
        None,
        {user: 200 if user in ("finance", "oversight") else 403 for user in ALL},
    ),
]


@pytest.mark.parametrize(
    ("family", "method", "path", "body", "username", "expected"),
    [
        (family, method, path, body, username, expected[username])
        for family, method, path, body, expected in MATRIX
        for username in ALL
    ],
)
def test_role_matrix(client, auth, family, method, path, body, username, expected):
    response = client.request(method, path, json=body, headers=auth(username))
    assert response.status_code == expected, (family, username, response.text)
    if expected == 403:
        assert response.json()["code"] == "PERMISSION_DENIED"


def test_oversight_reads_everything_and_changes_nothing(client, auth):
    headers = auth("oversight")
    for path in (
        "/api/v1/organisations",
        "/api/v1/users",
        "/api/v1/fiscal-years",
        "/api/v1/audit-events",
    ):
        assert client.get(path, headers=headers).status_code == 200
    writes = [
        ("POST", "/api/v1/organisations", ORG_BODY),
        ("POST", "/api/v1/users", USER_BODY),
        ("POST", "/api/v1/fiscal-years", {"year": 2031}),
        ("PUT", "/api/v1/fiscal-years/2027/parameters", {"version": 1, "parameters": {}}),
        ("POST", "/api/v1/fiscal-years/2027/start-execution", {"version": 1}),
    ]
    for method, path, body in writes:
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, (path, response.text)


@pytest.mark.parametrize(
    ("username", "foreign_code"),
    [("department", "202"), ("department", "202001"), ("unit", "201"), ("unit", "201002")],
)
def test_foreign_organisation_is_404_like_a_missing_one(client, auth, db, username, foreign_code):
    foreign = demo_org(db, foreign_code)
    response = client.get(f"/api/v1/organisations/{foreign.id}", headers=auth(username))
    missing = client.get("/api/v1/organisations/999999", headers=auth(username))
    assert response.status_code == missing.status_code == 404
    assert response.json()["code"] == missing.json()["code"] == "NOT_FOUND"
    assert response.json()["detail"] == missing.json()["detail"]


def test_foreign_rows_never_appear_in_lists(client, auth, db):
    own = demo_org(db, "201")
    response = client.get("/api/v1/organisations?limit=100", headers=auth("department"))
    paths = [org["path"] for org in response.json()["items"]]
    assert paths and all(path.startswith(own.path) for path in paths)
    assert response.json()["total"] == len(paths) == 3


def test_permission_denial_is_audited(client, auth):
    client.post("/api/v1/organisations", json=ORG_BODY, headers=auth("finance"))
    events = client.get(
        "/api/v1/audit-events?action=permission.denied", headers=auth("finance")
    ).json()["items"]
    assert events[0]["username"] == "finance"
    assert events[0]["changes"] == {"permission": "org:write"}
