"""The demo county: a finance bureau, departments with units, demo users, and three fiscal
years placed around the day it is loaded (demo/calendar.py)."""

from datetime import date

from sqlalchemy.orm import Session

import perfbudget.models  # noqa: F401 - every table mapped: foreign keys name tables of other stages
from perfbudget.config import Settings
from perfbudget.demo.calendar import DemoCalendar
from perfbudget.demo.closed_year import load_closed_year
from perfbudget.demo.execution import load_execution
from perfbudget.demo.front_gate import load_front_gate
from perfbudget.fiscal_years import repository as fiscal_year_repository
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.schemas import FiscalYearCreate
from perfbudget.orgs import repository as org_repository
from perfbudget.orgs import service as org_service
from perfbudget.orgs.models import Organisation, OrganisationKind
from perfbudget.orgs.schemas import OrganisationCreate
from perfbudget.principal import Actor, Role
from perfbudget.users import repository as user_repository
from perfbudget.users import service as user_service
from perfbudget.users.schemas import UserCreate

DEMO_PASSWORD = "Perfbudget#2026"
# the test suite's county (``workflow=False``) has this one fiscal year, in preparation; its
# tests set the clock where a rule depends on the day, so they hold on any day
SUITE_YEAR = 2027

# (code, Chinese name, English name, kind, parent code)
ORGANISATIONS = [
    ("100", "县财政局", "County Finance Bureau", OrganisationKind.bureau, None),
    (
        "110",
        "县发展和改革委员会",
        "County Development and Reform Commission",
        OrganisationKind.bureau,
        None,
    ),
    (
        "120",
        "县人大常委会预算工作委员会",
        "People's Congress Budget Working Committee",
        OrganisationKind.bureau,
        None,
    ),
    ("201", "县教育局", "County Education Bureau", OrganisationKind.department, None),
    ("201001", "县第一中学", "No. 1 Middle School", OrganisationKind.unit, "201"),
    ("201002", "县实验小学", "Experimental Primary School", OrganisationKind.unit, "201"),
    ("202", "县卫生健康委员会", "County Health Commission", OrganisationKind.department, None),
    ("202001", "县人民医院", "County People's Hospital", OrganisationKind.unit, "202"),
    (
        "202001001",
        "县人民医院东城分院",
        "People's Hospital, East Branch",
        OrganisationKind.unit,
        "202001",
    ),
    (
        "203",
        "县农业农村局",
        "County Agriculture and Rural Affairs Bureau",
        OrganisationKind.department,
        None,
    ),
    (
        "203001",
        "县农业技术推广站",
        "Agricultural Technology Extension Station",
        OrganisationKind.unit,
        "203",
    ),
    ("204", "县交通运输局", "County Transport Bureau", OrganisationKind.department, None),
    ("204001", "县公路养护站", "Highway Maintenance Station", OrganisationKind.unit, "204"),
    (
        "900",
        "新疆信达绩效评价咨询有限公司",
        "Xinda Performance Evaluation Consulting",
        OrganisationKind.agency,
        None,
    ),
]

# (username, display name, role, organisation code)
USERS = [
    ("admin", "系统管理员", Role.admin, None),
    ("finance", "财政局绩效管理科", Role.finance, "100"),
    ("department", "教育局财务股", Role.department, "201"),
    ("unit", "第一中学财务室", Role.department, "201001"),
    ("expert", "评审专家（王教授）", Role.expert, None),
    ("thirdparty", "信达绩效评价咨询", Role.third_party, "900"),
    ("investment", "发改委投资股", Role.investment, "110"),
    ("oversight", "人大预工委", Role.oversight, "120"),
    ("health", "卫健委规划财务股", Role.department, "202"),
    ("agriculture", "农业农村局计财股", Role.department, "203"),
    ("transport", "交通运输局财务股", Role.department, "204"),
    # an integration account: the treasury's payment system feeds disbursements (finance's
    # to record) and reads the events it acts on (docs/integration.md)
    ("treasury-sync", "国库集中支付系统（接口）", Role.finance, "100"),
]


class DemoRefused(Exception):
    pass


def load_demo(
    session: Session, settings: Settings, *, workflow: bool = True, today: date | None = None
) -> bool:
    """Load the demo county; False when it is already there. Refused in production.

    With its workflow: the year of the last ended month in execution, the year before closed,
    the year after in preparation (``today``: the county's day, by default today).
    ``workflow=False`` loads the county alone (organisations, users, the fiscal year
    ``SUITE_YEAR``): the test suite's starting point, where each test builds the records it
    is about."""
    if settings.is_production:
        raise DemoRefused("demo data never loads when PERFBUDGET_ENV=production")
    if user_repository.get_by_username(session, "admin") is not None:
        return False
    actor = Actor.system("demo-loader")
    by_code: dict[str, Organisation] = {}
    for code, name_zh, name_en, kind, parent in ORGANISATIONS:
        existing = org_repository.get_by_code(session, code)
        by_code[code] = existing or org_service.create_organisation(
            session,
            actor,
            OrganisationCreate(
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                kind=kind,
                parent_id=by_code[parent].id if parent else None,
            ),
        )
    for username, display_name, role, org_code in USERS:
        user_service.create_user(
            session,
            actor,
            UserCreate(
                username=username,
                display_name=display_name,
                role=role,
                organisation_id=by_code[org_code].id if org_code else None,
                initial_password=DEMO_PASSWORD,
            ),
            must_change_password=False,
        )
    if not workflow:
        if fiscal_year_repository.get_by_year(session, SUITE_YEAR) is None:
            fiscal_year_service.create_fiscal_year(
                session, actor, FiscalYearCreate(year=SUITE_YEAR)
            )
        return True
    load_workflow(session, DemoCalendar(today) if today else DemoCalendar.now())
    return True


def load_workflow(session: Session, calendar: DemoCalendar) -> None:
    """The three years' stories, on a county whose organisations and users are there."""
    if fiscal_year_repository.get_by_year(session, calendar.preparing) is None:
        fiscal_year_service.create_fiscal_year(
            session, Actor.system("demo-loader"), FiscalYearCreate(year=calendar.preparing)
        )
    load_front_gate(session, calendar.preparing)
    load_execution(session, calendar)
    load_closed_year(session, calendar)
