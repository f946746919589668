"""Renaming, moving, deactivating: every write carries the version it read."""

import pytest

from perfbudget.principal import Role
from tests.factories import STRONG_PASSWORD, demo_org, make_user
from tests.orgs.conftest import URL
from tests.problems import assert_problem, invalid_fields


def _get(client, admin, org):
    response = client.get(f"{URL}/{org['id']}", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


def _set_active(client, admin, org, active):
    action = "activate" if active else "deactivate"
    current = _get(client, admin, org)
    return client.post(
        f"{URL}/{org['id']}/{action}", json={"version": current["version"]}, headers=admin
    )


def test_rename_with_version_in_the_body(client, admin, create_org):
    org = create_org("R100")
    response = client.patch(
        f"{URL}/{org['id']}",
        json={"name_zh": "新名称", "name_en": "New name", "version": org["version"]},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert response.json()["name_zh"] == "新名称"
    assert response.json()["name_en"] == "New name"
    assert response.json()["version"] == org["version"] + 1
    assert _get(client, admin, org)["name_zh"] == "新名称"


@pytest.mark.parametrize("template", ['"{}"', "{}", 'W/"{}"'])
def test_rename_with_if_match_header(client, admin, create_org, template):
    org = create_org("R200")
    response = client.patch(
        f"{URL}/{org['id']}",
        json={"name_zh": "改名"},
        headers={**admin, "If-Match": template.format(org["version"])},
    )
    assert response.status_code == 200, response.text
    assert response.json()["name_zh"] == "改名"
    assert response.json()["version"] == org["version"] + 1


def test_stale_version_conflicts_and_changes_nothing(client, admin, create_org):
    org = create_org("R300")
    first = client.patch(
        f"{URL}/{org['id']}", json={"name_zh": "第一次", "version": org["version"]}, headers=admin
    )
    assert first.status_code == 200
    stale = client.patch(
        f"{URL}/{org['id']}", json={"name_zh": "第二次", "version": org["version"]}, headers=admin
    )
    body = assert_problem(stale, 409, "VERSION_CONFLICT")
    assert body["current_version"] == first.json()["version"]
    stale_header = client.patch(
        f"{URL}/{org['id']}",
        json={"name_zh": "第三次"},
        headers={**admin, "If-Match": f'"{org["version"]}"'},
    )
    assert_problem(stale_header, 409, "VERSION_CONFLICT")
    assert _get(client, admin, org)["name_zh"] == "第一次"


def test_write_without_version_answers_428(client, admin, create_org):
    org = create_org("R400")
    response = client.patch(f"{URL}/{org['id']}", json={"name_zh": "无版本"}, headers=admin)
    assert_problem(response, 428, "VERSION_REQUIRED")
    response = client.post(f"{URL}/{org['id']}/deactivate", json={}, headers=admin)
    assert_problem(response, 428, "VERSION_REQUIRED")
    read = _get(client, admin, org)
    assert read["name_zh"] == org["name_zh"]
    assert read["is_active"] is True


def test_if_match_without_a_number_answers_422(client, admin, create_org):
    org = create_org("R500")
    response = client.patch(
        f"{URL}/{org['id']}", json={"name_zh": "坏头"}, headers={**admin, "If-Match": "*"}
    )
    assert_problem(response, 422, "INVALID_IF_MATCH")


@pytest.mark.parametrize(
    ("field", "value"),
    [("is_active", False), ("path", "/9/"), ("code", "NEW"), ("kind", "unit"), ("created_by", 1)],
)
def test_unknown_fields_on_update_are_refused_and_the_row_is_unchanged(
    client, admin, create_org, field, value
):
    org = create_org("R600")
    response = client.patch(
        f"{URL}/{org['id']}",
        json={"name_zh": "不应生效", field: value, "version": org["version"]},
        headers=admin,
    )
    assert invalid_fields(response) == {f"body.{field}"}
    assert _get(client, admin, org) == org


def test_moving_a_unit_rewrites_the_paths_of_its_descendants(client, db, admin, create_org, login):
    old_parent = create_org("P100")
    new_parent = create_org("P200")
    unit = create_org("P100001", "unit", old_parent)
    child = create_org("P100001001", "unit", unit)
    grandchild = create_org("P100001001001", "unit", child)
    sibling = create_org("P100002", "unit", old_parent)

    response = client.patch(
        f"{URL}/{unit['id']}",
        json={"parent_id": new_parent["id"], "version": unit["version"]},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    moved_path = f"{new_parent['path']}{unit['id']}/"
    assert response.json()["parent_id"] == new_parent["id"]
    assert response.json()["path"] == moved_path
    assert _get(client, admin, child)["path"] == f"{moved_path}{child['id']}/"
    assert (
        _get(client, admin, grandchild)["path"] == f"{moved_path}{child['id']}/{grandchild['id']}/"
    )
    assert _get(client, admin, child)["parent_id"] == unit["id"]
    assert _get(client, admin, sibling)["path"] == sibling["path"]

    # a department user of the new parent now sees the moved subtree, one of the old does not
    make_user(db, role=Role.department, organisation=demo_org(db, "P200"), username="p200.user")
    make_user(db, role=Role.department, organisation=demo_org(db, "P100"), username="p100.user")
    assert _visible_codes(client, login("p200.user", STRONG_PASSWORD)) == {
        "P200",
        "P100001",
        "P100001001",
        "P100001001001",
    }
    assert _visible_codes(client, login("p100.user", STRONG_PASSWORD)) == {"P100", "P100002"}


def _visible_codes(client, token):
    response = client.get(URL, params={"limit": 100}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return {item["code"] for item in response.json()["items"]}


def test_moving_a_unit_under_another_unit_at_depth(client, admin, create_org):
    department = create_org("P300")
    left = create_org("P300001", "unit", department)
    right = create_org("P300002", "unit", department)
    leaf = create_org("P300001001", "unit", left)
    response = client.patch(
        f"{URL}/{leaf['id']}",
        json={"parent_id": right["id"], "version": leaf["version"]},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert response.json()["path"] == f"{right['path']}{leaf['id']}/"


def test_moving_under_its_own_descendant_is_a_cycle(client, admin, create_org):
    department = create_org("C100")
    unit = create_org("C100001", "unit", department)
    child = create_org("C100001001", "unit", unit)
    grandchild = create_org("C100001001001", "unit", child)
    for target in (grandchild, child, unit):
        response = client.patch(
            f"{URL}/{unit['id']}",
            json={"parent_id": target["id"], "version": unit["version"]},
            headers=admin,
        )
        assert_problem(response, 409, "ORGANISATION_CYCLE")
    assert _get(client, admin, unit)["path"] == unit["path"]
    assert _get(client, admin, grandchild)["path"] == grandchild["path"]


def test_a_department_cannot_be_moved_under_another(client, admin, create_org):
    department = create_org("C200")
    other = create_org("C300")
    response = client.patch(
        f"{URL}/{department['id']}",
        json={"parent_id": other["id"], "version": department["version"]},
        headers=admin,
    )
    assert_problem(response, 409, "ORGANISATION_PARENT_NOT_ALLOWED")


def test_a_unit_cannot_be_moved_to_the_top(client, admin, create_org):
    department = create_org("C400")
    unit = create_org("C400001", "unit", department)
    response = client.patch(
        f"{URL}/{unit['id']}", json={"parent_id": None, "version": unit["version"]}, headers=admin
    )
    assert_problem(response, 409, "ORGANISATION_PARENT_REQUIRED")
    assert _get(client, admin, unit)["parent_id"] == department["id"]


def test_deactivation_needs_children_deactivated_first(client, admin, create_org):
    department = create_org("A100")
    unit = create_org("A100001", "unit", department)

    assert_problem(
        _set_active(client, admin, department, False), 409, "ORGANISATION_HAS_ACTIVE_CHILDREN"
    )
    assert _get(client, admin, department)["is_active"] is True

    assert _set_active(client, admin, unit, False).status_code == 200
    response = _set_active(client, admin, department, False)
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False

    # deactivated, never deleted: the row is still there
    assert _get(client, admin, department)["is_active"] is False
    assert _get(client, admin, unit)["is_active"] is False


def test_there_is_no_delete(client, admin, create_org):
    org = create_org("A200")
    response = client.delete(f"{URL}/{org['id']}", headers=admin)
    assert_problem(response, 405, "METHOD_NOT_ALLOWED")
    assert _get(client, admin, org)["is_active"] is True


def test_reactivation_under_an_inactive_parent_is_refused(client, admin, create_org):
    department = create_org("A300")
    unit = create_org("A300001", "unit", department)
    assert _set_active(client, admin, unit, False).status_code == 200
    assert _set_active(client, admin, department, False).status_code == 200

    assert_problem(_set_active(client, admin, unit, True), 409, "ORGANISATION_PARENT_INACTIVE")
    assert _get(client, admin, unit)["is_active"] is False

    assert _set_active(client, admin, department, True).status_code == 200
    response = _set_active(client, admin, unit, True)
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is True


def test_moving_under_an_inactive_parent_is_refused(client, admin, create_org):
    department = create_org("A400")
    closed = create_org("A500")
    unit = create_org("A400001", "unit", department)
    assert _set_active(client, admin, closed, False).status_code == 200
    response = client.patch(
        f"{URL}/{unit['id']}",
        json={"parent_id": closed["id"], "version": unit["version"]},
        headers=admin,
    )
    assert_problem(response, 409, "ORGANISATION_PARENT_INACTIVE")


def test_status_change_with_stale_version_conflicts(client, admin, create_org):
    org = create_org("A600")
    renamed = client.patch(
        f"{URL}/{org['id']}", json={"name_zh": "新", "version": org["version"]}, headers=admin
    )
    assert renamed.status_code == 200
    response = client.post(
        f"{URL}/{org['id']}/deactivate", json={"version": org["version"]}, headers=admin
    )
    assert_problem(response, 409, "VERSION_CONFLICT")
    assert _get(client, admin, org)["is_active"] is True


def test_writes_to_a_missing_organisation_answer_404(client, admin):
    response = client.patch(f"{URL}/987654321", json={"name_zh": "无", "version": 1}, headers=admin)
    assert_problem(response, 404, "NOT_FOUND")
    response = client.post(f"{URL}/987654321/deactivate", json={"version": 1}, headers=admin)
    assert_problem(response, 404, "NOT_FOUND")


def test_writes_are_audited(client, admin, auth, create_org):
    org = create_org("A700")
    client.patch(
        f"{URL}/{org['id']}", json={"name_zh": "审计名", "version": org["version"]}, headers=admin
    )
    events = client.get(
        "/api/v1/audit-events",
        params={"entity_type": "organisation", "entity_id": str(org["id"])},
        headers=auth("finance"),
    ).json()["items"]
    actions = [event["action"] for event in events]
    assert actions == ["organisation.updated", "organisation.created"]
    assert events[0]["username"] == "admin"
    assert events[0]["changes"] == {
        "before": {"name_zh": org["name_zh"]},
        "after": {"name_zh": "审计名"},
    }
