"""Organisation tree rules: departments at the top, units below at any depth."""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from perfbudget.audit import service as audit
from perfbudget.errors import Conflict, RuleViolation, not_found
from perfbudget.orgs import repository
from perfbudget.orgs.models import Organisation, OrganisationKind
from perfbudget.orgs.schemas import (
    OrganisationCreate,
    OrganisationFilter,
    OrganisationRead,
    OrganisationUpdate,
)
from perfbudget.pagination import Page, page_of
from perfbudget.principal import Actor
from perfbudget.versioning import check_version


def get_organisation(session: Session, actor: Actor, org_id: int) -> Organisation:
    org = repository.get(session, actor, org_id)
    if org is None:
        raise not_found("Organisation", "组织机构")
    return org


def visible_by_id(
    session: Session, actor: Actor, org_ids: Sequence[int]
) -> dict[int, Organisation]:
    """For other stages: the organisations among ``org_ids`` the actor may see."""
    return repository.visible_by_id(session, actor, org_ids)


def _valid_parent(
    session: Session, kind: OrganisationKind, parent_id: int | None
) -> Organisation | None:
    if kind is not OrganisationKind.unit:
        if parent_id is not None:
            raise RuleViolation(
                "ORGANISATION_PARENT_NOT_ALLOWED",
                f"A {kind.value} stands at the top of the tree and has no parent.",
                f"{kind.label_zh}为顶级机构，不能设置上级。",
            )
        return None
    parent = repository.get_unscoped(session, parent_id) if parent_id is not None else None
    if parent is None or parent.kind not in (OrganisationKind.department, OrganisationKind.unit):
        raise RuleViolation(
            "ORGANISATION_PARENT_REQUIRED",
            "A subordinate unit needs an existing department or unit as its parent (S3).",
            "所属单位须隶属于已存在的部门或单位（S3）。",
        )
    if not parent.is_active:
        raise RuleViolation(
            "ORGANISATION_PARENT_INACTIVE",
            "The parent organisation is deactivated.",
            "上级机构已停用。",
        )
    return parent


def create_organisation(session: Session, actor: Actor, data: OrganisationCreate) -> Organisation:
    if repository.get_by_code(session, data.code) is not None:
        raise Conflict(
            "ORGANISATION_CODE_TAKEN",
            f"The code {data.code} is already used.",
            f"机构编码 {data.code} 已被使用。",
        )
    parent = _valid_parent(session, data.kind, data.parent_id)
    org = Organisation(
        code=data.code,
        name_zh=data.name_zh,
        name_en=data.name_en,
        kind=data.kind,
        parent_id=parent.id if parent else None,
    )
    session.add(org)
    session.flush()
    repository.set_path(session, org, f"{parent.path if parent else '/'}{org.id}/")
    audit.record_edit(session, actor, "created", org, None)
    return org


def update_organisation(
    session: Session,
    actor: Actor,
    org_id: int,
    data: OrganisationUpdate,
    expected_version: int | None,
) -> Organisation:
    org = get_organisation(session, actor, org_id)
    check_version(org.version, expected_version)
    before = audit.state(org)
    if data.name_zh is not None:
        org.name_zh = data.name_zh
    if "name_en" in data.model_fields_set:
        org.name_en = data.name_en
    if "parent_id" in data.model_fields_set and data.parent_id != org.parent_id:
        _move(session, org, data.parent_id)
    audit.record_edit(session, actor, "updated", org, before)
    return org


def _move(session: Session, org: Organisation, parent_id: int | None) -> None:
    parent = _valid_parent(session, org.kind, parent_id)
    if parent is not None and parent.path.startswith(org.path):
        raise RuleViolation(
            "ORGANISATION_CYCLE",
            "An organisation cannot be moved under itself or its own descendant.",
            "不能将机构移动到其自身或其下级机构之下。",
        )
    old_path = org.path
    new_path = f"{parent.path if parent else '/'}{org.id}/"
    org.parent_id = parent.id if parent else None
    org.path = new_path
    session.flush()
    repository.move_subtree(session, old_path, new_path)


def set_active(
    session: Session,
    actor: Actor,
    org_id: int,
    active: bool,
    expected_version: int | None,
) -> Organisation:
    org = get_organisation(session, actor, org_id)
    check_version(org.version, expected_version)
    if org.is_active == active:
        return org
    if not active and repository.count_active_children(session, org.id):
        raise RuleViolation(
            "ORGANISATION_HAS_ACTIVE_CHILDREN",
            "Deactivate the subordinate units first.",
            "请先停用其所属单位。",
        )
    if not active and repository.count_active_users(session, org.id):
        raise RuleViolation(
            "ORGANISATION_HAS_ACTIVE_USERS",
            "Disable or re-bind the organisation's user accounts first.",
            "请先停用或改绑该机构的用户账号。",
        )
    if active and org.parent_id is not None:
        parent = repository.get_unscoped(session, org.parent_id)
        if parent is not None and not parent.is_active:
            raise RuleViolation(
                "ORGANISATION_PARENT_INACTIVE",
                "Reactivate the parent organisation first.",
                "请先启用上级机构。",
            )
    before = audit.state(org)
    org.is_active = active
    audit.record_edit(session, actor, "activated" if active else "deactivated", org, before)
    return org


def list_organisations(
    session: Session, actor: Actor, filters: OrganisationFilter
) -> Page[OrganisationRead]:
    rows, total = repository.list_page(
        session, actor, filters, limit=filters.limit, offset=filters.offset
    )
    return page_of(OrganisationRead, rows, total, filters)
