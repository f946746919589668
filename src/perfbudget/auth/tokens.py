"""JWT access tokens. The only module that knows the JWT library (python-jose)."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jose import JWTError, jwt

from perfbudget.config import Settings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("sub", "role", "iat", "exp", "iss", "aud", "jti", "ver")


class InvalidToken(Exception):
    """The token is not one we issued, or no longer valid."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    role: str
    token_version: int
    jti: str


def issue(settings: Settings, *, user_id: int, role: str, token_version: int) -> tuple[str, int]:
    """Return (token, lifetime in seconds). Dated by the machine's clock, which python-jose
    checks expiry against: a token's life is physical time, not the county's calendar (the
    service's clock may be moved, as tests and the demo loader do)."""
    now = datetime.now(UTC)
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims = {
        "sub": str(user_id),
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "jti": uuid.uuid4().hex,
        "ver": token_version,
    }
    token = jwt.encode(claims, settings.signing_key(), algorithm=ALGORITHM)
    return token, int(lifetime.total_seconds())


def decode(settings: Settings, token: str) -> TokenClaims:
    if token.count(".") != 2:  # a JWE has five segments; we only accept signed JWS
        raise InvalidToken("not a compact JWS")
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("unexpected algorithm")
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.signing_key(),
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={
                "require_exp": True,
                "require_iat": True,
                "require_iss": True,
                "require_aud": True,
                "require_sub": True,
                "require_jti": True,
                "leeway": 0,
            },
        )
    except JWTError as exc:
        raise InvalidToken(str(exc)) from exc
    # python-jose skips the audience check when the claim is absent: check it ourselves.
    if claims.get("aud") != settings.jwt_audience or claims.get("iss") != settings.jwt_issuer:
        raise InvalidToken("wrong audience or issuer")
    missing = [name for name in REQUIRED_CLAIMS if name not in claims]
    if missing:
        raise InvalidToken(f"missing claims: {missing}")
    sub, ver = claims["sub"], claims["ver"]
    if not (isinstance(sub, str) and sub.isdigit() and len(sub) <= 18):
        raise InvalidToken("malformed subject")
    if not (isinstance(ver, int) and not isinstance(ver, bool) and 0 < ver < 2**31):
        raise InvalidToken("malformed token version")
    return TokenClaims(
        user_id=int(sub), role=str(claims["role"]), token_version=ver, jti=str(claims["jti"])
    )
