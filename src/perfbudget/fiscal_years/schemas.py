from datetime import datetime

from pydantic import Field

from perfbudget.fiscal_years.models import FiscalYearStatus
from perfbudget.fiscal_years.parameters import RuleParameters
from perfbudget.pagination import ListQuery, sort_field
from perfbudget.schemas import RequestModel, ResponseModel, VersionedUpdate


class FiscalYearCreate(RequestModel):
    year: int = Field(ge=2000, le=2100)
    parameters: RuleParameters | None = Field(
        default=None,
        description="Omit to carry the previous year's parameters forward (or the §3 defaults)",
    )


class ParametersUpdate(VersionedUpdate):
    parameters: RuleParameters


class FiscalYearTransition(VersionedUpdate):
    pass


class FiscalYearFilter(ListQuery):
    status: FiscalYearStatus | None = None
    sort: str = sort_field("id", "year", "status", "created_at", "updated_at", default="-year")


class FiscalYearRead(ResponseModel):
    id: int
    year: int
    status: FiscalYearStatus
    parameters: RuleParameters
    version: int
    created_at: datetime
    updated_at: datetime
