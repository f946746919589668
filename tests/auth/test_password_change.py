"""First login and password change; older tokens die with every change of powers."""

import pytest

from perfbudget.demo.loader import DEMO_PASSWORD
from tests.auth.conftest import ME_URL, PASSWORD_URL, TOKEN_URL, bearer
from tests.factories import demo_org
from tests.problems import assert_problem

INITIAL_PASSWORD = "Initial#Pass2026"
NEW_PASSWORD = "Changed!Pass2027"


def change_password(client, headers, current, new):
    return client.post(
        PASSWORD_URL, json={"current_password": current, "new_password": new}, headers=headers
    )


def read_user(client, auth, user_id):
    response = client.get(f"/api/v1/users/{user_id}", headers=auth("admin"))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def new_account(client, auth, db):
    """An account an administrator just created through the API."""
    response = client.post(
        "/api/v1/users",
        json={
            "username": "newcomer",
            "display_name": "新入职科员",
            "role": "finance",
            "organisation_id": demo_org(db, "100").id,
            "initial_password": INITIAL_PASSWORD,
        },
        headers=auth("admin"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["must_change_password"] is True
    return response.json()


@pytest.fixture
def first_token(login, new_account):
    return login("newcomer", INITIAL_PASSWORD)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ME_URL),
        ("GET", "/api/v1/users"),
        ("GET", "/api/v1/audit-events"),
        ("GET", "/api/v1/fiscal-years/2027"),
        ("GET", "/api/v1/organisations"),
    ],
)
def test_first_login_must_change_password_before_anything_else(client, first_token, method, path):
    response = client.request(method, path, headers=bearer(first_token))

    assert_problem(response, 403, "PASSWORD_CHANGE_REQUIRED")


def test_password_change_replaces_the_token_and_lifts_the_gate(client, login, first_token):
    response = change_password(client, bearer(first_token), INITIAL_PASSWORD, NEW_PASSWORD)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 1800
    assert body["access_token"] != first_token
    assert_problem(client.get(ME_URL, headers=bearer(first_token)), 401, "INVALID_TOKEN")
    me = client.get(ME_URL, headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["must_change_password"] is False
    assert client.get("/api/v1/users", headers=bearer(body["access_token"])).status_code == 200

    assert login("newcomer", NEW_PASSWORD)
    old = client.post(TOKEN_URL, data={"username": "newcomer", "password": INITIAL_PASSWORD})
    assert_problem(old, 401, "INVALID_CREDENTIALS")


def test_the_old_token_cannot_change_the_password_again(client, first_token):
    assert change_password(client, bearer(first_token), INITIAL_PASSWORD, NEW_PASSWORD).is_success

    again = change_password(client, bearer(first_token), NEW_PASSWORD, "Another!Pass2028")

    assert_problem(again, 401, "INVALID_TOKEN")


def test_wrong_current_password_is_refused_and_nothing_changes(client, login, first_token):
    response = change_password(client, bearer(first_token), "Not!MyPassword1", NEW_PASSWORD)

    assert_problem(response, 422, "CURRENT_PASSWORD_INVALID")
    assert_problem(client.get(ME_URL, headers=bearer(first_token)), 403, "PASSWORD_CHANGE_REQUIRED")
    assert login("newcomer", INITIAL_PASSWORD)


@pytest.mark.parametrize(
    "new_password",
    [
        "Sh0rt!pass",  # 10 characters: the shortest allowed
        "abcdefgh1!",  # lower, digit, symbol
        "ABCDEFGH1a",  # upper, lower, digit
        "Lower upper",  # lower, upper, symbol (the space)
    ],
)
def test_policy_accepts_ten_characters_of_three_classes(client, auth, new_password):
    response = change_password(client, auth("finance"), DEMO_PASSWORD, new_password)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("new_password", "problem_en"),
    [
        ("Sh0rt!pas", "at least 10 characters"),
        ("alllowercase12", "three of: lower case, upper case, digit, symbol"),
        ("ALLUPPER-AND-SYMBOLS", "three of: lower case, upper case, digit, symbol"),
        ("My-Finance-2026", "must not contain the username"),
        ("XFINANCEx#2026", "must not contain the username"),
    ],
)
def test_policy_refuses_weak_passwords(client, auth, new_password, problem_en):
    headers = {**auth("finance"), "Accept-Language": "en"}

    response = change_password(client, headers, DEMO_PASSWORD, new_password)

    body = assert_problem(response, 422, "PASSWORD_POLICY")
    assert problem_en in body["detail"]
    assert client.get(ME_URL, headers=auth("finance")).status_code == 200


def test_policy_names_every_problem_in_chinese_by_default(client, auth):
    response = change_password(client, auth("finance"), DEMO_PASSWORD, "finance")

    detail = assert_problem(response, 422, "PASSWORD_POLICY")["detail"]
    assert "长度至少 10 位" in detail
    assert "至少三类" in detail
    assert "不得包含用户名" in detail


def test_same_password_as_current_is_refused(client, auth):
    response = change_password(client, auth("finance"), DEMO_PASSWORD, DEMO_PASSWORD)

    assert_problem(response, 422, "PASSWORD_REUSED")
    assert client.get(ME_URL, headers=auth("finance")).status_code == 200


def test_surrounding_spaces_are_part_of_the_new_password(client, auth, login):
    new_password = " Spaced!Pass2027 "

    response = change_password(client, auth("finance"), DEMO_PASSWORD, new_password)

    assert response.status_code == 200, response.text
    assert login("finance", new_password)


def test_password_body_forbids_unknown_fields(client, auth):
    response = client.post(
        PASSWORD_URL,
        json={"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD, "user_id": 1},
        headers=auth("finance"),
    )

    body = assert_problem(response, 422, "VALIDATION_FAILED")
    assert [error["field"] for error in body["errors"]] == ["body.user_id"]


def test_role_change_revokes_older_tokens(client, auth, login, first_token):
    token = change_password(client, bearer(first_token), INITIAL_PASSWORD, NEW_PASSWORD).json()[
        "access_token"
    ]
    account = client.get(ME_URL, headers=bearer(token)).json()
    version = read_user(client, auth, account["id"])["version"]

    patched = client.patch(
        f"/api/v1/users/{account['id']}",
        json={"version": version, "role": "oversight"},
        headers=auth("admin"),
    )

    assert patched.status_code == 200, patched.text
    assert_problem(client.get(ME_URL, headers=bearer(token)), 401, "INVALID_TOKEN")
    me = client.get(ME_URL, headers=bearer(login("newcomer", NEW_PASSWORD)))
    assert me.json()["role"] == "oversight"


def test_organisation_change_revokes_older_tokens(client, auth, db, login):
    token = login("department")
    department_id = client.get(ME_URL, headers=bearer(token)).json()["id"]
    version = read_user(client, auth, department_id)["version"]

    patched = client.patch(
        f"/api/v1/users/{department_id}",
        json={"version": version, "organisation_id": demo_org(db, "202").id},
        headers=auth("admin"),
    )

    assert patched.status_code == 200, patched.text
    assert_problem(client.get(ME_URL, headers=bearer(token)), 401, "INVALID_TOKEN")
    me = client.get(ME_URL, headers=bearer(login("department")))
    assert me.json()["organisation"]["code"] == "202"


def test_renaming_a_user_keeps_its_tokens(client, auth):
    finance_id = client.get(ME_URL, headers=auth("finance")).json()["id"]
    version = read_user(client, auth, finance_id)["version"]

    patched = client.patch(
        f"/api/v1/users/{finance_id}",
        json={"version": version, "display_name": "财政局绩效科"},
        headers=auth("admin"),
    )

    assert patched.status_code == 200, patched.text
    assert client.get(ME_URL, headers=auth("finance")).status_code == 200


def test_admin_password_reset_revokes_tokens_and_forces_a_change(client, auth, login):
    token = login("expert")
    expert_id = client.get(ME_URL, headers=bearer(token)).json()["id"]
    version = read_user(client, auth, expert_id)["version"]

    reset = client.post(
        f"/api/v1/users/{expert_id}/reset-password",
        json={"version": version, "temporary_password": "Temp#Pass2026"},
        headers=auth("admin"),
    )

    assert reset.status_code == 200, reset.text
    assert_problem(client.get(ME_URL, headers=bearer(token)), 401, "INVALID_TOKEN")
    fresh = login("expert", "Temp#Pass2026")
    assert_problem(client.get(ME_URL, headers=bearer(fresh)), 403, "PASSWORD_CHANGE_REQUIRED")
