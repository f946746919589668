"""Who is acting, and from where: passed explicitly into every service that writes."""

from dataclasses import dataclass

from perfbudget.users.models import Role


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
