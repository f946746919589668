"""A fuzzer over the committed contract: schemathesis sends every operation of
openapi/openapi.json requests generated from its schemas, valid and invalid, as finance and
as a department. No answer may be a server error, and every answer must be one the contract
describes: its status, its content type, its body's schema (a refusal's code among the
operation's listed codes) and its required headers.

Each operation runs in the ``client`` fixture's transaction, rolled back after it, so what
the fuzz writes (a decision, a user's password, a failed-login count) leaves with it. The
seed is fixed and generation derandomised: every run sends the same requests.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from tests.contract import CONTRACT, parameters

SEED = 20260512
EXAMPLES_PER_OPERATION = 20

# Values a client may send that a database or the model refuses: ids past the column's
# range, NUL and C0 controls. Every integer and string parameter and body field of the
# contract takes one of them now and then.
OUT_OF_RANGE = [2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**30]
HOSTILE_STRINGS = ["\x00", "名\x00称", "\x01", "\x08", "\x1b", "\x1f"]
# A timestamp as clients send it: in UTC, or (RFC 3339 aside, as Pydantic reads it) without
# its zone. Registered for the process; no other test generates from a schema.
schemathesis.openapi.format(
    "date-time", st.datetimes(timezones=st.none() | st.just(UTC)).map(datetime.isoformat)
)


def _fields(document: dict[str, Any], operation: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """The operation's path and query parameters and its body's fields (and the items of a
    list field), as schemathesis names them, with their schemas."""
    for parameter in parameters(operation, document):
        if parameter["in"] in ("path", "query"):
            yield f"{parameter['in']}.{parameter['name']}", parameter["schema"]
    for media in operation.get("requestBody", {}).get("content", {}).values():
        body = media["schema"]
        if "$ref" in body:
            body = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
        for name, field in body.get("properties", {}).items():
            yield f"body.{name}", field
            for branch in [field, *field.get("anyOf", [])]:
                if "items" in branch:
                    yield f"body.{name}[*]", branch["items"]


def hostile_bindings(document: dict[str, Any]) -> list[dict[str, Any]]:
    """For each operation, its integer and string fields bound to the hostile values."""
    operations = []
    for path_item in document["paths"].values():
        for operation in path_item.values():
            bindings = {}
            for key, schema in _fields(document, operation):
                types = {branch.get("type") for branch in [schema, *schema.get("anyOf", [])]}
                if "integer" in types:
                    bindings[key] = {"dictionary": "out-of-range", "probability": 0.15}
                elif "string" in types:
                    bindings[key] = {"dictionary": "hostile-strings", "probability": 0.15}
            if bindings:
                operations.append(
                    {"include-operation-id": operation["operationId"], "parameters": bindings}
                )
    return operations


CONFIG = {
    "seed": SEED,
    "dictionaries": {
        "out-of-range": {"values": OUT_OF_RANGE},
        "hostile-strings": {"values": HOSTILE_STRINGS},
    },
    "operations": hostile_bindings(CONTRACT),
    "generation": {
        "mode": "all",
        "max-examples": EXAMPLES_PER_OPERATION,
        "deterministic": True,
        "database": "none",
        # a failure reports the request that failed: shrinking each of many could take minutes
        "no-shrink": True,
    },
    # the coverage phase has no bound on its cases per operation; stateful links are not declared
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    "checks": {"enabled": False},
}

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
schema = schemathesis.openapi.from_dict(CONTRACT, config=SchemathesisConfig.from_dict(CONFIG))


@pytest.mark.parametrize("username", ["finance", "department"])
# an Idempotency-Key's claim joins the test's transaction, as the operation's writes do
@pytest.mark.usefixtures("idempotency_in_test_transaction")
@schema.parametrize()
# one transaction per operation, shared by its examples; and no health check fails a run:
# only a server error does
@settings(suppress_health_check=list(HealthCheck))
def test_every_answer_is_in_the_contract(
    case: schemathesis.Case,
    username: str,
    app: FastAPI,
    client: TestClient,  # its session override keeps the requests in the test's transaction
    auth: Callable[[str], dict[str, str]],
) -> None:
    transport = {"app": app, "headers": auth(username)}
    response = case.call(**transport)
    case.validate_response(response, checks=CHECKS, transport_kwargs=transport)
