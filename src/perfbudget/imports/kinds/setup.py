"""Set-up uploads: a department's indicator library; organisations and users (admin)."""

from collections.abc import Sequence
from typing import Any

from pydantic import Field, PrivateAttr
from sqlalchemy.orm import Session

from perfbudget.auth import passwords
from perfbudget.auth.policy import Permission
from perfbudget.bulk import Batch
from perfbudget.errors import NotFound
from perfbudget.imports.kinds.base import (
    Column,
    ImportKind,
    Kind,
    Options,
    Requests,
    Row,
    RowErrors,
    per_row,
)
from perfbudget.indicators import batch as library_batch
from perfbudget.indicators.models import Direction, IndicatorCategory
from perfbudget.indicators.schemas import LibraryIndicatorCreate
from perfbudget.orgs import repository as org_repository
from perfbudget.orgs import service as org_service
from perfbudget.orgs.models import Organisation, OrganisationKind
from perfbudget.orgs.schemas import OrganisationCreate
from perfbudget.principal import Actor, Role
from perfbudget.users import service as user_service
from perfbudget.users.models import User
from perfbudget.users.schemas import UserCreate

# --- a department's indicator library (S2.2.1) ------------------------------------------


def _indicators(rows: Sequence[Row], options: Options, errors: RowErrors) -> Requests:
    return per_row(rows, library_batch.Entry)


def _check_library(
    session: Session, actor: Actor, entries: Sequence[Any], options: Options, lock: bool
) -> Batch[Any]:
    return library_batch.plan(session, actor, entries)


INDICATOR_LIBRARY = Kind(
    ImportKind.indicator_library,
    "部门绩效指标库",
    Permission.library_write,
    LibraryIndicatorCreate,
    (
        Column("organisation_id", "机构编号", 1, required=True),
        Column("category", "指标类别", "数量指标", required=True, choices=IndicatorCategory),
        Column("name", "指标名称", "培训教师人数", required=True),
        Column("direction", "指标方向", "≥（正向）", required=True, choices=Direction),
        Column("unit", "计量单位", "人次"),
        Column("description", "指标说明", ""),
        Column("sector", "行业领域", "教育"),
    ),
    {
        "NOT_FOUND": "organisation_id",
        "ORGANISATION_UNAVAILABLE": "organisation_id",
        "INDICATOR_UNIT_REQUIRED": "unit",
        "INDICATOR_CATEGORY_NOT_ALLOWED": "category",
        "INDICATOR_NAME_TAKEN": "name",
    },
    requests=_indicators,
    check=_check_library,
)


# --- organisations and users (admin): parents and bindings by code, so one file can hold
# a department and its units, or the users of organisations created just before ----------


def _organisation_by_code(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    organisation = org_repository.get_by_code(session, code)
    if organisation is None:
        raise NotFound(
            "CODE_NOT_FOUND",
            f"No organisation has the code {code}.",
            f"未找到编码为 {code} 的机构。",
        )
    return organisation.id


class OrganisationRow(OrganisationCreate):
    parent_code: str | None = Field(default=None, max_length=32)


def _create_organisation(session: Session, actor: Actor, row: OrganisationRow) -> Organisation:
    data = row.model_dump(exclude={"parent_code"})
    if row.parent_code is not None:
        data["parent_id"] = _organisation_by_code(session, row.parent_code)
    return org_service.create_organisation(session, actor, OrganisationCreate.model_validate(data))


ORGANISATIONS = Kind(
    ImportKind.organisations,
    "组织机构",
    Permission.org_write,
    OrganisationRow,
    (
        Column("code", "机构编码", "201003", required=True),
        Column("name_zh", "机构名称", "县教育局教研室", required=True),
        Column("name_en", "英文名称", ""),
        Column("kind", "机构类型", "所属单位", required=True, choices=OrganisationKind),
        Column("parent_code", "上级机构编码", "201"),
        Column("parent_id", "上级机构编号", ""),
    ),
    {
        "ORGANISATION_CODE_TAKEN": "code",
        "ORGANISATION_PARENT_NOT_ALLOWED": "parent_code",
        "ORGANISATION_PARENT_REQUIRED": "parent_code",
        "ORGANISATION_PARENT_INACTIVE": "parent_code",
        "CODE_NOT_FOUND": "parent_code",
    },
    apply=_create_organisation,
    entity="organisation",
)


class UserRow(UserCreate):
    organisation_code: str | None = Field(default=None, max_length=32)
    # hashed while the file is read, so that Argon2 never runs inside the write transaction
    _password_hash: str | None = PrivateAttr(default=None)


def _hash_password(row: UserRow) -> UserRow:
    row._password_hash = passwords.hash_password(row.initial_password)
    return row


def _create_user(session: Session, actor: Actor, row: UserRow) -> User:
    data = row.model_dump(exclude={"organisation_code"})
    if row.organisation_code is not None:
        data["organisation_id"] = _organisation_by_code(session, row.organisation_code)
    return user_service.create_user(
        session, actor, UserCreate.model_validate(data), password_hash=row._password_hash
    )


USERS = Kind(
    ImportKind.users,
    "用户",
    Permission.user_write,
    UserRow,
    (
        Column("username", "用户名", "jyj_zhang", required=True),
        Column("display_name", "姓名", "张老师", required=True),
        Column("role", "角色", "部门单位", required=True, choices=Role),
        Column("organisation_code", "机构编码", "201"),
        Column("organisation_id", "机构编号", ""),
        Column("initial_password", "初始密码", "Change#Me2027", required=True),
    ),
    {
        "USERNAME_TAKEN": "username",
        "ORGANISATION_UNAVAILABLE": "organisation_code",
        "ORGANISATION_REQUIRED": "organisation_code",
        "CODE_NOT_FOUND": "organisation_code",
    },
    apply=_create_user,
    entity="user",
    prepare=_hash_password,
)
