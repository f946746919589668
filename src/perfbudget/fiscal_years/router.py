from typing import Annotated

from fastapi import APIRouter, Query, status

from perfbudget.api.conditional import ETAG_RESPONSES, IfMatch, ReadETag, WriteETag
from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.db import SessionDep
from perfbudget.fiscal_years import service
from perfbudget.fiscal_years.models import FiscalYearStatus
from perfbudget.fiscal_years.schemas import (
    FiscalYearCreate,
    FiscalYearFilter,
    FiscalYearRead,
    FiscalYearTransition,
    ParametersUpdate,
)
from perfbudget.pagination import Page
from perfbudget.principal import Actor
from perfbudget.schemas import Year
from perfbudget.versioning import expected_version

router = APIRouter(prefix="/api/v1/fiscal-years", tags=["fiscal-years"])
Reader = Annotated[Actor, Allowed(Permission.fiscal_year_read)]
Writer = Annotated[Actor, Allowed(Permission.fiscal_year_write)]


@router.get("", operation_id="list_fiscal_years")
def list_fiscal_years(
    session: SessionDep,
    actor: Reader,
    filters: Annotated[FiscalYearFilter, Query()],
) -> Page[FiscalYearRead]:
    """List fiscal years, newest first."""
    return service.list_fiscal_years(session, filters)


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="create_fiscal_year")
def create_fiscal_year(
    session: SessionDep, actor: Writer, body: FiscalYearCreate, etag: WriteETag
) -> FiscalYearRead:
    """Open a fiscal year for preparation, with its rule parameters."""
    return etag(FiscalYearRead.model_validate(service.create_fiscal_year(session, actor, body)))


@router.get("/{year}", operation_id="get_fiscal_year", responses=ETAG_RESPONSES)
def get_fiscal_year(
    session: SessionDep, actor: Reader, year: Year, etag: ReadETag
) -> FiscalYearRead:
    """Read a fiscal year and its rule parameters."""
    return etag(FiscalYearRead.model_validate(service.get_fiscal_year(session, year)))


@router.put("/{year}/parameters", operation_id="update_fiscal_year_parameters")
def update_fiscal_year_parameters(
    session: SessionDep,
    actor: Writer,
    year: Year,
    body: ParametersUpdate,
    if_match: IfMatch,
    etag: WriteETag,
) -> FiscalYearRead:
    """Replace the rule parameters (only while the year is being prepared)."""
    fiscal_year = service.update_parameters(
        session, actor, year, body.parameters, expected_version(body.version, if_match)
    )
    return etag(FiscalYearRead.model_validate(fiscal_year))


@router.post("/{year}/start-execution", operation_id="start_fiscal_year_execution")
def start_fiscal_year_execution(
    session: SessionDep,
    actor: Writer,
    year: Year,
    body: FiscalYearTransition,
    if_match: IfMatch,
    etag: WriteETag,
) -> FiscalYearRead:
    """Move the year from preparation to execution (the budget is approved)."""
    fiscal_year = service.change_status(
        session, actor, year, FiscalYearStatus.executing, expected_version(body.version, if_match)
    )
    return etag(FiscalYearRead.model_validate(fiscal_year))


@router.post("/{year}/close", operation_id="close_fiscal_year")
def close_fiscal_year(
    session: SessionDep,
    actor: Writer,
    year: Year,
    body: FiscalYearTransition,
    if_match: IfMatch,
    etag: WriteETag,
) -> FiscalYearRead:
    """Close an executing year."""
    fiscal_year = service.change_status(
        session, actor, year, FiscalYearStatus.closed, expected_version(body.version, if_match)
    )
    return etag(FiscalYearRead.model_validate(fiscal_year))
