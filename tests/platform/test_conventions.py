"""API conventions: problem+json everywhere, languages, limits, request ids, enums, health."""

from fastapi import APIRouter
from fastapi.testclient import TestClient

from perfbudget.enums import registered_enums
from tests.problems import assert_problem


def test_routing_404_and_405_are_problems(client, auth):
    assert_problem(client.get("/api/v1/nothing-here"), 404, "NOT_FOUND")
    assert_problem(
        client.delete("/api/v1/organisations", headers=auth("admin")), 405, "METHOD_NOT_ALLOWED"
    )


def test_validation_errors_list_every_field(client, auth):
    response = client.post(
        "/api/v1/organisations", json={"code": "", "kind": "planet"}, headers=auth("admin")
    )
    body = assert_problem(response, 422, "VALIDATION_FAILED")
    fields = {error["field"] for error in body["errors"]}
    assert {"body.code", "body.kind", "body.name_zh"} <= fields


def test_malformed_json_is_a_problem(client, auth):
    response = client.post(
        "/api/v1/organisations",
        content=b"{not json",
        headers={**auth("admin"), "content-type": "application/json"},
    )
    assert_problem(response, 422, "VALIDATION_FAILED")


def test_detail_follows_accept_language(client):
    zh = client.get("/api/v1/auth/me")
    en = client.get("/api/v1/auth/me", headers={"Accept-Language": "en-GB,en;q=0.9"})
    prefer_zh = client.get(
        "/api/v1/auth/me", headers={"Accept-Language": "fr, zh-CN;q=0.8, en;q=0.5"}
    )
    assert "登录" in zh.json()["detail"]
    assert "Sign in" in en.json()["detail"]
    assert prefer_zh.json()["detail"] == zh.json()["detail"]
    assert zh.json()["title"] == "未认证" and en.json()["title"] == "Unauthorized"


def test_unhandled_errors_leak_nothing(app, db, auth, engine):
    """A crash answers 500 problem+json with the request id, no trace, no SQL."""
    router = APIRouter()

    @router.get("/api/v1/test-crash")
    def crash() -> None:
        raise RuntimeError("SELECT secret FROM vault -- Traceback")

    app.include_router(router)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/api/v1/test-crash", headers={"X-Request-ID": "req-500"})
    finally:
        app.router.routes.pop()
    body = assert_problem(response, 500, "INTERNAL_ERROR")
    assert body["request_id"] == "req-500"
    assert "SELECT" not in response.text and "Traceback" not in response.text


def test_limit_above_100_is_refused(client, auth):
    body = assert_problem(
        client.get("/api/v1/organisations?limit=101", headers=auth("finance")),
        422,
        "VALIDATION_FAILED",
    )
    assert body["errors"][0]["field"] == "query.limit"
    ok = client.get("/api/v1/organisations?limit=100&offset=2", headers=auth("finance")).json()
    assert (ok["limit"], ok["offset"]) == (100, 2)
    assert ok["total"] == len(ok["items"]) + 2


def test_unknown_query_parameters_are_refused(client, auth):
    assert_problem(
        client.get("/api/v1/organisations?stauts=active", headers=auth("finance")),
        422,
        "VALIDATION_FAILED",
    )


def test_json_body_over_1_mib_is_413(client, auth):
    big = '{"code": "' + "x" * (1024 * 1024) + '"}'
    declared = client.post(
        "/api/v1/organisations",
        content=big,
        headers={**auth("admin"), "content-type": "application/json"},
    )
    body = assert_problem(declared, 413, "PAYLOAD_TOO_LARGE")
    assert body["limit_bytes"] == 1024 * 1024

    def chunks():
        yield b'{"code": "'
        for _ in range(20):
            yield b"y" * 65536
        yield b'"}'

    streamed = client.post(
        "/api/v1/organisations",
        content=chunks(),
        headers={**auth("admin"), "content-type": "application/json"},
    )
    assert_problem(streamed, 413, "PAYLOAD_TOO_LARGE")


def test_request_id_is_echoed_or_generated(client):
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["X-Request-ID"] not in ("", "bad id with spaces")
    assert len(generated.headers["X-Request-ID"]) == 32


def test_every_enum_has_both_labels(client):
    body = client.get("/api/v1/meta/enums").json()
    assert set(body) == set(registered_enums())
    assert {"role", "organisation_kind", "fiscal_year_status", "permission"} <= set(body)
    for name, members in body.items():
        values = {member["value"] for member in members}
        assert values == {member.value for member in registered_enums()[name]}
        for member in members:
            assert member["zh"] and member["en"], (name, member)
    roles = {m["value"]: m["zh"] for m in body["role"]}
    assert roles["finance"] == "财政部门"


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["migrations_current"] is True
    assert ready.json()["revision"] == ready.json()["head"]


def test_readyz_is_503_when_the_schema_is_behind(client, monkeypatch, tmp_path):
    from perfbudget.db import make_engine
    from perfbudget.health import service

    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setattr(service, "get_engine", lambda: empty)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations_current"] is False
    assert response.json()["database"] is True


def test_docs_work_without_internet(client):
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "cdn." not in html and "https://" not in html.replace("https://perfbudget", "")
        assert "/static/docs/" in html
    assert client.get("/static/docs/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/docs/redoc.standalone.js").status_code == 200
    assert "oauth2-redirect" in client.get("/docs").text


def test_times_are_utc_and_versions_exposed(client, auth):
    org = client.get("/api/v1/organisations?limit=1", headers=auth("finance")).json()["items"][0]
    assert org["created_at"].endswith(("Z", "+00:00"))
    assert org["version"] >= 1


def test_cors_for_configured_front_ends(monkeypatch, engine):
    from perfbudget.config import Settings
    from perfbudget.main import create_app

    settings = Settings(cors_origins="https://spa.county.gov.cn,https://bi.county.gov.cn")
    assert settings.cors_origins == ["https://spa.county.gov.cn", "https://bi.county.gov.cn"]
    with TestClient(create_app(settings)) as client:
        preflight = client.options(
            "/api/v1/organisations",
            headers={
                "Origin": "https://spa.county.gov.cn",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert preflight.headers["access-control-allow-origin"] == "https://spa.county.gov.cn"
        other = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
