"""Argon2id hashing and the password policy (等保 level 3 / OWASP ASVS V2)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from perfbudget.config import get_settings
from perfbudget.errors import Unprocessable

MIN_LENGTH = 10
MIN_CLASSES = 3

_settings = get_settings()
_hasher = PasswordHasher(
    time_cost=_settings.password_hash_time_cost,
    memory_cost=_settings.password_hash_memory_kib,
    parallelism=_settings.password_hash_parallelism,
)
# Verified against when the username is unknown, so both cases cost the same time.
_DUMMY_HASH = _hasher.hash("perfbudget-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_policy(password: str, username: str) -> None:
    """At least 10 characters, three of lower/upper/digit/symbol, not containing the username."""
    problems_en: list[str] = []
    problems_zh: list[str] = []
    if len(password) < MIN_LENGTH:
        problems_en.append(f"at least {MIN_LENGTH} characters")
        problems_zh.append(f"长度至少 {MIN_LENGTH} 位")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < MIN_CLASSES:
        problems_en.append("three of: lower case, upper case, digit, symbol")
        problems_zh.append("须包含小写字母、大写字母、数字、符号中的至少三类")
    if username and username.lower() in password.lower():
        problems_en.append("must not contain the username")
        problems_zh.append("不得包含用户名")
    if problems_en:
        raise Unprocessable(
            "PASSWORD_POLICY",
            "The password does not meet the policy: " + "; ".join(problems_en) + ".",
            "密码不符合安全策略：" + "；".join(problems_zh) + "。",
        )
