"""HTTP conventions of the contract: versions as ETags and conditional reads, Allow on 405,
the headers CORS exposes, field messages in the client's language, Content-Language."""

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import pytest
from fastapi.testclient import TestClient
from pydantic import Field, Json, ValidationError

from perfbudget.api.problems import _MESSAGES_ZH, _message_zh
from perfbudget.config import Settings
from perfbudget.main import create_app
from perfbudget.schemas import RequestModel, Text
from perfbudget.users import repository as user_repository
from tests.contract import parameters
from tests.problems import assert_problem
from tests.workflow import ITEMS, valid_lines

# --- ETag --------------------------------------------------------------------------------


def test_a_read_answers_its_version_as_etag_and_304_while_it_is_current(client, flow, db):
    item = flow.create()
    assert flow.save_targets(item["id"]).status_code == 200
    reads = {
        f"{ITEMS}/{item['id']}": "finance",
        f"{ITEMS}/{item['id']}/targets": "department",
        f"/api/v1/organisations/{flow.org_id('201')}": "finance",
        "/api/v1/fiscal-years/2027": "finance",
        f"/api/v1/users/{user_repository.get_by_username(db, 'department').id}": "admin",
    }
    for url, user in reads.items():
        headers = flow.auth(user)
        first = client.get(url, headers=headers)
        assert first.status_code == 200, (url, first.text)
        etag = first.headers["ETag"]
        assert re.fullmatch(rf'"{first.json()["version"]}\.[0-9a-f]{{12}}"', etag), etag
        for sent in (etag, "*", f'"999999", W/{etag}'):
            again = client.get(url, headers={**headers, "If-None-Match": sent})
            assert again.status_code == 304, (url, sent, again.text)
            assert again.content == b""
            assert again.headers["ETag"] == etag
        other = client.get(url, headers={**headers, "If-None-Match": '"999999"'})
        assert other.status_code == 200 and other.headers["ETag"] == etag


def test_the_etag_read_is_the_if_match_of_a_write_which_answers_the_next(client, flow):
    department = flow.auth("department")
    url = f"{ITEMS}/{flow.create()['id']}"
    etag = client.get(url, headers=department).headers["ETag"]
    updated = client.patch(
        url, json={"name": "教师培训二期"}, headers={**department, "If-Match": etag}
    )
    assert updated.status_code == 200, updated.text
    assert updated.headers["ETag"].startswith(f'"{updated.json()["version"]}.')
    assert updated.headers["ETag"] != etag
    assert client.get(url, headers={**department, "If-None-Match": etag}).status_code == 200
    stale = client.patch(url, json={"name": "三期"}, headers={**department, "If-Match": etag})
    assert_problem(stale, 409, "VERSION_CONFLICT")

    # a PUT of a sub-resource: the targets carry a version of their own
    saved = client.put(
        f"{url}/targets",
        json={"overall_goal": "提升教学能力", "lines": valid_lines()},
        headers=department,
    )
    assert saved.status_code == 200, saved.text
    etag = client.get(f"{url}/targets", headers=department).headers["ETag"]
    assert saved.headers["ETag"] == etag
    again = client.put(
        f"{url}/targets",
        json={"overall_goal": "全面提升教学能力", "lines": valid_lines()},
        headers={**department, "If-Match": etag},
    )
    assert again.status_code == 200, again.text
    assert again.headers["ETag"].startswith(f'"{again.json()["version"]}.')
    assert again.headers["ETag"] != etag


def test_a_read_whose_content_changes_under_the_same_version_is_not_304(client, flow):
    """An item's gates change when its targets are approved; the item's version does not."""
    item = flow.submitted()
    url = f"{ITEMS}/{item['id']}"
    before = client.get(url, headers=flow.auth("finance"))
    flow.target_post(item["id"], "finance-review", "finance", decision="approve")
    after = client.get(
        url, headers={**flow.auth("finance"), "If-None-Match": before.headers["ETag"]}
    )
    assert after.json()["version"] == before.json()["version"]
    assert after.status_code == 200, "a 304 would keep the client on the old gates"
    assert after.headers["ETag"] != before.headers["ETag"]


def test_every_read_of_one_versioned_object_declares_etag_and_304(app):
    document = app.openapi()
    schemas = document["components"]["schemas"]
    declared = 0
    for path, operations in document["paths"].items():
        read = operations.get("get")
        if read is None:
            continue
        json_schema = read["responses"]["200"].get("content", {}).get("application/json", {})
        name = json_schema.get("schema", {}).get("$ref", "").rpartition("/")[2]
        if "version" not in schemas.get(name, {}).get("properties", {}):
            continue
        declared += 1
        assert "ETag" in read["responses"]["200"].get("headers", {}), path
        assert "304" in read["responses"], path
        headers = {p["name"].lower() for p in parameters(read, document) if p.get("in") == "header"}
        assert "if-none-match" in headers, path
    assert declared >= 15


# --- 405 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/budget-items", "GET, POST"),
        ("PUT", "/api/v1/budget-items/1", "GET, PATCH"),
        ("DELETE", "/api/v1/organisations", "GET, POST"),
        ("DELETE", "/api/v1/budget-items/1/targets", "GET, PUT"),
        ("POST", "/healthz", "GET"),
    ],
)
def test_405_allows_every_method_of_the_path(client, method, path, allowed):
    response = client.request(method, path)
    assert_problem(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == allowed


def test_405_allow_matches_the_contract_on_every_path(client, app):
    paths = app.openapi()["paths"]
    patterns = {
        template: re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        for template in paths
    }
    for template in paths:
        path = re.sub(r"\{[^}]+\}", "1", template)
        # every operation the path answers (…/department-assessments/compute is also an id)
        allowed = {
            method.upper()
            for other, pattern in patterns.items()
            if pattern.match(path)
            for method in paths[other]
        }
        refused = next(m for m in ("DELETE", "PATCH", "PUT", "POST", "GET") if m not in allowed)
        response = client.request(refused, path)
        assert response.status_code == 405, (refused, template)
        assert set(response.headers["Allow"].split(", ")) == allowed, template


# --- CORS --------------------------------------------------------------------------------


def test_cors_exposes_the_headers_clients_read(engine):
    origin = "https://spa.county.gov.cn"
    with TestClient(create_app(Settings(cors_origins=origin))) as client:
        response = client.get("/healthz", headers={"Origin": origin})
    assert response.headers["access-control-allow-origin"] == origin
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {
        "content-disposition",
        "etag",
        "x-request-id",
        "idempotent-replay",
        "retry-after",
        "content-language",
    } <= exposed
    # CORS's Vary and the language's, both
    assert {v.strip() for v in response.headers["vary"].split(",")} >= {"Origin", "Accept-Language"}


# --- languages ---------------------------------------------------------------------------

BAD_ITEM = {"fiscal_year": 99999, "name": "", "kind": "x", "requested_amount": "abc"}


def test_field_messages_follow_accept_language(client, auth):
    zh = assert_problem(
        client.post(ITEMS, json=BAD_ITEM, headers=auth("department")), 422, "VALIDATION_FAILED"
    )
    en = assert_problem(
        client.post(ITEMS, json=BAD_ITEM, headers={**auth("department"), "Accept-Language": "en"}),
        422,
        "VALIDATION_FAILED",
    )
    zh_messages = {e["field"]: e["message"] for e in zh["errors"]}
    assert zh_messages == {
        "body.fiscal_year": "不得大于 2100",
        "body.organisation_id": "缺少必填字段",
        "body.name": "长度不得少于 1 个字符",
        "body.kind": "应为以下取值之一：'project'、'policy'、'department_overall'",
        "body.requested_amount": "应为有效的十进制数",
    }
    assert zh["detail"] == "请求数据校验失败，共 5 处错误。"
    en_messages = {e["field"]: e["message"] for e in en["errors"]}
    assert en_messages["body.fiscal_year"] == "Input should be less than or equal to 2100"
    assert en_messages["body.requested_amount"] == "Input should be a valid decimal"
    assert en["detail"] == "The request failed validation (5 errors)."
    # the codes are Pydantic's, whatever the language
    assert [e["code"] for e in zh["errors"]] == [e["code"] for e in en["errors"]]
    assert {e["code"] for e in zh["errors"]} >= {"less_than_equal", "missing", "decimal_parsing"}


def test_one_error_is_counted_as_one(client, auth):
    url = "/api/v1/organisations?limit=101"
    zh = assert_problem(client.get(url, headers=auth("finance")), 422, "VALIDATION_FAILED")
    assert zh["detail"] == "请求数据校验失败，共 1 处错误。"
    assert zh["errors"] == [
        {"field": "query.limit", "code": "less_than_equal", "message": "不得大于 100"}
    ]
    en = client.get(url, headers={**auth("finance"), "Accept-Language": "en"}).json()
    assert en["detail"] == "The request failed validation (1 error)."


def test_every_answer_names_its_language_and_varies_by_it(client, auth):
    for sent, language in (
        ({}, "zh-CN"),
        ({"Accept-Language": "en-GB,en;q=0.9"}, "en"),
        ({"Accept-Language": "fr, zh-CN;q=0.8, en;q=0.5"}, "zh-CN"),
    ):
        for response in (
            client.get("/healthz", headers=sent),
            client.get("/api/v1/nothing-here", headers=sent),
            client.get("/api/v1/organisations?limit=1", headers={**auth("finance"), **sent}),
        ):
            assert response.headers["Content-Language"] == language
            assert response.headers["Vary"] == "Accept-Language"


def test_a_file_is_not_negotiated(client, auth):
    workbook = client.get(
        "/api/v1/budget-items?format=xlsx", headers={**auth("finance"), "Accept-Language": "en"}
    )
    assert workbook.status_code == 200, workbook.text
    assert "Content-Language" not in workbook.headers
    assert "Accept-Language" not in workbook.headers.get("Vary", "")


def test_our_own_errors_speak_chinese_too(client, flow):
    body = {
        "fiscal_year": 2027,
        "organisation_id": flow.org_id("201"),
        "name": "教师\x01培训",
        "kind": "project",
        "requested_amount": "1200000.00",
    }
    control = client.post(ITEMS, json=body, headers=flow.auth("department")).json()
    assert control["errors"] == [
        {"field": "body.name", "code": "control_character", "message": "此处不允许控制字符"}
    ]
    item = flow.submitted()
    returned = client.post(
        f"{ITEMS}/{item['id']}/return",
        json={"reason": "缺\x00材料", "version": item["version"]},
        headers=flow.auth("finance"),
    ).json()
    assert returned["errors"][0]["message"] == "此处不允许控制字符（可含制表符与换行）"


class _Everything(RequestModel):
    short: str = Field(min_length=2)
    long: str = Field(max_length=2)
    pattern: str = Field(pattern=r"^\d+$")
    few: list[int] = Field(min_length=2)
    many: list[int] = Field(max_length=1)
    gt: int = Field(gt=1)
    ge: int = Field(ge=1)
    lt: int = Field(lt=1)
    le: int = Field(le=1)
    multiple: int = Field(multiple_of=5)
    digits: Decimal = Field(max_digits=3)
    places: Decimal = Field(decimal_places=1)
    kind: Literal["a", "b"]
    number: int
    flag: bool
    when: datetime
    text: Text
    payload: Json[Any]
    checked: Annotated[int, Field(strict=True)]


BAD = {
    "short": "x",
    "long": "xyz",
    "pattern": "a",
    "few": [1],
    "many": [1, 2],
    "gt": 0,
    "ge": 0,
    "lt": 2,
    "le": 2,
    "multiple": 3,
    "digits": "1234",
    "places": "1.25",
    "kind": "c",
    "number": "one",
    "flag": "perhaps",
    "when": "yesterday",
    "text": 5,
    "payload": "{bad",
    "checked": "1",
    "unknown": 1,
}


def test_every_pydantic_error_we_meet_has_a_filled_chinese_message():
    with pytest.raises(ValidationError) as raised:
        _Everything.model_validate(BAD)
    errors = raised.value.errors()
    assert len(errors) == len(BAD)  # each field's, and the unknown one
    for error in errors:
        assert error["type"] in _MESSAGES_ZH, error
        message = _message_zh(error)
        assert message != error["msg"] and "{" not in message, (error, message)
        for value in (error.get("ctx") or {}).values():
            if isinstance(value, int | Decimal | float) and not isinstance(value, bool):
                assert str(value) in message, (error, message)


class _Naive(RequestModel):
    when: datetime


def test_a_time_without_its_zone_is_refused_in_chinese():
    with pytest.raises(ValidationError) as raised:
        _Naive.model_validate({"when": "2026-01-01T00:00:00"})
    (error,) = raised.value.errors()
    assert _message_zh(error) == "须带时区，例如 2026-01-01T00:00:00+08:00"
