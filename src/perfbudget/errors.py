"""Domain errors: every refusal a service raises, with its status and stable code.
``api/problems.py`` translates them, in one place, to RFC 9457 problem+json."""

from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal the domain explains: a stable code and a message in zh-CN and en."""

    status_code: ClassVar[int] = 400

    def __init__(
        self,
        code: str,
        en: str,
        zh: str,
        *,
        headers: dict[str, str] | None = None,
        persist: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {en}")
        self.code = code
        self.en = en
        self.zh = zh
        self.headers = headers or {}
        # persist: commit what the request recorded (audit, failed-login count) despite refusing
        self.persist = persist
        self.extra = extra or {}


class Unauthorized(DomainError):
    status_code = 401

    def __init__(self, code: str, en: str, zh: str, **kwargs: Any) -> None:
        headers = {"WWW-Authenticate": "Bearer", **kwargs.pop("headers", {})}
        super().__init__(code, en, zh, headers=headers, **kwargs)


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class RuleViolation(Conflict):
    """A business rule refuses the request (cite the DOMAIN clause in the message)."""


class Unprocessable(DomainError):
    status_code = 422


class PayloadTooLarge(DomainError):
    status_code = 413


class PreconditionRequired(DomainError):
    status_code = 428


class TooManyRequests(DomainError):
    status_code = 429


def not_found(entity_en: str, entity_zh: str) -> NotFound:
    return NotFound("NOT_FOUND", f"{entity_en} not found.", f"未找到该{entity_zh}。")


def version_conflict(current: int | None = None) -> Conflict:
    suffix_en = f" (current version {current})" if current is not None else ""
    suffix_zh = f"（当前版本 {current}）" if current is not None else ""
    return Conflict(
        "VERSION_CONFLICT",
        f"The record was changed by someone else{suffix_en}; reload it and try again.",
        f"记录已被他人修改{suffix_zh}，请刷新后重试。",
        extra={"current_version": current} if current is not None else None,
    )
