from datetime import datetime
from typing import Annotated

from pydantic import Field, computed_field

from perfbudget.fiscal_years.models import FiscalYearStatus
from perfbudget.indicators.models import Direction, FirstLevel, IndicatorCategory
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.pagination import ListQuery, sort_field
from perfbudget.schemas import RequestModel, ResponseModel, RowId, VersionedUpdate

Name = Annotated[str, Field(min_length=1, max_length=200, description="Third-level indicator")]
Unit = Annotated[
    str, Field(min_length=1, max_length=32, description="Required for quantitative directions")
]
Description = Annotated[str, Field(max_length=4000, description="How the indicator is measured")]
Sector = Annotated[str, Field(min_length=1, max_length=64, description="Sector tag (行业领域)")]


class IndicatorCreate(RequestModel):
    category: IndicatorCategory
    name: Name
    direction: Direction
    unit: Unit | None = None
    description: Description = ""


class IndicatorUpdate(VersionedUpdate):
    category: IndicatorCategory | None = None
    name: Name | None = None
    direction: Direction | None = None
    unit: Unit | None = None
    description: Description | None = None


class IndicatorStatusChange(VersionedUpdate):
    pass


class FrameworkIndicatorCreate(IndicatorCreate):
    category: IndicatorCategory = Field(description="A second-level category of §3")


class FrameworkIndicatorUpdate(IndicatorUpdate):
    pass


class LibraryIndicatorCreate(IndicatorCreate):
    organisation_id: RowId = Field(description="Your organisation or one of its units")
    category: IndicatorCategory = Field(
        description="A second-level category of §3, or an S2.2.3 overall aspect"
    )
    sector: Sector | None = None


class LibraryIndicatorUpdate(IndicatorUpdate):
    sector: Sector | None = None


class IndicatorFilter(ListQuery):
    first_level: FirstLevel | None = None
    category: IndicatorCategory | None = None
    active: bool | None = None
    search: str | None = Field(default=None, max_length=100, description="Part of the name")


class FrameworkIndicatorFilter(IndicatorFilter):
    sort: str = sort_field("id", "category", "name", "created_at", "updated_at", default="category")


class LibraryIndicatorFilter(IndicatorFilter):
    organisation_id: RowId | None = None
    sector: str | None = Field(default=None, max_length=64)
    sort: str = sort_field(
        "id",
        "organisation_id",
        "category",
        "name",
        "sector",
        "created_at",
        "updated_at",
        default="organisation_id",
    )


class IndicatorRead(ResponseModel):
    id: int
    category: IndicatorCategory
    name: str
    direction: Direction
    unit: str | None
    description: str
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def first_level(self) -> FirstLevel:
        return self.category.first_level


class FrameworkIndicatorRead(IndicatorRead):
    fiscal_year_id: int


class LibraryIndicatorRead(IndicatorRead):
    organisation: OrganisationRef
    sector: str | None
    created_by_id: int | None


class CategoryRead(ResponseModel):
    category: IndicatorCategory
    label_zh: str
    label_en: str


class LevelRead(ResponseModel):
    first_level: FirstLevel
    label_zh: str
    label_en: str
    categories: list[CategoryRead]


class FrameworkRead(ResponseModel):
    year: int
    fiscal_year_status: FiscalYearStatus
    editable: bool = Field(description="The framework changes only while the year is preparing")
    levels: list[LevelRead] = Field(description="First and second level (§3)")
    indicator_count: int
    active_indicator_count: int


class CopyForwardResult(ResponseModel):
    year: int
    source_year: int
    copied: int
