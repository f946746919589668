"""Assertions on RFC 9457 problem+json answers, shared by the domain test packages."""

from typing import Any

import httpx

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is problem+json with this status and stable code; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert PROBLEM_KEYS <= body.keys(), body
    assert body["status"] == status
    assert body["code"] == code, body
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    return body


def invalid_fields(response: httpx.Response) -> set[str]:
    """The fields a 422 VALIDATION_FAILED answer names."""
    body = assert_problem(response, 422, "VALIDATION_FAILED")
    return {error["field"] for error in body["errors"]}
