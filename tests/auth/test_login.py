"""Sign-in: OAuth2 password flow, equal-cost failures, lockout (等保 level 3, ASVS V2.2).

Every client here is at one address: the lockout of a name from that address. Other
addresses, unknown names and the account-wide lock: test_lockout_addresses.py."""

from datetime import UTC, datetime, timedelta

import pytest
from jose import jwt

from perfbudget import clock
from perfbudget.auth import passwords
from perfbudget.demo.loader import DEMO_PASSWORD
from tests.auth.conftest import ME_URL, TOKEN_URL, bearer
from tests.problems import assert_problem

WRONG_PASSWORD = "Wr0ng!Password"
ENGLISH = {"Accept-Language": "en"}


def sign_in(client, username, password, headers=None):
    return client.post(
        TOKEN_URL, data={"username": username, "password": password}, headers=headers
    )


def fail(client, username, times):
    for _ in range(times):
        assert_problem(sign_in(client, username, WRONG_PASSWORD), 401, "INVALID_CREDENTIALS")


def lock(client, username):
    fail(client, username, 4)
    return assert_problem(sign_in(client, username, WRONG_PASSWORD), 401, "ACCOUNT_LOCKED")


def travel(monkeypatch, delta):
    """Move the service's clock (perfbudget.clock.utcnow) forward."""
    moment = clock.utcnow() + delta
    monkeypatch.setattr(clock, "utcnow", lambda: moment)


def test_login_returns_a_thirty_minute_bearer_token(client, user):
    response = sign_in(client, user.username, DEMO_PASSWORD)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 1800
    claims = jwt.get_unverified_claims(body["access_token"])
    assert claims["exp"] - claims["iat"] == 1800
    me = client.get(ME_URL, headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == user.username


def test_username_is_matched_case_insensitively(client, user):
    response = sign_in(client, f" {user.username.upper()} ", DEMO_PASSWORD)

    assert response.status_code == 200, response.text


def test_wrong_password_and_unknown_username_look_the_same(client, user):
    wrong = sign_in(client, user.username, WRONG_PASSWORD)
    unknown = sign_in(client, "nobody-here", WRONG_PASSWORD)

    wrong_body = assert_problem(wrong, 401, "INVALID_CREDENTIALS")
    unknown_body = assert_problem(unknown, 401, "INVALID_CREDENTIALS")
    for body in (wrong_body, unknown_body):
        body.pop("request_id")
    assert wrong_body == unknown_body
    assert wrong.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]
    assert "Retry-After" not in wrong.headers


def test_unknown_username_still_runs_argon2_against_the_dummy_hash(client, user, monkeypatch):
    real_hasher = passwords._hasher
    verified: list[str] = []

    class SpyHasher:
        def verify(self, password_hash, password):
            verified.append(password_hash)
            return real_hasher.verify(password_hash, password)

    monkeypatch.setattr(passwords, "_hasher", SpyHasher())

    assert_problem(sign_in(client, "nobody-here", WRONG_PASSWORD), 401, "INVALID_CREDENTIALS")
    assert_problem(sign_in(client, user.username, WRONG_PASSWORD), 401, "INVALID_CREDENTIALS")

    assert verified == [passwords._DUMMY_HASH, user.password_hash]
    # the same Argon2 parameters (memory, iterations, lanes), hence the same cost
    assert passwords._DUMMY_HASH.rsplit("$", 2)[0] == user.password_hash.rsplit("$", 2)[0]


def test_the_dummy_hash_password_does_not_sign_in_an_unknown_user(client):
    response = sign_in(client, "nobody-here", "perfbudget-timing-equaliser")

    assert_problem(response, 401, "INVALID_CREDENTIALS")


def test_five_consecutive_failures_lock_the_account_for_fifteen_minutes(client, auth, user):
    before = datetime.now(UTC)
    fail(client, user.username, 4)

    response = sign_in(client, user.username, WRONG_PASSWORD)

    assert_problem(response, 401, "ACCOUNT_LOCKED")
    assert int(response.headers["Retry-After"]) == 900
    account = client.get(f"/api/v1/users/{user.id}", headers=auth("admin")).json()
    locked_until = datetime.fromisoformat(account["locked_until"])
    assert locked_until.utcoffset() == timedelta(0)
    assert timedelta(minutes=14) < locked_until - before <= timedelta(minutes=16)


def test_correct_password_while_locked_is_still_refused(client, user):
    lock(client, user.username)

    response = sign_in(client, user.username, DEMO_PASSWORD, headers=ENGLISH)

    body = assert_problem(response, 401, "ACCOUNT_LOCKED")
    assert 880 <= int(response.headers["Retry-After"]) <= 900
    assert "locked for 15 more minutes" in body["detail"]
    chinese = assert_problem(sign_in(client, user.username, DEMO_PASSWORD), 401, "ACCOUNT_LOCKED")
    assert "账号已锁定" in chinese["detail"]


def test_lock_expires_after_fifteen_minutes_and_the_count_restarts(client, user, monkeypatch):
    lock(client, user.username)

    travel(monkeypatch, timedelta(minutes=14))
    still_locked = sign_in(client, user.username, DEMO_PASSWORD)
    assert_problem(still_locked, 401, "ACCOUNT_LOCKED")
    assert 0 < int(still_locked.headers["Retry-After"]) <= 60

    travel(monkeypatch, timedelta(minutes=2))
    assert sign_in(client, user.username, DEMO_PASSWORD).status_code == 200
    fail(client, user.username, 4)
    assert sign_in(client, user.username, DEMO_PASSWORD).status_code == 200


def test_one_mistake_after_the_lock_expires_does_not_lock_again(client, user, monkeypatch):
    lock(client, user.username)
    travel(monkeypatch, timedelta(minutes=16))

    response = sign_in(client, user.username, WRONG_PASSWORD)

    assert_problem(response, 401, "INVALID_CREDENTIALS")
    assert sign_in(client, user.username, DEMO_PASSWORD).status_code == 200


def test_success_resets_the_failure_count(client, user):
    fail(client, user.username, 4)
    assert sign_in(client, user.username, DEMO_PASSWORD).status_code == 200

    fail(client, user.username, 4)
    assert_problem(sign_in(client, user.username, WRONG_PASSWORD), 401, "ACCOUNT_LOCKED")


def test_admin_unlock_lifts_the_lock(client, auth, user):
    lock(client, user.username)
    version = client.get(f"/api/v1/users/{user.id}", headers=auth("admin")).json()["version"]

    unlocked = client.post(
        f"/api/v1/users/{user.id}/unlock", json={"version": version}, headers=auth("admin")
    )

    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json()["locked_until"] is None
    assert sign_in(client, user.username, DEMO_PASSWORD).status_code == 200


def test_disabled_user_cannot_sign_in_and_its_token_stops_working(client, auth, user):
    version = client.get(f"/api/v1/users/{user.id}", headers=auth("admin")).json()["version"]

    disabled = client.post(
        f"/api/v1/users/{user.id}/disable", json={"version": version}, headers=auth("admin")
    )

    assert disabled.status_code == 200, disabled.text
    assert_problem(client.get(ME_URL, headers=auth(user.username)), 401, "INVALID_TOKEN")
    refused = sign_in(client, user.username, DEMO_PASSWORD)
    assert assert_problem(refused, 401, "INVALID_CREDENTIALS")["detail"] == "用户名或密码错误。"


def test_swagger_authorize_form_signs_in(client, user):
    # what Swagger UI's "Authorize" dialog posts for the OAuth2 password flow
    form = {
        "grant_type": "password",
        "username": user.username,
        "password": DEMO_PASSWORD,
        "scope": "",
    }

    response = client.post(
        TOKEN_URL, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"


def test_openapi_declares_the_password_flow_at_the_token_route(client):
    schemes = client.get("/openapi.json").json()["components"]["securitySchemes"]

    flows = [scheme["flows"] for scheme in schemes.values() if scheme["type"] == "oauth2"]
    assert flows == [{"password": {"scopes": {}, "tokenUrl": TOKEN_URL}}]


@pytest.mark.parametrize(
    ("form", "missing"),
    [
        ({}, {"body.username", "body.password"}),
        ({"username": "finance"}, {"body.password"}),
        ({"password": DEMO_PASSWORD}, {"body.username"}),
    ],
)
def test_missing_form_fields_are_a_validation_problem(client, form, missing):
    response = client.post(TOKEN_URL, data=form)

    body = assert_problem(response, 422, "VALIDATION_FAILED")
    assert {error["field"] for error in body["errors"]} == missing


def test_a_json_body_is_not_the_password_form(client):
    response = client.post(TOKEN_URL, json={"username": "finance", "password": DEMO_PASSWORD})

    assert_problem(response, 422, "VALIDATION_FAILED")


def test_a_grant_type_other_than_password_is_refused(client, user):
    form = {"grant_type": "client_credentials", "username": user.username, "password": "x"}

    body = assert_problem(client.post(TOKEN_URL, data=form), 422, "VALIDATION_FAILED")

    assert [error["field"] for error in body["errors"]] == ["body.grant_type"]


def test_login_detail_follows_accept_language(client, user):
    chinese = sign_in(client, user.username, WRONG_PASSWORD)
    english = sign_in(client, user.username, WRONG_PASSWORD, headers=ENGLISH)

    assert assert_problem(chinese, 401, "INVALID_CREDENTIALS")["detail"] == "用户名或密码错误。"
    english_body = assert_problem(english, 401, "INVALID_CREDENTIALS")
    assert english_body["detail"] == "Wrong username or password."
    assert english_body["title"] == "Unauthorized"
