"""Versions and audit events over an organisation's life."""

from tests.problems import assert_problem

URL = "/api/v1/organisations"


def test_a_new_organisation_starts_at_version_1(create_org):
    assert create_org("L100")["version"] == 1


def test_moving_a_unit_bumps_the_versions_of_rewritten_descendants(client, create_org, admin):
    first = create_org("L200")
    second = create_org("L300")
    unit = create_org("L200A", kind="unit", parent=first)
    child = create_org("L200A1", kind="unit", parent=unit)
    moved = client.patch(
        f"{URL}/{unit['id']}", json={"parent_id": second["id"], "version": 1}, headers=admin
    )
    assert moved.status_code == 200, moved.text
    after = client.get(f"{URL}/{child['id']}", headers=admin).json()
    assert after["path"] == f"{second['path']}{unit['id']}/{child['id']}/"
    assert after["version"] == child["version"] + 1
    stale = client.patch(
        f"{URL}/{child['id']}", json={"name_zh": "旧版本", "version": 1}, headers=admin
    )
    assert_problem(stale, 409, "VERSION_CONFLICT")


def test_an_edit_that_changes_nothing_leaves_no_audit_event(client, create_org, admin, auth):
    org = create_org("L400")
    same = client.patch(
        f"{URL}/{org['id']}", json={"name_zh": org["name_zh"], "version": 1}, headers=admin
    )
    assert same.status_code == 200
    events = client.get(
        "/api/v1/audit-events",
        params={"entity_type": "organisation", "entity_id": str(org["id"])},
        headers=auth("finance"),
    ).json()["items"]
    assert [event["action"] for event in events] == ["organisation.created"]


def test_body_version_and_if_match_must_agree(client, create_org, admin):
    org = create_org("L500")
    ambiguous = client.patch(
        f"{URL}/{org['id']}",
        json={"name_zh": "两个版本", "version": 1},
        headers={**admin, "If-Match": '"2"'},
    )
    assert_problem(ambiguous, 422, "VERSION_AMBIGUOUS")
    agreeing = client.patch(
        f"{URL}/{org['id']}",
        json={"name_zh": "一致", "version": 1},
        headers={**admin, "If-Match": '"1"'},
    )
    assert agreeing.status_code == 200


def test_deactivation_waits_for_the_accounts(client, db, create_org, admin):
    from perfbudget.orgs import repository
    from perfbudget.principal import Role
    from tests.factories import make_user

    org = create_org("L600")
    make_user(db, role=Role.department, organisation=repository.get_unscoped(db, org["id"]))
    refused = client.post(f"{URL}/{org['id']}/deactivate", json={"version": 1}, headers=admin)
    assert_problem(refused, 409, "ORGANISATION_HAS_ACTIVE_USERS")
    assert client.get(f"{URL}/{org['id']}", headers=admin).json()["is_active"] is True
