"""Refusals as RFC 9457 problem+json: the one translation of domain errors, validation
errors, bare HTTP errors and database contention into answers."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from perfbudget.errors import DomainError, version_conflict
from perfbudget.i18n import counted, pick

logger = logging.getLogger("perfbudget.errors")
PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://perfbudget.org/problems/"

_TITLES_ZH = {
    400: "请求错误",
    401: "未认证",
    403: "无权限",
    404: "未找到",
    405: "方法不允许",
    409: "冲突",
    413: "请求体过大",
    415: "不支持的媒体类型",
    422: "数据校验失败",
    428: "缺少前置条件",
    429: "请求过多",
    500: "服务器内部错误",
    503: "服务不可用",
}


def problem_response(
    request: Request | None,
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    title = pick(_TITLES_ZH.get(status, HTTPStatus(status).phrase), HTTPStatus(status).phrase)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code.lower().replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    if extra:
        # extension members never overwrite the standard ones (RFC 9457 §3.2)
        body.update({key: value for key, value in extra.items() if key not in body})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def domain_problem(request: Request, exc: Exception) -> JSONResponse:
    """A domain refusal as problem+json (the handler, and middleware that answers itself)."""
    assert isinstance(exc, DomainError)
    return problem_response(
        request,
        exc.status_code,
        exc.code,
        pick(exc.zh, exc.en),
        headers=exc.headers,
        extra=exc.extra,
    )


def _names_nothing(error: Any) -> bool:
    """A path identifier (``…_id``, a fiscal year, a version number) that no row could
    have: beyond the column, below 1, not a number."""
    loc = error.get("loc", ())
    return (
        len(loc) == 2
        and loc[0] == "path"
        and (str(loc[1]).endswith("_id") or loc[1] in ("year", "number"))
        and error.get("type") in ("int_parsing", "greater_than_equal", "less_than_equal")
    )


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if any(_names_nothing(error) for error in exc.errors()):
        # a missing resource, as an id that is merely unused is
        return _http_error(request, StarletteHTTPException(404))
    errors = [
        {
            "field": ".".join(str(part) for part in err.get("loc", ())),
            "code": err.get("type", "invalid"),
            "message": pick(_message_zh(err), err.get("msg", "")),
        }
        for err in exc.errors()
    ]
    count = len(errors)
    return problem_response(
        request,
        422,
        "VALIDATION_FAILED",
        pick(
            f"请求数据校验失败，共 {count} 处错误。",
            f"The request failed validation ({counted(count, 'error')}).",
        ),
        extra={"errors": errors},
    )


_DATE = "应为 YYYY-MM-DD 格式的有效日期"
_DATETIME = "应为带时区的有效日期时间，例如 2026-01-01T00:00:00+08:00"
# Pydantic's error types in zh-CN, filled from the error's ctx; a type not here keeps
# Pydantic's English message.
_MESSAGES_ZH = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "JSON 格式错误：{error}",
    "json_type": "应为 JSON 文本",
    "string_type": "应为字符串",
    "string_unicode": "应为有效的 Unicode 字符串",
    "string_too_short": "长度不得少于 {min_length} 个字符",
    "string_too_long": "长度不得超过 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符合要求（{pattern}）",
    "too_short": "至少应有 {min_length} 项，实有 {actual_length} 项",
    "too_long": "至多可有 {max_length} 项，实有 {actual_length} 项",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_parsing_size": "整数超出可处理的范围",
    "int_from_float": "应为整数，不能带小数部分",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为有效的十进制数",
    "decimal_max_digits": "数字总位数不得超过 {max_digits} 位",
    "decimal_max_places": "小数位数不得超过 {decimal_places} 位",
    "decimal_whole_digits": "整数部分不得超过 {whole_digits} 位",
    "bool_type": "应为布尔值（true 或 false）",
    "bool_parsing": "应为布尔值（true 或 false）",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "不得小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "不得大于 {le}",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "enum": "应为以下取值之一：{expected}",
    "literal_error": "应为以下取值之一：{expected}",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "list_type": "应为数组",
    "set_type": "应为数组",
    "tuple_type": "应为数组",
    "url_type": "应为 URL 字符串",
    "url_parsing": "应为有效的 URL",
    "url_scheme": "URL 的协议应为 {expected_schemes}",
    "url_too_long": "URL 长度不得超过 {max_length} 个字符",
    "uuid_type": "应为 UUID",
    "uuid_parsing": "应为有效的 UUID",
    "value_error": "取值无效：{error}",
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": "应为日期，不能带有时间部分",
    "date_past": "应为过去的日期",
    "date_future": "应为将来的日期",
    "datetime_type": _DATETIME,
    "datetime_parsing": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "datetime_object_invalid": _DATETIME,
    "datetime_past": "应为过去的时间",
    "datetime_future": "应为将来的时间",
    "time_type": "应为有效的时间",
    "time_parsing": "应为有效的时间",
    "timezone_aware": "须带时区，例如 2026-01-01T00:00:00+08:00",
    "timezone_naive": "不应带时区",
    # our own (schemas.check_text)
    "control_character": "此处不允许控制字符",
}


def _message_zh(error: Any) -> str:
    """The error in zh-CN with its context filled in (「不得大于 100」), else Pydantic's."""
    template = _MESSAGES_ZH.get(error.get("type", ""))
    if template is None:
        return str(error.get("msg", ""))
    ctx = dict(error.get("ctx") or {})
    if "expected" in ctx:  # "'a', 'b' or 'c'"
        ctx["expected"] = str(ctx["expected"]).replace(" or ", ", ").replace(", ", "、")
    if isinstance(ctx.get("error"), Exception):
        ctx["error"] = str(ctx["error"])
    if error.get("type") == "control_character" and ctx.get("multi_line"):
        template += "（可含制表符与换行）"
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return str(error.get("msg", ""))


_HTTP_CODES = {
    400: ("BAD_REQUEST", "请求格式错误。", "The request is malformed."),
    404: ("NOT_FOUND", "请求的资源不存在。", "The requested resource does not exist."),
    405: ("METHOD_NOT_ALLOWED", "该资源不支持此请求方法。", "This method is not allowed here."),
    413: ("PAYLOAD_TOO_LARGE", "请求体过大。", "The request body is too large."),
    415: ("UNSUPPORTED_MEDIA_TYPE", "不支持的媒体类型。", "Unsupported media type."),
}


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str | None:
    """Every method a route answers at this path: Starlette's 405 names only the first
    route's (``allow: GET`` on a path that also takes POST)."""
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    ]
    return ", ".join(allowed) or None


def http_code(status: int) -> str:
    """The code a bare HTTP error (404 for an unknown path, 405 …) answers with."""
    return _HTTP_CODES.get(status, ("HTTP_" + str(status),))[0]


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 304:  # api.conditional.NotModified: no body
        return Response(status_code=304, headers=headers)
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    code, zh, en = _HTTP_CODES.get(
        exc.status_code, ("HTTP_" + str(exc.status_code), HTTPStatus(exc.status_code).phrase, "")
    )
    return problem_response(request, exc.status_code, code, pick(zh, en or zh), headers=headers)


def _stale_data(request: Request, exc: Exception) -> JSONResponse:
    return domain_problem(request, version_conflict())


def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("integrity error reached the handler: %s", exc.__class__.__name__)
    return problem_response(
        request,
        409,
        "INTEGRITY_CONFLICT",
        pick("数据与已有记录冲突。", "The data conflicts with existing records."),
    )


# SQLite: the write lock was not had within the busy timeout (SQLITE_BUSY, and its extended
# codes such as BUSY_SNAPSHOT; SQLITE_LOCKED). PostgreSQL: lock_timeout, a deadlock or a
# serialisation failure. Each passes if the client tries again in a moment.
_CONTENTION_SQLITE = ("SQLITE_BUSY", "SQLITE_LOCKED")
_CONTENTION_SQLSTATES = frozenset({"55P03", "40P01", "40001"})
RETRY_AFTER_SECONDS = 2


def is_contention(exc: OperationalError) -> bool:
    name = str(getattr(exc.orig, "sqlite_errorname", ""))
    return name.startswith(_CONTENTION_SQLITE) or (
        getattr(exc.orig, "sqlstate", None) in _CONTENTION_SQLSTATES
    )


def _operational_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OperationalError)
    if not is_contention(exc):
        return _unhandled(request, exc)
    return database_busy(request, exc)


def database_busy(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After: a lock, or a connection from the pool, was not had in time."""
    logger.warning("database busy: %s", getattr(exc, "orig", None) or exc)
    return problem_response(
        request,
        503,
        "DATABASE_BUSY",
        pick(
            "数据库正忙（其他写入尚未完成），请稍后重试。",
            "The database is busy with other writes; try again in a moment.",
        ),
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        extra={"retry_after": RETRY_AFTER_SECONDS},
    )


def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return problem_response(
        request,
        500,
        "INTERNAL_ERROR",
        pick(
            "服务器内部错误，请联系管理员并提供请求编号。",
            "Internal error; contact the administrator with the request id.",
        ),
    )


def refusal_of(exc: BaseException) -> tuple[int, str] | None:
    """The status and code a refused request is answered with; None for what is not a
    refusal (a server error, a busy database, a rate limit)."""
    if isinstance(exc, DomainError):
        status, code = exc.status_code, exc.code
    elif isinstance(exc, RequestValidationError):
        status, code = 422, "VALIDATION_FAILED"
    elif isinstance(exc, StaleDataError):
        status, code = 409, "VERSION_CONFLICT"
    elif isinstance(exc, IntegrityError):
        status, code = 409, "INTEGRITY_CONFLICT"
    elif isinstance(exc, StarletteHTTPException):
        status = exc.status_code
        code = http_code(status)
    else:
        return None
    return (status, code) if 400 <= status < 500 and status != 429 else None


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_problem)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StaleDataError, _stale_data)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _operational_error)
    app.add_exception_handler(PoolTimeout, database_busy)
    app.add_exception_handler(Exception, _unhandled)
