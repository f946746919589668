"""Hostile and odd input gets a clear answer, never a 500 (issue 12): integers beyond what a
column holds, control characters in any text, times without a zone, unreadable uploads,
and stored text that exports must still write."""

import io
from typing import Any

import pytest
from fastapi import UploadFile
from fastapi.dependencies.utils import _get_flat_body_params
from fastapi.routing import APIRoute
from openpyxl import load_workbook
from sqlalchemy import update

from perfbudget.budget_items.models import BudgetItem
from perfbudget.main import ROUTERS
from perfbudget.schemas import MAX_INT, RequestModel
from tests.contract import CONTRACT, parameters
from tests.imports.conftest import IMPORTS
from tests.problems import assert_problem, invalid_fields
from tests.workflow import ITEMS

BEYOND = [str(2**31), str(2**63), "18446744073709551617", "99999999999999999999"]


def _integers(schema: dict[str, Any], where: str, seen: set[str]) -> list[tuple[str, Any]]:
    """Every integer in a schema, with the maximum it declares."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return _integers(CONTRACT["components"]["schemas"][name], name, seen)
    found = []
    if schema.get("type") == "integer" and "enum" not in schema:
        found.append((where, schema.get("maximum")))
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            found += _integers(part, where, seen)
    if "items" in schema:
        found += _integers(schema["items"], where + "[]", seen)
    for name, part in schema.get("properties", {}).items():
        found += _integers(part, f"{where}.{name}", seen)
    return found


def test_every_integer_a_request_carries_is_bounded_by_the_columns():
    integers = []
    for path, operations in CONTRACT["paths"].items():
        for method, operation in operations.items():
            for parameter in parameters(operation):
                where = f"{method} {path} {parameter['in']}.{parameter['name']}"
                integers += _integers(parameter["schema"], where, set())
            for content in operation.get("requestBody", {}).get("content", {}).values():
                integers += _integers(content["schema"], f"{method} {path} body", set())
    assert len(integers) > 100
    assert [where for where, maximum in integers if maximum is None or maximum > MAX_INT] == []


@pytest.mark.parametrize("number", [*BEYOND, "0", "-1", "abc"])
@pytest.mark.parametrize(
    "path",
    [
        "/public/v1/fiscal-years/{n}/targets",
        "/public/v1/open-data/{n}/targets.json",
        "/api/v1/budget-items/{n}",
        "/api/v1/users/{n}",
        "/api/v1/budget-items/{n}/targets/versions/1",
    ],
)
def test_a_path_id_no_row_could_have_is_404(client, auth, path, number):
    headers = auth("admin") if "/users/" in path else auth("finance")
    response = client.get(path.format(n=number), headers=headers)
    assert_problem(response, 404, "NOT_FOUND")


@pytest.mark.parametrize("number", BEYOND[:2])
def test_a_write_to_an_id_no_row_could_have_is_404(client, auth, number):
    response = client.patch(
        f"{ITEMS}/{number}", json={"name": "x", "version": 1}, headers=auth("department")
    )
    assert_problem(response, 404, "NOT_FOUND")


@pytest.mark.parametrize("number", BEYOND)
@pytest.mark.parametrize(
    ("path", "parameter", "user"),
    [
        ("/api/v1/users", "offset", "admin"),
        ("/api/v1/users", "organisation_id", "admin"),
        ("/api/v1/budget-items", "fiscal_year", "finance"),
        ("/api/v1/budget-items", "organisation_id", "finance"),
        ("/api/v1/audit-events", "user_id", "oversight"),
    ],
)
def test_a_query_value_beyond_its_column_is_422(client, auth, path, parameter, user, number):
    response = client.get(path, params={parameter: number}, headers=auth(user))
    assert invalid_fields(response) == {f"query.{parameter}"}


def _text_query_parameters() -> list[tuple[str, str]]:
    found = []
    for path, operations in CONTRACT["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        for parameter in parameters(get):
            schemas = [parameter["schema"], *parameter["schema"].get("anyOf", [])]
            if parameter["in"] == "query" and any(
                schema.get("type") == "string" and "enum" not in schema and "format" not in schema
                for schema in schemas
            ):
                found.append((path, parameter["name"]))
    return found


TEXT_QUERY_PARAMETERS = _text_query_parameters()


def test_the_contract_has_text_query_parameters_to_try():
    assert ("/api/v1/budget-items", "search") in TEXT_QUERY_PARAMETERS
    assert ("/public/v1/fiscal-years/{year}/targets", "organisation") in TEXT_QUERY_PARAMETERS


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f"])
@pytest.mark.parametrize(("path", "parameter"), TEXT_QUERY_PARAMETERS)
def test_a_control_character_in_any_text_parameter_is_422(client, auth, path, parameter, character):
    url = path.replace("{year}", "2027").replace("{item_id}", "1")
    answered = []
    for user in ("finance", "oversight", "admin"):
        response = client.get(url, params={parameter: f"a{character}b"}, headers=auth(user))
        answered.append(response.status_code)
        if response.status_code != 403:
            break
    assert answered[-1] == 422, (url, answered, response.text)
    assert response.json()["errors"][0]["code"] == "control_character"


def test_every_json_body_is_a_request_model():
    """Bodies are checked by RequestModel: every text in them, at any depth (a file is
    the attachments' own business, and an upload's rows are RequestModels too)."""
    bodies = [
        param.field_info.annotation
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for param in _get_flat_body_params(route.dependant)
    ]
    assert bodies
    assert [
        body
        for body in bodies
        if not (isinstance(body, type) and issubclass(body, RequestModel | UploadFile))
    ] == []


@pytest.mark.parametrize("name", ["x\\u0000y", "x\\by", "line\\nbreak", "\\ud800"])
def test_a_control_character_in_a_line_is_refused_and_nothing_is_written(flow, name):
    item = flow.create()
    response = flow.client.patch(
        f"{ITEMS}/{item['id']}",
        content=f'{{"name": "{name}", "version": {item["version"]}}}',
        headers={**flow.auth("department"), "Content-Type": "application/json"},
    )
    assert invalid_fields(response) == {"body.name"}
    # a lone surrogate is refused by the JSON reading already
    assert response.json()["errors"][0]["code"] in ("control_character", "string_unicode")
    assert flow.get(item["id"])["name"] == item["name"]


def test_multi_line_text_keeps_its_tabs_and_line_breaks_but_no_other_control(flow):
    item = flow.create()
    text = "第一段\r\n第二段\t（续）"
    refused = flow.client.patch(
        f"{ITEMS}/{item['id']}",
        json={"description": text + "\x00", "version": item["version"]},
        headers=flow.auth("department"),
    )
    assert invalid_fields(refused) == {"body.description"}
    accepted = flow.client.patch(
        f"{ITEMS}/{item['id']}",
        json={"description": text, "version": item["version"]},
        headers=flow.auth("department"),
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["description"] == text


def test_a_control_character_in_the_sign_in_form_is_422(client):
    for form in (
        {"username": "fin\x00ance", "password": "x"},
        {"username": "a", "password": "\x00"},
    ):
        response = client.post("/api/v1/auth/token", data=form)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "VALIDATION_FAILED"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_exports_write_text_stored_before_it_was_refused(flow, db, fmt):
    item = flow.create()
    db.execute(
        update(BudgetItem).where(BudgetItem.id == item["id"]).values(name="坏\x01名\x0b字\x1b")
    )
    db.flush()
    response = flow.client.get(ITEMS, params={"format": fmt}, headers=flow.auth("finance"))
    assert response.status_code == 200, response.text
    if fmt == "csv":
        cells = response.content.decode("utf-8-sig")
    else:
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        cells = "".join(str(cell) for row in sheet.values for cell in row)
    assert "坏\ufffd名\ufffd字\ufffd" in cells


def test_a_time_without_its_zone_is_422(client, auth):
    response = client.get(
        "/api/v1/audit-events", params={"since": "2026-01-01T00:00:00"}, headers=auth("oversight")
    )
    assert invalid_fields(response) == {"query.since"}
    assert response.json()["errors"][0]["code"] == "timezone_aware"
    zoned = client.get(
        "/api/v1/audit-events",
        params={"since": "2026-01-01T00:00:00+08:00"},
        headers=auth("oversight"),
    )
    assert zoned.status_code == 200, zoned.text


def test_a_csv_field_beyond_the_reader_limit_is_malformed(flow):
    body = ("项目编号,金额,拨款日期,用途\n1,1.00,2027-03-15," + "长" * 140_000 + "\n").encode()
    response = flow.client.post(
        f"{IMPORTS}/disbursements",
        content=body,
        headers={**flow.auth("finance"), "Content-Type": "text/csv"},
    )
    assert_problem(response, 422, "IMPORT_MALFORMED")


@pytest.mark.parametrize("value", ['"²"', '"99999999999999999999"', '"1\x00"'])
def test_an_if_match_that_is_no_version_is_422(flow, value):
    item = flow.create()
    response = flow.client.patch(
        f"{ITEMS}/{item['id']}",
        json={"name": "改名"},
        headers={**flow.auth("department"), "If-Match": value.encode("latin-1")},
    )
    assert_problem(response, 422, "INVALID_IF_MATCH")
