"""The OpenAPI document as the server really answers: FastAPI's, completed once per app.

- every operation lists each refusal it can answer (``raises``) by status, as
  ``application/problem+json`` with the codes as an enum, instead of FastAPI's 422 alone;
- the headers every request may carry (``Accept-Language``, ``X-Request-ID``, an
  ``Idempotency-Key`` on authenticated POSTs) and every response does;
- files (workbooks, CSV, attachments) as binary strings with their ``Content-Disposition``;
- schema names a client generator turns into good type names.
"""

import re
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from perfbudget.api.conditional import ResponseETag
from perfbudget.api.problems import PROBLEM_JSON, database_busy
from perfbudget.audit import refusals
from perfbudget.contract.problems import PROBLEM_MODELS
from perfbudget.contract.raises import Refusal, refusals_of
from perfbudget.integration.idempotency import KEY_PATTERN, IdempotencyMiddleware

Document = dict[str, Any]
SCHEMAS = "#/components/schemas/"
WRITES = frozenset({"post", "put", "patch", "delete"})

HEADERS: Document = {
    "X-Request-ID": {
        "description": "The request's id (the client's own X-Request-ID if well formed); "
        "quote it when reporting a problem",
        "required": True,
        "schema": {"type": "string"},
    },
    "Content-Language": {
        "description": "The language of messages in the answer: zh-CN or en",
        "schema": {"type": "string", "enum": ["zh-CN", "en"]},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "WWW-Authenticate": {
        "description": "Bearer: sign in at /api/v1/auth/token",
        "schema": {"type": "string"},
    },
    "Idempotent-Replay": {
        "description": "true when the answer is the stored one of an earlier request with "
        "the same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "ETag": {
        "description": "The version of the object in the answer and a digest of it, e.g. "
        '"3.5f2c0e9a1b7d": send it as If-Match to write the object, as If-None-Match to read '
        "it again only if it changed",
        "schema": {"type": "string"},
    },
    "Content-Disposition": {
        "description": "A file answer's name (attachment; filename*=UTF-8''…)",
        "schema": {"type": "string"},
    },
}

PARAMETERS: Document = {
    "AcceptLanguage": {
        "name": "Accept-Language",
        "in": "header",
        "required": False,
        "description": "zh-CN (the default) or en: the language of `detail`, messages and labels",
        "schema": {"type": "string", "example": "zh-CN"},
    },
    "RequestId": {
        "name": "X-Request-ID",
        "in": "header",
        "required": False,
        "description": "Your id for the request (1–128 of `[A-Za-z0-9._:-]`), echoed in the "
        "answer and the logs; one is made up otherwise",
        "schema": {"type": "string"},
    },
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Send the same key to retry safely: the same body replays the first "
        "answer (Idempotent-Replay: true) for 24 hours, another body is 422 "
        "IDEMPOTENCY_KEY_REUSED, a retry while the first runs is 409 IDEMPOTENCY_IN_PROGRESS",
        "schema": {"type": "string", "pattern": KEY_PATTERN},
    },
}

# Names a generator would make awkward types of (FastAPI's module-qualified duplicates).
SCHEMA_NAMES = {
    "perfbudget__assessments__models__AssessmentStatus": "AssessmentStatus",
    "perfbudget__results__models__AssessmentStatus": "CircularStatus",
}
_BODY_SCHEMA = re.compile(r"^Body_(?P<operation>\w+)$")
_PAGE_SCHEMA = re.compile(r"^Page_(?P<item>\w+)_$")


def install_contract(app: FastAPI, routes: Iterable[APIRoute]) -> None:
    """``app.openapi()`` answers the completed document (built once, on first use)."""
    routes = tuple(routes)

    completed: list[Document] = []

    def openapi() -> Document:
        if not completed:
            document = FastAPI.openapi(app)
            complete(document, routes)
            completed.append(document)
        return completed[0]

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: Document, routes: Iterable[APIRoute]) -> None:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for model in PROBLEM_MODELS:
        found = model.model_json_schema(ref_template=SCHEMAS + "{model}", mode="serialization")
        schemas.update(found.pop("$defs", {}))
        schemas[model.__name__] = found
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    components["headers"] = HEADERS
    components["parameters"] = PARAMETERS
    everywhere = refusals_of([database_busy])
    posted = refusals_of([IdempotencyMiddleware.__call__])
    written = refusals_of([refusals.on_refusal])
    for route in routes:
        if not route.include_in_schema:
            continue
        for method in sorted(route.methods or ()):
            operation = document["paths"][route.path_format][method.lower()]
            answers = refusals_of(_callables(route)) | everywhere
            answers |= _generic(route, operation)
            if method.lower() in WRITES:
                answers |= written
            if method == "POST" and operation.get("security"):
                answers |= posted
                _add_parameter(operation, "IdempotencyKey")
            _add_parameter(operation, "AcceptLanguage")
            _add_parameter(operation, "RequestId")
            tagged = any(
                isinstance(call, type) and issubclass(call, ResponseETag)
                for call in _callables(route)
            )
            _describe_answers(operation, answers, idempotent=method == "POST", tagged=tagged)
    _name_schemas(document)


def _callables(route: APIRoute) -> Iterator[Callable[..., Any]]:
    yield route.endpoint
    stack: list[Dependant] = [route.dependant]
    while stack:
        dependant = stack.pop()
        if dependant.call is not None:
            yield dependant.call
        stack.extend(dependant.dependencies)


def _generic(route: APIRoute, operation: Document) -> set[Refusal]:
    """What the framework answers before our code runs."""
    found: set[Refusal] = set()
    if operation.get("parameters") or operation.get("requestBody"):
        found.add((422, "VALIDATION_FAILED"))
    if "{" in route.path_format:
        found.add((404, "NOT_FOUND"))  # api.problems._names_nothing: an id no row could have
    if operation.get("requestBody"):
        found.add((413, "PAYLOAD_TOO_LARGE"))  # middleware.RequestContextMiddleware
        found.add((400, "BAD_REQUEST"))  # a body that cannot be read as its media type
    return found


def _add_parameter(operation: Document, name: str) -> None:
    operation.setdefault("parameters", []).append({"$ref": f"#/components/parameters/{name}"})


def _header(name: str) -> Document:
    return {"$ref": f"#/components/headers/{name}"}


def _describe_answers(
    operation: Document, found: set[Refusal], *, idempotent: bool, tagged: bool
) -> None:
    responses = operation["responses"]
    for status_text, response in responses.items():
        headers = response.setdefault("headers", {})
        headers.setdefault("X-Request-ID", _header("X-Request-ID"))
        headers.setdefault("Content-Language", _header("Content-Language"))
        status = int(status_text)
        if idempotent and 200 <= status < 300:
            headers.setdefault("Idempotent-Replay", _header("Idempotent-Replay"))
        if tagged and 200 <= status < 300:
            headers.setdefault("ETag", _header("ETag"))
        for media_type, media in response.get("content", {}).items():
            if "json" not in media_type and not media.get("schema"):
                media["schema"] = {"type": "string", "format": "binary"}
                headers.setdefault("Content-Disposition", _header("Content-Disposition"))
    by_status: dict[int, set[str]] = {}
    for status, code in found:
        by_status.setdefault(status, set()).add(code)
    for status in sorted(by_status):
        codes = sorted(by_status[status])
        model = "ValidationProblem" if status == 422 else "Problem"
        headers = {"X-Request-ID": _header("X-Request-ID")}
        headers["Content-Language"] = _header("Content-Language")
        if status in (429, 503):
            headers["Retry-After"] = _header("Retry-After")
        if status == 401:
            headers["WWW-Authenticate"] = _header("WWW-Authenticate")
        listed = ", ".join(f"`{code}`" for code in codes)
        responses[str(status)] = {
            "description": f"{HTTPStatus(status).phrase}: {listed}",
            "headers": headers,
            "content": {
                PROBLEM_JSON: {
                    "schema": {
                        "allOf": [{"$ref": SCHEMAS + model}],
                        "properties": {"code": {"type": "string", "enum": codes}},
                    }
                }
            },
        }
    operation["responses"] = dict(sorted(responses.items()))


DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"


def _decimals_as_strings(node: Any) -> None:
    """Pydantic describes a request's decimal as ``number | string`` and an answer's as a
    string: the contract says string (with its bounds) both ways, as ``schemas.Money``
    does. JSON numbers are still accepted."""
    if isinstance(node, dict):
        branches = node.get("anyOf")
        if isinstance(branches, list):
            numbers = [b for b in branches if b.get("type") == "number"]
            strings = [b for b in branches if b.get("type") == "string" and len(b) == 1]
            if numbers and strings:
                number = numbers[0]
                bounds = [
                    f"{word} {number[key]:g}"
                    for key, word in (("minimum", "at least"), ("maximum", "at most"))
                    if key in number
                ]
                decimal = {"type": "string", "pattern": DECIMAL_PATTERN}
                if bounds:
                    decimal["description"] = "A decimal string, " + " and ".join(bounds)
                rest = [b for b in branches if b is not number and b is not strings[0]]
                if rest:
                    node["anyOf"] = [decimal, *rest]
                else:
                    del node["anyOf"]
                    node.update(decimal)
        for value in node.values():
            _decimals_as_strings(value)
    elif isinstance(node, list):
        for value in node:
            _decimals_as_strings(value)


def _one_schema_both_ways(schemas: Document) -> dict[str, str]:
    """``Band-Input`` / ``Band-Output`` become ``Band`` when they differ only in which
    fields an answer always carries (the request's form is kept)."""
    renames = {}
    for name in list(schemas):
        base = name.removesuffix("-Input")
        output = schemas.get(base + "-Output")
        if name.endswith("-Input") and output and _shape(schemas[name]) == _shape(output):
            renames[name] = base
            renames[base + "-Output"] = base
    return renames


def _shape(node: Any) -> Any:
    """A schema without what differs between a request's and an answer's form of one model:
    titles, required lists, and a decimal's pattern and bounds (an answer's is a string)."""
    if isinstance(node, dict):
        ignored = {"title", "required", "description"}
        if node.get("pattern") == DECIMAL_PATTERN:
            ignored.add("pattern")
        return {key: _shape(value) for key, value in node.items() if key not in ignored}
    if isinstance(node, list):
        return [_shape(value) for value in node]
    return node


def _name_schemas(document: Document) -> None:
    schemas = document["components"]["schemas"]
    _decimals_as_strings(schemas)
    # a pair may differ only by the pairs it refers to: merge until nothing changes
    while renames := _one_schema_both_ways(schemas):
        _rename(document, renames)
    renames = dict(SCHEMA_NAMES)
    for name in schemas:
        match = _BODY_SCHEMA.match(name)
        if match:
            words = match["operation"].split("_")
            renames[name] = "".join(word.capitalize() for word in words) + "Form"
        match = _PAGE_SCHEMA.match(name)
        if match:
            renames[name] = match["item"] + "Page"
    _rename(document, renames)
    document["components"]["schemas"] = dict(sorted(schemas.items()))


def _rename(document: Document, renames: dict[str, str]) -> None:
    schemas = document["components"]["schemas"]
    for old, new in renames.items():
        if old in schemas:
            schema = schemas.pop(old)
            if not old.endswith("-Output"):
                schemas[new] = schema
                schema["title"] = new
    refs = {SCHEMAS + old: SCHEMAS + new for old, new in renames.items()}
    _replace_refs(document, refs)


def _replace_refs(node: Any, refs: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in refs:
            node["$ref"] = refs[ref]
        for value in node.values():
            _replace_refs(value, refs)
    elif isinstance(node, list):
        for value in node:
            _replace_refs(value, refs)
