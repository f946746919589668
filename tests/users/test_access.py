"""Who may read and maintain accounts: admin writes; finance and oversight only read."""

import pytest

from tests.problems import assert_problem
from tests.users.conftest import URL, user_body


@pytest.mark.parametrize("username", ["admin", "finance", "oversight"])
def test_readers_list_and_read_users(client, new_user, auth, username):
    user = new_user(username="reader.target")
    listed = client.get(URL, params={"search": "reader.target"}, headers=auth(username))
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()["items"]] == [user["id"]]
    read = client.get(f"{URL}/{user['id']}", headers=auth(username))
    assert read.status_code == 200
    assert read.json()["username"] == "reader.target"


@pytest.mark.parametrize("username", ["finance", "oversight"])
def test_readers_cannot_write(client, new_user, auth, username):
    user = new_user()
    headers = auth(username)
    assert_problem(client.post(URL, json=user_body(), headers=headers), 403, "PERMISSION_DENIED")
    version = {"version": user["version"]}
    writes = [
        client.patch(
            f"{URL}/{user['id']}", json={"display_name": "越权", **version}, headers=headers
        ),
        client.post(f"{URL}/{user['id']}/disable", json=version, headers=headers),
        client.post(f"{URL}/{user['id']}/unlock", json=version, headers=headers),
        client.post(
            f"{URL}/{user['id']}/reset-password",
            json={"temporary_password": "Temp#Passw0rd", **version},
            headers=headers,
        ),
    ]
    for response in writes:
        assert_problem(response, 403, "PERMISSION_DENIED")
    after = client.get(f"{URL}/{user['id']}", headers=auth("admin")).json()
    assert after["display_name"] == user["display_name"]
    assert after["is_active"] is True
    assert after["version"] == user["version"]
    assert client.get(URL, params={"search": "zhang.san"}, headers=headers).json()["total"] == 0


@pytest.mark.parametrize("username", ["department", "unit", "expert", "thirdparty", "investment"])
def test_other_roles_cannot_see_users(client, new_user, auth, username):
    user = new_user()
    assert_problem(client.get(URL, headers=auth(username)), 403, "PERMISSION_DENIED")
    assert_problem(
        client.get(f"{URL}/{user['id']}", headers=auth(username)), 403, "PERMISSION_DENIED"
    )


def test_permission_denial_is_audited(client, auth):
    client.get(URL, headers=auth("expert"))
    events = client.get(
        "/api/v1/audit-events", params={"action": "permission.denied"}, headers=auth("finance")
    ).json()["items"]
    assert events[0]["username"] == "expert"
    assert events[0]["changes"] == {"permission": "user:read"}


def test_users_need_a_token(client):
    assert_problem(client.get(URL), 401, "NOT_AUTHENTICATED")


def test_missing_user_answers_404(client, auth):
    assert_problem(client.get(f"{URL}/987654321", headers=auth("admin")), 404, "NOT_FOUND")
    response = client.patch(
        f"{URL}/987654321", json={"display_name": "无", "version": 1}, headers=auth("admin")
    )
    assert_problem(response, 404, "NOT_FOUND")
