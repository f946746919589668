"""Access tokens: only HS256 JWS we signed, for a live account at its current version."""

import base64
import hashlib
import json
import time
import uuid

import pytest
from jose import jwe, jwt

from perfbudget.auth.tokens import REQUIRED_CLAIMS
from perfbudget.demo.loader import DEMO_PASSWORD
from tests.auth.conftest import ME_URL, bearer
from tests.conftest import TEST_SECRET
from tests.problems import assert_problem

ISSUER = "perfbudget"
AUDIENCE = "perfbudget-api"
OMIT = object()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: dict) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def claims_for(user, **changes):
    """Claims exactly as the service issues them; ``name=OMIT`` leaves a claim out."""
    now = int(time.time())
    claims = {
        "sub": str(user.id),
        "role": user.role.value,
        "iat": now,
        "exp": now + 600,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "jti": uuid.uuid4().hex,
        "ver": user.token_version,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not OMIT}


def signed(claims, key=TEST_SECRET, algorithm="HS256"):
    return jwt.encode(claims, key, algorithm=algorithm)


def unsigned(claims):
    return f"{b64json({'alg': 'none', 'typ': 'JWT'})}.{b64json(claims)}."


def encrypted(claims):
    key = hashlib.sha256(TEST_SECRET.encode()).digest()
    return jwe.encrypt(json.dumps(claims), key, algorithm="dir", encryption="A256GCM").decode()


def tampered(token, **changes):
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"{header}.{b64json({**claims, **changes})}.{signature}"


def get_me(client, token):
    return client.get(ME_URL, headers=bearer(token))


def test_a_well_formed_token_is_accepted(client, user):
    # the control for every refusal below: only the one defect differs
    response = get_me(client, signed(claims_for(user)))

    assert response.status_code == 200, response.text
    assert response.json()["id"] == user.id


def test_issued_tokens_are_hs256_with_every_required_claim(login, user):
    token = login(user.username, DEMO_PASSWORD)

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, TEST_SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)
    assert set(claims) == set(REQUIRED_CLAIMS)
    assert claims["sub"] == str(user.id)
    assert claims["role"] == "finance"
    assert claims["ver"] == user.token_version


def test_each_token_has_its_own_jti(login, user):
    first = jwt.get_unverified_claims(login(user.username, DEMO_PASSWORD))
    second = jwt.get_unverified_claims(login(user.username, DEMO_PASSWORD))

    assert first["jti"] != second["jti"]


FORGERIES = {
    "alg none": lambda user: unsigned(claims_for(user)),
    "alg none, role admin": lambda user: unsigned(claims_for(user, role="admin")),
    "alg NONE with a signature": lambda user: (
        f"{b64json({'alg': 'NONE'})}.{signed(claims_for(user)).split('.', 1)[1]}"
    ),
    "wrong key": lambda user: signed(claims_for(user), key="not-the-server-secret-" * 3),
    "HS512 with the right key": lambda user: signed(claims_for(user), algorithm="HS512"),
    "expired": lambda user: signed(
        claims_for(user, iat=int(time.time()) - 3600, exp=int(time.time()) - 60)
    ),
    "missing exp": lambda user: signed(claims_for(user, exp=OMIT)),
    "wrong aud": lambda user: signed(claims_for(user, aud="another-api")),
    "missing aud": lambda user: signed(claims_for(user, aud=OMIT)),
    "wrong iss": lambda user: signed(claims_for(user, iss="someone-else")),
    "missing iss": lambda user: signed(claims_for(user, iss=OMIT)),
    "missing sub": lambda user: signed(claims_for(user, sub=OMIT)),
    "missing iat": lambda user: signed(claims_for(user, iat=OMIT)),
    "missing jti": lambda user: signed(claims_for(user, jti=OMIT)),
    "missing ver": lambda user: signed(claims_for(user, ver=OMIT)),
    "missing role": lambda user: signed(claims_for(user, role=OMIT)),
    "five-segment JWE": lambda user: encrypted(claims_for(user)),
    "tampered payload: role admin": lambda user: tampered(signed(claims_for(user)), role="admin"),
    "tampered payload: another user": lambda user: tampered(signed(claims_for(user)), sub="1"),
    "role that is not the user's": lambda user: signed(claims_for(user, role="admin")),
    "ver older than the user's": lambda user: signed(claims_for(user, ver=user.token_version - 1)),
    "ver newer than the user's": lambda user: signed(claims_for(user, ver=user.token_version + 1)),
    "sub not a number": lambda user: signed(claims_for(user, sub="finance")),
    "sub of no user": lambda user: signed(claims_for(user, sub="987654321")),
    "garbage": lambda user: "garbage",
    "three dots of garbage": lambda user: "abc.def.ghi",
    "empty segments": lambda user: "..",
    "header only": lambda user: signed(claims_for(user)).split(".")[0],
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_forged_or_stale_token_is_refused(client, user, forge):
    token = forge(user)
    assert token.count(".") in (0, 2, 4)

    assert_problem(get_me(client, token), 401, "INVALID_TOKEN")


def test_the_jwe_really_has_five_segments(user):
    assert encrypted(claims_for(user)).count(".") == 4


def test_a_disabled_account_is_refused_even_at_its_current_token_version(client, db, auth, user):
    # defence in depth: an account switched off outside the API keeps its token_version
    user.is_active = False
    db.flush()

    assert_problem(client.get(ME_URL, headers=auth(user.username)), 401, "INVALID_TOKEN")


def test_a_forged_token_is_refused_on_every_kind_of_route(client, user):
    token = unsigned(claims_for(user, role="admin"))

    for method, path in [
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/organisations"),
        ("POST", "/api/v1/auth/password"),
    ]:
        assert_problem(client.request(method, path, headers=bearer(token)), 401, "INVALID_TOKEN")


def test_a_revoked_demo_token_is_refused_after_a_password_change(client, auth):
    old_headers = auth("expert")
    changed = client.post(
        "/api/v1/auth/password",
        json={"current_password": DEMO_PASSWORD, "new_password": "N3w!Reviewer-Pass"},
        headers=old_headers,
    )
    assert changed.status_code == 200, changed.text

    assert_problem(client.get(ME_URL, headers=old_headers), 401, "INVALID_TOKEN")
    assert get_me(client, changed.json()["access_token"]).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic ZmluYW5jZTpQZXJmYnVkZ2V0IzIwMjY="},
    ],
    ids=["no header", "empty header", "scheme only", "basic auth"],
)
def test_no_token_is_not_authenticated(client, headers):
    response = client.get(ME_URL, headers=headers)

    assert_problem(response, 401, "NOT_AUTHENTICATED")
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        (None, "请先登录：请求头须携带 Authorization: Bearer <令牌>。"),
        ("zh-CN", "请先登录：请求头须携带 Authorization: Bearer <令牌>。"),
        ("en", "Sign in first: send 'Authorization: Bearer <token>'."),
        ("en-US,en;q=0.9", "Sign in first: send 'Authorization: Bearer <token>'."),
        ("fr, en;q=0.5", "Sign in first: send 'Authorization: Bearer <token>'."),
        ("en;q=0.4, zh-CN;q=0.8", "请先登录：请求头须携带 Authorization: Bearer <令牌>。"),
    ],
)
def test_detail_follows_accept_language(client, accept_language, expected):
    headers = {"Accept-Language": accept_language} if accept_language else {}

    body = assert_problem(client.get(ME_URL, headers=headers), 401, "NOT_AUTHENTICATED")

    assert body["detail"] == expected


def test_invalid_token_detail_follows_accept_language(client):
    english = client.get(ME_URL, headers={**bearer("garbage"), "Accept-Language": "en"})
    chinese = client.get(ME_URL, headers=bearer("garbage"))

    assert assert_problem(english, 401, "INVALID_TOKEN")["detail"].startswith(
        "The access token is invalid"
    )
    assert assert_problem(chinese, 401, "INVALID_TOKEN")["detail"].startswith("访问令牌无效")
