"""Every list answers a page, and the main lists sort by an allow-listed ``sort``.

The contract is walked twice: the committed openapi/openapi.json (what clients are generated
from) and the running application's (what answers)."""

import json
from typing import Any

import pytest

from perfbudget.cli import OPENAPI_PATH
from tests.problems import assert_problem

PAGE_KEYS = {"items", "total", "limit", "offset"}
NOT_LISTS = {"/api/v1/meta/enums"}  # a dictionary of enums, not a list
READERS = ("finance", "admin", "oversight")
YEAR = "2027"


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _json_gets(document: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(path, operation, 200 JSON schema) of every GET answering JSON."""
    found = []
    for path, operations in document["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        answer = _resolve(document, operation["responses"].get("200", {}))
        media = answer.get("content", {}).get("application/json")
        if media and "schema" in media:
            found.append((path, operation, _resolve(document, media["schema"])))
    return found


def _parameters(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    parameters = (_resolve(document, p) for p in operation.get("parameters", []))
    return {p["name"]: p for p in parameters if p["in"] == "query"}


@pytest.fixture(params=["committed", "running"])
def document(request: pytest.FixtureRequest, app: Any) -> dict[str, Any]:
    if request.param == "committed":
        return dict(json.loads(OPENAPI_PATH.read_text(encoding="utf-8")))
    return dict(app.openapi())


def test_no_list_answers_a_bare_array(document):
    bare = [
        path
        for path, _, schema in _json_gets(document)
        if path.startswith(("/api/v1", "/public/v1"))
        and path not in NOT_LISTS
        and schema.get("type") == "array"
    ]
    assert bare == [], "lists answer {items, total, limit, offset}"


def test_every_page_takes_limit_and_offset(document):
    pages = [
        (p, o, s) for p, o, s in _json_gets(document) if PAGE_KEYS <= s.get("properties", {}).keys()
    ]
    assert len(pages) >= 20
    for path, operation, _ in pages:
        parameters = _parameters(document, operation)
        limit = parameters["limit"]["schema"]
        assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100, 20), path
        assert parameters["offset"]["schema"]["minimum"] == 0, path


def test_every_sort_declares_its_choices_both_ways(document):
    sorted_lists = {}
    for path, operation, _ in _json_gets(document):
        sort = _parameters(document, operation).get("sort")
        if sort is None:
            continue
        choices = sort["schema"]["enum"]
        fields = [choice for choice in choices if not choice.startswith("-")]
        assert sorted(choices) == sorted(fields + [f"-{field}" for field in fields]), path
        assert sort["schema"]["default"] in choices, path
        assert "`-field` descending" in sort["description"], path
        sorted_lists[path] = fields
    assert {
        "/api/v1/budget-items",
        "/api/v1/organisations",
        "/api/v1/users",
        "/api/v1/monitoring-reports",
        "/api/v1/rectifications",
    } <= sorted_lists.keys()
    assert {
        "id",
        "code",
        "name",
        "requested_amount",
        "organisation",
        "status",
        "fiscal_year",
    } <= set(sorted_lists["/api/v1/budget-items"])


def test_every_declared_sort_is_served(app, client, auth):
    """Each choice of each list's ``sort`` answers a page (the names map to columns)."""
    served = 0
    for path, operation, _ in _json_gets(app.openapi()):
        sort = _parameters(app.openapi(), operation).get("sort")
        if sort is None:
            continue
        url = path.replace("{year}", YEAR)
        reader = next(
            user for user in READERS if client.get(url, headers=auth(user)).status_code == 200
        )
        for choice in sort["schema"]["enum"]:
            response = client.get(url, params={"sort": choice}, headers=auth(reader))
            assert response.status_code == 200, (path, choice, response.text)
            assert PAGE_KEYS <= response.json().keys()
            served += 1
    assert served > 100


@pytest.mark.parametrize(
    ("url", "user", "field"),
    [
        ("/api/v1/organisations", "admin", "code"),
        ("/api/v1/organisations", "admin", "name_zh"),
        ("/api/v1/users", "admin", "username"),
        ("/api/v1/users", "admin", "display_name"),
    ],
)
def test_sort_ascending_and_descending(client, auth, url, user, field):
    def listed(sort: str) -> list[tuple[str, int]]:
        response = client.get(url, params={"sort": sort, "limit": 100}, headers=auth(user))
        assert response.status_code == 200, response.text
        return [(row[field], row["id"]) for row in response.json()["items"]]

    ascending = listed(field)
    assert len(ascending) > 5
    assert ascending == sorted(ascending)
    assert listed(f"-{field}") == sorted(ascending, reverse=True)


def test_pages_sorted_on_a_shared_value_never_overlap(client, auth):
    def page(offset: int) -> list[int]:
        params = {"sort": "-kind", "limit": 3, "offset": offset}
        response = client.get("/api/v1/organisations", params=params, headers=auth("admin"))
        return [row["id"] for row in response.json()["items"]]

    total = client.get("/api/v1/organisations", headers=auth("admin")).json()["total"]
    seen = [org_id for offset in range(0, total, 3) for org_id in page(offset)]
    assert len(seen) == len(set(seen)) == total  # ties on kind are broken by id


@pytest.mark.parametrize(
    ("url", "user"),
    [
        ("/api/v1/organisations", "admin"),
        ("/api/v1/users", "admin"),
        ("/api/v1/budget-items", "finance"),
    ],
)
@pytest.mark.parametrize("sort", ["password_hash", "--code", "code,name", "-", ""])
def test_an_unknown_sort_is_a_validation_problem(client, auth, url, user, sort):
    response = client.get(url, params={"sort": sort}, headers=auth(user))
    body = assert_problem(response, 422, "VALIDATION_FAILED")
    assert [error["field"] for error in body["errors"]] == ["query.sort"]
    assert body["errors"][0]["code"] == "literal_error"
