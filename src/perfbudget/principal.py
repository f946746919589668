"""Who is acting, and from where: passed explicitly into every service that writes. A core
module: the batch machinery and the request's transaction name the actor too."""

from dataclasses import dataclass

from perfbudget.enums import LabeledEnum


class Role(LabeledEnum):
    __labels__ = {
        "admin": ("系统管理员", "System administrator"),
        "finance": ("财政部门", "Finance bureau"),
        "department": ("部门单位", "Department / unit"),
        "expert": ("评审专家", "Expert reviewer"),
        "third_party": ("第三方机构", "Third-party agency"),
        "investment": ("投资主管部门", "Investment authority"),
        "oversight": ("人大 / 纪检监察", "People's Congress / discipline inspection"),
    }
    admin = "admin"
    finance = "finance"
    department = "department"
    expert = "expert"
    third_party = "third_party"
    investment = "investment"
    oversight = "oversight"


@dataclass(frozen=True)
class RequestMeta:
    request_id: str | None = None
    client_address: str | None = None


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str | None
    role: Role | None
    organisation_id: int | None
    # "/1/7/" for a department user: the subtree it may see; None for county-wide roles
    scope_path: str | None
    meta: RequestMeta

    @classmethod
    def anonymous(cls, meta: RequestMeta, username: str | None = None) -> "Actor":
        return cls(None, username, None, None, None, meta)

    @classmethod
    def system(cls, name: str = "system") -> "Actor":
        """For CLI commands (demo load, users create): recorded as such in the audit trail."""
        return cls(None, name, None, None, None, RequestMeta(client_address="cli"))
