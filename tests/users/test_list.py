"""Listing users: filters, pagination, no secrets, a fixed number of statements."""

import pytest

from perfbudget.auth import passwords
from perfbudget.principal import Role
from perfbudget.users.models import User
from tests.factories import STRONG_PASSWORD, demo_org, make_org, make_user
from tests.problems import invalid_fields
from tests.users.conftest import URL


def _list(client, headers, **params):
    response = client.get(URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _usernames(body):
    return [item["username"] for item in body["items"]]


def test_demo_users_are_listed_in_username_order(client, admin):
    body = _list(client, admin)
    assert body["total"] == 12
    assert _usernames(body) == [
        "admin", "agriculture", "department", "expert", "finance", "health", "investment",
        "oversight", "thirdparty", "transport", "treasury-sync", "unit",
    ]  # fmt: skip


def test_filters(client, db, admin):
    education = demo_org(db, "201")
    make_user(db, role=Role.department, organisation=education, username="flt.teacher")
    make_user(db, role=Role.expert, username="flt.expert")
    make_user(db, role=Role.expert, username="flt.retired")
    db.commit()
    retired = _list(client, admin, search="flt.retired")["items"][0]
    disabled = client.post(
        f"{URL}/{retired['id']}/disable", json={"version": retired["version"]}, headers=admin
    )
    assert disabled.status_code == 200, disabled.text

    assert _usernames(_list(client, admin, search="flt.", role="expert")) == [
        "flt.expert",
        "flt.retired",
    ]
    assert _usernames(_list(client, admin, organisation_id=education.id)) == [
        "department",
        "flt.teacher",
    ]
    assert _usernames(_list(client, admin, search="FLT.", active="false")) == ["flt.retired"]
    assert _usernames(_list(client, admin, search="flt.", active="true")) == [
        "flt.expert",
        "flt.teacher",
    ]
    assert _usernames(_list(client, admin, search="财务")) == [
        "department", "health", "transport", "unit"
    ]  # fmt: skip
    assert _list(client, admin, search="%")["total"] == 0


def test_invalid_filters_answer_422(client, admin):
    assert invalid_fields(client.get(URL, params={"role": "public"}, headers=admin)) == {
        "query.role"
    }
    assert invalid_fields(client.get(URL, params={"password_hash": "x"}, headers=admin)) == {
        "query.password_hash"
    }


def test_pagination(client, db, admin):
    names = [f"page.{n:02d}" for n in range(1, 24)]
    for name in reversed(names):
        make_user(db, username=name)
    first = _list(client, admin, search="page.")
    assert (first["total"], first["limit"], first["offset"]) == (23, 20, 0)
    assert _usernames(first) == names[:20]
    rest = _list(client, admin, search="page.", limit=20, offset=20)
    assert _usernames(rest) == names[20:]
    assert rest["offset"] == 20
    assert invalid_fields(client.get(URL, params={"limit": 101}, headers=admin)) == {"query.limit"}


def test_the_password_hash_never_appears(client, db, admin, auth, login):
    education = demo_org(db, "201")
    created = client.post(
        URL,
        json={
            "username": "secretive",
            "display_name": "保密",
            "role": "department",
            "organisation_id": education.id,
            "initial_password": STRONG_PASSWORD,
        },
        headers=admin,
    )
    user = created.json()
    version = {"version": user["version"]}
    updated = client.patch(
        f"{URL}/{user['id']}", json={"display_name": "保密二", **version}, headers=admin
    )
    reset = client.post(
        f"{URL}/{user['id']}/reset-password",
        json={"temporary_password": "Temp#Passw0rd", "version": updated.json()["version"]},
        headers=admin,
    )
    disabled = client.post(
        f"{URL}/{user['id']}/disable", json={"version": reset.json()["version"]}, headers=admin
    )
    responses = [
        created,
        updated,
        reset,
        disabled,
        client.get(f"{URL}/{user['id']}", headers=admin),
        client.get(URL, params={"limit": 100}, headers=admin),
        client.get(URL, headers=auth("oversight")),
        client.get("/api/v1/auth/me", headers=admin),
        client.get("/api/v1/audit-events", params={"entity_type": "user"}, headers=auth("finance")),
    ]
    stored_hash = db.get_one(User, user["id"]).password_hash
    assert stored_hash.startswith("$argon2")
    for response in responses:
        assert response.status_code in (200, 201), response.text
        assert "argon2" not in response.text
        assert "password_hash" not in response.text
        assert stored_hash not in response.text
        assert STRONG_PASSWORD not in response.text
        assert "Temp#Passw0rd" not in response.text


@pytest.fixture
def cheap_hashing(monkeypatch):
    """Argon2 costs ~0.1 s a user; the statement count does not depend on it."""
    monkeypatch.setattr(passwords, "hash_password", lambda _password: "not-a-real-hash")


def _statements_for_list(client, headers, count_queries):
    count_queries.statements.clear()
    body = _list(client, headers, limit=100)
    return count_queries.count, body["total"]


def test_list_statement_count_does_not_grow_with_users(
    client, db, admin, count_queries, cheap_hashing
):
    # each user bound to its own organisation: a lazy load per row would show
    for n in range(3):
        make_user(db, role=Role.department, organisation=make_org(db), username=f"cnt.{n:02d}")
    db.commit()
    db.expunge_all()
    few, total_few = _statements_for_list(client, admin, count_queries)

    for n in range(3, 30):
        make_user(db, role=Role.department, organisation=make_org(db), username=f"cnt.{n:02d}")
    db.commit()
    db.expunge_all()
    many, total_many = _statements_for_list(client, admin, count_queries)

    assert total_many - total_few == 27
    assert few >= 2  # the count and the page at least
    assert many == few
