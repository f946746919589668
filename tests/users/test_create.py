"""Creating accounts: an administrator creates them; the first sign-in forces a new password."""

import pytest

from tests.factories import demo_org, make_org
from tests.problems import assert_problem, invalid_fields
from tests.users.conftest import INITIAL_PASSWORD, URL, user_body


def test_admin_creates_a_department_user(client, db, admin, login):
    education = demo_org(db, "201")
    response = client.post(
        URL,
        json=user_body("Zhang.San", role="department", organisation_id=education.id),
        headers=admin,
    )
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["username"] == "zhang.san"
    assert user["role"] == "department"
    assert user["organisation_id"] == education.id
    assert user["must_change_password"] is True
    assert user["is_active"] is True
    assert user["locked_until"] is None
    assert user["password_changed_at"] is None
    assert "initial_password" not in user
    assert not any("password_hash" in key or key == "token_version" for key in user)

    assert client.get(f"{URL}/{user['id']}", headers=admin).json() == user

    # the initial password works (under the lower-cased name) but must be changed before use
    token = login("ZHANG.SAN", INITIAL_PASSWORD)
    response = client.get("/api/v1/organisations", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 403, "PASSWORD_CHANGE_REQUIRED")


def test_creation_is_audited_without_the_password(client, admin, auth):
    created = client.post(URL, json=user_body(), headers=admin).json()
    events = client.get(
        "/api/v1/audit-events",
        params={"entity_type": "user", "entity_id": str(created["id"])},
        headers=auth("finance"),
    ).json()["items"]
    assert [event["action"] for event in events] == ["user.created"]
    assert events[0]["changes"]["after"]["username"] == "zhang.san"
    assert INITIAL_PASSWORD not in str(events[0])
    assert "argon2" not in str(events[0])


def test_department_role_needs_an_organisation(client, admin):
    response = client.post(URL, json=user_body(role="department"), headers=admin)
    assert_problem(response, 409, "ORGANISATION_REQUIRED")
    assert client.get(URL, params={"search": "zhang.san"}, headers=admin).json()["total"] == 0


def test_county_wide_roles_need_no_organisation(client, admin):
    for n, role in enumerate(
        ["admin", "finance", "expert", "third_party", "investment", "oversight"]
    ):
        response = client.post(URL, json=user_body(f"role{n}.user", role=role), headers=admin)
        assert response.status_code == 201, response.text
        assert response.json()["organisation_id"] is None


def test_inactive_organisation_is_unavailable(client, db, admin):
    org = make_org(db)
    deactivated = client.post(
        f"/api/v1/organisations/{org.id}/deactivate", json={"version": org.version}, headers=admin
    )
    assert deactivated.status_code == 200, deactivated.text
    response = client.post(
        URL, json=user_body(role="department", organisation_id=org.id), headers=admin
    )
    assert_problem(response, 409, "ORGANISATION_UNAVAILABLE")


def test_missing_organisation_is_unavailable(client, admin):
    response = client.post(
        URL, json=user_body(role="department", organisation_id=987654321), headers=admin
    )
    assert_problem(response, 409, "ORGANISATION_UNAVAILABLE")


@pytest.mark.parametrize("username", ["finance", "FINANCE", "Zhang.San"])
def test_duplicate_username_is_taken(client, admin, username):
    assert client.post(URL, json=user_body(), headers=admin).status_code == 201
    response = client.post(URL, json=user_body(username), headers=admin)
    assert_problem(response, 409, "USERNAME_TAKEN")


@pytest.mark.parametrize(
    "password",
    [
        "Sh0rt!",  # fewer than 10 characters
        "alllowercase123",  # two classes only
        "ALLUPPERCASE!!!",  # two classes only
        "Zhang.San#2026x",  # contains the username
    ],
)
def test_weak_initial_password_is_refused(client, admin, password):
    response = client.post(URL, json=user_body(initial_password=password), headers=admin)
    assert_problem(response, 422, "PASSWORD_POLICY")
    assert client.get(URL, params={"search": "zhang.san"}, headers=admin).json()["total"] == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("is_active", False),
        ("must_change_password", False),
        ("version", 3),
        ("password_hash", "x"),
        ("created_by", 1),
    ],
)
def test_unknown_fields_are_refused(client, admin, field, value):
    response = client.post(URL, json={**user_body(), field: value}, headers=admin)
    assert invalid_fields(response) == {f"body.{field}"}
    assert client.get(URL, params={"search": "zhang.san"}, headers=admin).json()["total"] == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"username": "ab"},
        {"username": "has space"},
        {"username": "-lead"},
        {"role": "public"},
        {"display_name": ""},
    ],
)
def test_invalid_bodies_answer_422(client, admin, changes):
    response = client.post(URL, json=user_body(**changes), headers=admin)
    assert_problem(response, 422, "VALIDATION_FAILED")
