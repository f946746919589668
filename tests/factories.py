"""Plain make_<x>() functions that put rows in place through the service layer."""

import itertools

from sqlalchemy.orm import Session

from perfbudget.orgs import repository as org_repository
from perfbudget.orgs import service as org_service
from perfbudget.orgs.models import Organisation, OrganisationKind
from perfbudget.orgs.schemas import OrganisationCreate
from perfbudget.principal import Actor, Role
from perfbudget.users import service as user_service
from perfbudget.users.models import User
from perfbudget.users.schemas import UserCreate

FACTORY = Actor.system("test-factory")
STRONG_PASSWORD = "Str0ng!Passw0rd"
_sequence = itertools.count(1)


def demo_org(session: Session, code: str) -> Organisation:
    org = org_repository.get_by_code(session, code)
    assert org is not None, code
    return org


# Factories commit (a savepoint inside the test's transaction): a later refused request
# rolls back its own work, never the rows the test put in place.


def make_org(
    session: Session,
    *,
    kind: OrganisationKind = OrganisationKind.department,
    parent: Organisation | None = None,
    code: str | None = None,
    name_zh: str | None = None,
) -> Organisation:
    n = next(_sequence)
    org = org_service.create_organisation(
        session,
        FACTORY,
        OrganisationCreate(
            code=code or f"T{n:05d}",
            name_zh=name_zh or f"测试机构{n}",
            kind=kind,
            parent_id=parent.id if parent else None,
        ),
    )
    session.commit()
    return org


def make_user(
    session: Session,
    *,
    role: Role = Role.finance,
    organisation: Organisation | None = None,
    username: str | None = None,
    password: str = STRONG_PASSWORD,
    must_change_password: bool = False,
) -> User:
    n = next(_sequence)
    user = user_service.create_user(
        session,
        FACTORY,
        UserCreate(
            username=username or f"tester{n}",
            display_name=f"测试用户{n}",
            role=role,
            organisation_id=organisation.id if organisation else None,
            initial_password=password,
        ),
        must_change_password=must_change_password,
    )
    session.commit()
    return user
