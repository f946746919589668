"""Changing accounts: name, role, organisation, active state, password, lockout."""

from perfbudget.orgs.models import OrganisationKind
from perfbudget.principal import Role
from tests.factories import STRONG_PASSWORD, demo_org, make_org
from tests.problems import assert_problem, invalid_fields
from tests.users.conftest import URL


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _read(client, admin, user_id):
    response = client.get(f"{URL}/{user_id}", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


def test_update_display_name_with_version(client, new_user, admin):
    user = new_user()
    response = client.patch(
        f"{URL}/{user['id']}",
        json={"display_name": "李四", "version": user["version"]},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "李四"
    assert response.json()["version"] == user["version"] + 1
    assert _read(client, admin, user["id"])["display_name"] == "李四"


def test_update_with_if_match(client, new_user, admin):
    user = new_user()
    response = client.patch(
        f"{URL}/{user['id']}",
        json={"display_name": "王五"},
        headers={**admin, "If-Match": f'"{user["version"]}"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "王五"


def test_stale_or_missing_version(client, new_user, admin):
    user = new_user()
    version = user["version"]
    first = client.patch(
        f"{URL}/{user['id']}", json={"display_name": "一", "version": version}, headers=admin
    )
    assert first.status_code == 200
    stale = client.patch(
        f"{URL}/{user['id']}", json={"display_name": "二", "version": version}, headers=admin
    )
    assert_problem(stale, 409, "VERSION_CONFLICT")
    missing = client.patch(f"{URL}/{user['id']}", json={"display_name": "三"}, headers=admin)
    assert_problem(missing, 428, "VERSION_REQUIRED")
    assert _read(client, admin, user["id"])["display_name"] == "一"


def test_role_and_organisation_change_revokes_old_tokens(client, db, new_user, admin, login):
    user = new_user(role="finance", username="mover")
    token = login("mover", STRONG_PASSWORD)
    assert client.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 200

    education = demo_org(db, "201")
    response = client.patch(
        f"{URL}/{user['id']}",
        json={"role": "department", "organisation_id": education.id, "version": user["version"]},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "department"
    assert response.json()["organisation_id"] == education.id

    assert_problem(client.get("/api/v1/auth/me", headers=_bearer(token)), 401, "INVALID_TOKEN")
    fresh = _bearer(login("mover", STRONG_PASSWORD))
    codes = {
        item["code"] for item in client.get("/api/v1/organisations", headers=fresh).json()["items"]
    }
    assert codes == {"201", "201001", "201002"}

    # moving to another organisation narrows the scope again
    school = demo_org(db, "201001")
    moved = client.patch(
        f"{URL}/{user['id']}",
        json={"organisation_id": school.id, "version": response.json()["version"]},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text
    assert_problem(client.get("/api/v1/auth/me", headers=fresh), 401, "INVALID_TOKEN")


def test_display_name_change_keeps_tokens(client, new_user, admin, login):
    user = new_user(username="keeper")
    token = login("keeper", STRONG_PASSWORD)
    renamed = client.patch(
        f"{URL}/{user['id']}",
        json={"display_name": "新名", "version": user["version"]},
        headers=admin,
    )
    assert renamed.status_code == 200
    assert client.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 200


def test_update_checks_the_organisation_binding(client, db, new_user, admin):
    user = new_user()
    response = client.patch(
        f"{URL}/{user['id']}",
        json={"role": "department", "version": user["version"]},
        headers=admin,
    )
    assert_problem(response, 409, "ORGANISATION_REQUIRED")

    department_user = new_user(role="department", organisation=demo_org(db, "202"))
    response = client.patch(
        f"{URL}/{department_user['id']}",
        json={"organisation_id": None, "version": department_user["version"]},
        headers=admin,
    )
    assert_problem(response, 409, "ORGANISATION_REQUIRED")
    response = client.patch(
        f"{URL}/{department_user['id']}",
        json={"organisation_id": 987654321, "version": department_user["version"]},
        headers=admin,
    )
    assert_problem(response, 409, "ORGANISATION_UNAVAILABLE")
    assert _read(client, admin, department_user["id"])["organisation_id"] == demo_org(db, "202").id


def test_update_refuses_unknown_fields(client, new_user, admin):
    user = new_user()
    for field, value in (
        ("is_active", False),
        ("username", "other"),
        ("must_change_password", True),
        ("password_hash", "x"),
    ):
        response = client.patch(
            f"{URL}/{user['id']}", json={field: value, "version": user["version"]}, headers=admin
        )
        assert invalid_fields(response) == {f"body.{field}"}
    after = _read(client, admin, user["id"])
    assert after["is_active"] is True
    assert after["username"] == user["username"]
    assert after["version"] == user["version"]


def test_disable_and_enable(client, new_user, admin, login):
    user = new_user(username="sleeper")
    token = login("sleeper", STRONG_PASSWORD)

    disabled = client.post(
        f"{URL}/{user['id']}/disable", json={"version": user["version"]}, headers=admin
    )
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["is_active"] is False
    assert_problem(client.get("/api/v1/auth/me", headers=_bearer(token)), 401, "INVALID_TOKEN")
    refused = client.post(
        "/api/v1/auth/token", data={"username": "sleeper", "password": STRONG_PASSWORD}
    )
    assert_problem(refused, 401, "INVALID_CREDENTIALS")
    inactive = client.get(URL, params={"active": "false", "search": "sleeper"}, headers=admin)
    assert [item["id"] for item in inactive.json()["items"]] == [user["id"]]

    enabled = client.post(
        f"{URL}/{user['id']}/enable", json={"version": disabled.json()["version"]}, headers=admin
    )
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["is_active"] is True
    fresh = login("sleeper", STRONG_PASSWORD)
    assert client.get("/api/v1/auth/me", headers=_bearer(fresh)).status_code == 200


def test_disable_needs_the_current_version(client, new_user, admin):
    user = new_user()
    assert_problem(
        client.post(f"{URL}/{user['id']}/disable", json={}, headers=admin), 428, "VERSION_REQUIRED"
    )
    assert_problem(
        client.post(
            f"{URL}/{user['id']}/disable", json={"version": user["version"] + 5}, headers=admin
        ),
        409,
        "VERSION_CONFLICT",
    )
    assert _read(client, admin, user["id"])["is_active"] is True


def test_admin_cannot_disable_itself(client, new_user, admin):
    me = client.get("/api/v1/auth/me", headers=admin).json()
    current = _read(client, admin, me["id"])
    response = client.post(
        f"{URL}/{me['id']}/disable", json={"version": current["version"]}, headers=admin
    )
    assert_problem(response, 409, "CANNOT_DISABLE_SELF")
    assert _read(client, admin, me["id"])["is_active"] is True


def test_reset_password_forces_a_change(client, new_user, admin, login):
    user = new_user(username="forgetful")
    assert user["must_change_password"] is False
    old_token = login("forgetful", STRONG_PASSWORD)

    response = client.post(
        f"{URL}/{user['id']}/reset-password",
        json={"temporary_password": "Temp#Passw0rd", "version": user["version"]},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert response.json()["must_change_password"] is True
    assert "Temp#Passw0rd" not in response.text

    assert_problem(client.get("/api/v1/auth/me", headers=_bearer(old_token)), 401, "INVALID_TOKEN")
    old = client.post(
        "/api/v1/auth/token", data={"username": "forgetful", "password": STRONG_PASSWORD}
    )
    assert_problem(old, 401, "INVALID_CREDENTIALS")
    token = login("forgetful", "Temp#Passw0rd")
    assert_problem(
        client.get("/api/v1/organisations", headers=_bearer(token)), 403, "PASSWORD_CHANGE_REQUIRED"
    )


def test_reset_password_applies_the_policy(client, new_user, admin):
    user = new_user(username="weakling")
    for password in ("short", "weakling#2026A"):
        response = client.post(
            f"{URL}/{user['id']}/reset-password",
            json={"temporary_password": password, "version": user["version"]},
            headers=admin,
        )
        assert_problem(response, 422, "PASSWORD_POLICY")
    assert _read(client, admin, user["id"])["must_change_password"] is False


def test_unlock_clears_the_lockout(client, new_user, admin, login):
    user = new_user(username="clumsy")
    for _ in range(4):
        failed = client.post("/api/v1/auth/token", data={"username": "clumsy", "password": "wrong"})
        assert_problem(failed, 401, "INVALID_CREDENTIALS")
    locked = client.post("/api/v1/auth/token", data={"username": "clumsy", "password": "wrong"})
    assert_problem(locked, 401, "ACCOUNT_LOCKED")
    still_locked = client.post(
        "/api/v1/auth/token", data={"username": "clumsy", "password": STRONG_PASSWORD}
    )
    assert_problem(still_locked, 401, "ACCOUNT_LOCKED")

    before = _read(client, admin, user["id"])
    assert before["locked_until"] is not None
    # login bookkeeping does not make the administrator's copy stale
    assert before["version"] == user["version"]

    response = client.post(
        f"{URL}/{user['id']}/unlock", json={"version": before["version"]}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["locked_until"] is None
    assert _read(client, admin, user["id"])["locked_until"] is None
    assert login("clumsy", STRONG_PASSWORD)


def test_user_of_a_deactivated_organisation_can_still_be_renamed(client, db, new_user, admin):
    org = make_org(db, kind=OrganisationKind.department)
    user = new_user(role=Role.department, organisation=org)
    refused = client.post(
        f"/api/v1/organisations/{org.id}/deactivate", json={"version": org.version}, headers=admin
    )
    assert_problem(refused, 409, "ORGANISATION_HAS_ACTIVE_USERS")
    disabled = client.post(
        f"{URL}/{user['id']}/disable", json={"version": user["version"]}, headers=admin
    )
    assert disabled.status_code == 200, disabled.text
    deactivated = client.post(
        f"/api/v1/organisations/{org.id}/deactivate", json={"version": org.version}, headers=admin
    )
    assert deactivated.status_code == 200, deactivated.text

    renamed = client.patch(
        f"{URL}/{user['id']}",
        json={"display_name": "留档", "version": disabled.json()["version"]},
        headers=admin,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["display_name"] == "留档"

    # a new binding to the deactivated organisation is still refused
    rebound = client.patch(
        f"{URL}/{user['id']}",
        json={"role": "investment", "version": renamed.json()["version"]},
        headers=admin,
    )
    assert_problem(rebound, 409, "ORGANISATION_UNAVAILABLE")
    assert _read(client, admin, user["id"])["role"] == "department"


def test_an_admin_cannot_change_their_own_role(client, admin):
    me = client.get("/api/v1/auth/me", headers=admin).json()
    current = client.get(f"{URL}/{me['id']}", headers=admin).json()
    refused = client.patch(
        f"{URL}/{me['id']}", json={"role": "finance", "version": current["version"]}, headers=admin
    )
    assert_problem(refused, 409, "CANNOT_CHANGE_OWN_ROLE")
    assert client.get(f"{URL}/{me['id']}", headers=admin).json()["role"] == "admin"
