"""The one place that decides what each role may do. Deny by default."""

from perfbudget.enums import LabeledEnum
from perfbudget.users.models import Role


class Permission(LabeledEnum):
    __labels__ = {
        "org:read": ("查看组织机构", "Read organisations"),
        "org:write": ("维护组织机构", "Maintain organisations"),
        "user:read": ("查看用户", "Read users"),
        "user:write": ("维护用户", "Maintain users"),
        "fiscal_year:read": ("查看预算年度", "Read fiscal years"),
        "fiscal_year:write": (
            "维护预算年度及规则参数",
            "Maintain fiscal years and rule parameters",
        ),
        "audit:read": ("查看审计日志", "Read the audit trail"),
    }
    org_read = "org:read"
    org_write = "org:write"
    user_read = "user:read"
    user_write = "user:write"
    fiscal_year_read = "fiscal_year:read"
    fiscal_year_write = "fiscal_year:write"
    audit_read = "audit:read"


_READ_COMMON = {Permission.org_read, Permission.fiscal_year_read}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # admin keeps users and organisations; no finance decisions
    Role.admin: frozenset(
        {*_READ_COMMON, Permission.org_write, Permission.user_read, Permission.user_write}
    ),
    Role.finance: frozenset(
        {
            *_READ_COMMON,
            Permission.user_read,
            Permission.fiscal_year_write,
            Permission.audit_read,
        }
    ),
    Role.department: frozenset(_READ_COMMON),
    Role.expert: frozenset(_READ_COMMON),
    Role.third_party: frozenset(_READ_COMMON),
    Role.investment: frozenset(_READ_COMMON),
    # 人大 / 纪检: read everything, change nothing
    Role.oversight: frozenset({*_READ_COMMON, Permission.user_read, Permission.audit_read}),
}


def allows(role: Role | None, permission: Permission) -> bool:
    return role is not None and permission in ROLE_PERMISSIONS.get(role, frozenset())


def is_scoped_to_organisation(role: Role) -> bool:
    """Department users see and act on their organisation's subtree only."""
    return role is Role.department
