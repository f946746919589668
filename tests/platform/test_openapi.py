"""The committed contract is current, and made for client generators."""

import re

from perfbudget.cli import OPENAPI_PATH, openapi_document


def test_committed_openapi_is_current():
    assert OPENAPI_PATH.read_text(encoding="utf-8") == openapi_document(), (
        "openapi/openapi.json is stale: run `perfbudget openapi export`"
    )


def test_operation_ids_are_stable_snake_case_and_unique(app):
    operations = [
        operation for path in app.openapi()["paths"].values() for operation in path.values()
    ]
    ids = [operation["operationId"] for operation in operations]
    assert len(ids) == len(set(ids))
    for operation in operations:
        assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", operation["operationId"]), operation
        assert operation["tags"], operation["operationId"]
        assert operation["summary"] == operation["description"].splitlines()[0]


def test_tags_are_declared_with_descriptions(app):
    document = app.openapi()
    declared = {tag["name"] for tag in document["tags"]}
    used = {
        tag
        for path in document["paths"].values()
        for operation in path.values()
        for tag in operation["tags"]
    }
    assert used <= declared


def test_password_flow_is_declared_for_the_authorize_button(app):
    schemes = app.openapi()["components"]["securitySchemes"]
    (scheme,) = schemes.values()
    assert scheme["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
