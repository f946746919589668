"""What finance publishes and what the public reads (S4.4).

The public models are the allow-list: a publication's content is built from them and
nothing else, so an internal field cannot reach /public/v1 without being added here.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from perfbudget.budget_items.models import BudgetBook, ItemKind
from perfbudget.disclosure.models import PublicationKind
from perfbudget.evaluations.models import Grade
from perfbudget.indicators.models import Direction, FirstLevel, IndicatorCategory
from perfbudget.orgs.models import OrganisationKind
from perfbudget.pagination import ListQuery, sort_field
from perfbudget.schemas import Money, Points, Quantity, RequestModel, ResponseModel, RowId, Text

# --- requests -------------------------------------------------------------------------


class PublicationCreate(RequestModel):
    organisation_id: RowId = Field(description="A department (top-level organisation)")
    kind: Literal["targets", "results"] = Field(
        description="targets: with the budget; results: with the final accounts"
    )


class PublicationWithdraw(RequestModel):
    reason: Text = Field(min_length=1, max_length=2000, description="Why it is taken down")


class PublicationFilter(ListQuery):
    kind: PublicationKind | None = None
    status: Literal["current", "withdrawn"] | None = None
    sort: str = sort_field(
        "id", "kind", "organisation", "published_at", "withdrawn_at", default="-published_at"
    )


# --- the public allow-list ------------------------------------------------------------


class PublicOrganisationRef(ResponseModel):
    code: str
    name: str


class PublicOrganisation(ResponseModel):
    code: str
    name: str
    kind: OrganisationKind
    parent_code: str | None


class PublicIndicator(ResponseModel):
    first_level: FirstLevel
    category: IndicatorCategory
    name: str
    direction: Direction
    target_value: Quantity | None
    unit: str | None
    qualitative_standard: str | None


class PublicTargetItem(ResponseModel):
    code: str | None
    name: str
    kind: ItemKind
    budget_book: BudgetBook
    organisation: PublicOrganisationRef
    approved_amount: Money
    overall_goal: str
    indicators: list[PublicIndicator]


class PublicResultItem(ResponseModel):
    code: str | None
    name: str
    kind: ItemKind
    budget_book: BudgetBook
    organisation: PublicOrganisationRef
    approved_amount: Money | None
    final_score: Points
    grade: Grade


class PublicRankingEntry(ResponseModel):
    rank: int | None
    organisation: PublicOrganisationRef
    score: Points | None


class _PublicationContent(ResponseModel):
    public_id: str
    revision: int
    year: int
    published_at: datetime


class TargetsContent(_PublicationContent):
    kind: Literal["targets"] = "targets"
    organisation: PublicOrganisationRef
    approved_total: Money
    items: list[PublicTargetItem]


class ResultsContent(_PublicationContent):
    kind: Literal["results"] = "results"
    organisation: PublicOrganisationRef
    items: list[PublicResultItem]


class CircularContent(_PublicationContent):
    kind: Literal["circular"] = "circular"
    title: str
    ranking: list[PublicRankingEntry]


PublicationContent = TargetsContent | ResultsContent | CircularContent


class PublicQuery(RequestModel):
    organisation: str | None = Field(default=None, description="A department's code")


class PublicTargets(ResponseModel):
    year: int
    publications: list[TargetsContent]


class PublicResults(ResponseModel):
    year: int
    publications: list[ResultsContent]


class OpenDataSet(ResponseModel):
    year: int
    kind: PublicationKind
    publications: list[PublicationContent]


# --- finance's view ---------------------------------------------------------------------


class PublicationRead(ResponseModel):
    id: int
    public_id: str
    kind: PublicationKind
    year: int
    organisation_id: int | None
    revision: int
    status: Literal["current", "withdrawn"]
    published_at: datetime
    published_by_id: int | None
    withdrawn_at: datetime | None
    content: dict[str, Any]
