import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response

from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.db import SessionDep
from perfbudget.disclosure import open_data, publishing, service
from perfbudget.disclosure.models import PublicationKind
from perfbudget.disclosure.schemas import (
    CircularContent,
    OpenDataSet,
    PublicationContent,
    PublicationCreate,
    PublicationFilter,
    PublicationRead,
    PublicationWithdraw,
    PublicOrganisation,
    PublicQuery,
    PublicResults,
    PublicTargets,
)
from perfbudget.pagination import ListQuery, Page
from perfbudget.principal import Actor
from perfbudget.schemas import Line, RowId, Year
from perfbudget.versioning import none_match

router = APIRouter(prefix="/api/v1", tags=["disclosure"])
Publisher = Annotated[Actor, Allowed(Permission.disclosure_publish)]


@router.post(
    "/fiscal-years/{year}/publications",
    status_code=status.HTTP_201_CREATED,
    operation_id="publish_department_disclosure",
)
def publish(
    session: SessionDep, actor: Publisher, year: Year, body: PublicationCreate
) -> PublicationRead:
    """Publish a department's approved targets or evaluation results (S4.4)."""
    return publishing.publish(session, actor, year, body)


@router.post(
    "/fiscal-years/{year}/publications/circular",
    status_code=status.HTTP_201_CREATED,
    operation_id="publish_circular_disclosure",
)
def publish_circular_disclosure(
    session: SessionDep, actor: Publisher, year: Year
) -> PublicationRead:
    """Publish the year's department assessment circular (ranking) to the public."""
    return publishing.publish_circular(session, actor, year)


@router.get("/fiscal-years/{year}/publications", operation_id="list_publications")
def list_publications(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.results_read)],
    year: Year,
    filters: Annotated[PublicationFilter, Query()],
) -> Page[PublicationRead]:
    """Everything published for the year, current and withdrawn, newest first."""
    return publishing.list_publications(session, year, filters)


@router.post("/publications/{publication_id}/withdraw", operation_id="withdraw_publication")
def withdraw(
    session: SessionDep, actor: Publisher, publication_id: RowId, body: PublicationWithdraw
) -> PublicationRead:
    """Take a publication down; the public no longer sees it (audited with the reason)."""
    return publishing.withdraw(session, actor, publication_id, body.reason)


# --- anonymous, read-only ---------------------------------------------------------------

public_router = APIRouter(prefix="/public/v1", tags=["public"])
CACHE_CONTROL = "public, max-age=300"


def _cached(request: Request, body: bytes, media_type: str, **headers: str) -> Response:
    """Cacheable for five minutes; a client holding the same ETag gets 304 and no body."""
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    cache = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if none_match(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=cache)
    return Response(content=body, media_type=media_type, headers={**cache, **headers})


def _json(request: Request, payload: Any) -> Response:
    return _cached(request, service.public_json(payload), "application/json")


@public_router.get(
    "/organisations",
    operation_id="public_organisations",
    response_model=Page[PublicOrganisation],
)
def public_organisations(
    session: SessionDep, request: Request, page: Annotated[ListQuery, Query()]
) -> Response:
    """Active departments and units (code, name, kind, parent), a page at a time by code."""
    return _json(request, service.public_organisations(session, page).model_dump(mode="json"))


@public_router.get(
    "/fiscal-years/{year}/targets", operation_id="public_targets", response_model=PublicTargets
)
def public_targets(
    session: SessionDep, request: Request, year: Year, query: Annotated[PublicQuery, Query()]
) -> Response:
    """Published performance targets of the year, by department."""
    contents = service.public_contents(session, year, PublicationKind.targets, query.organisation)
    return _json(request, {"year": year, "publications": contents})


@public_router.get(
    "/fiscal-years/{year}/results", operation_id="public_results", response_model=PublicResults
)
def public_results(
    session: SessionDep, request: Request, year: Year, query: Annotated[PublicQuery, Query()]
) -> Response:
    """Published evaluation results (score and grade) of the year, by department."""
    contents = service.public_contents(session, year, PublicationKind.results, query.organisation)
    return _json(request, {"year": year, "publications": contents})


@public_router.get(
    "/fiscal-years/{year}/circular", operation_id="public_circular", response_model=CircularContent
)
def public_circular(session: SessionDep, request: Request, year: Year) -> Response:
    """The published department assessment circular of the year."""
    return _json(request, service.public_circular(session, year))


@public_router.get(
    "/publications/{public_id}",
    operation_id="public_publication",
    response_model=PublicationContent,
)
def public_publication(session: SessionDep, request: Request, public_id: Line) -> Response:
    """One current publication by its stable identifier, e.g. 2026-201-targets."""
    return _json(request, service.public_publication(session, public_id))


@public_router.get(
    "/open-data/{year}/{kind}.json", operation_id="open_data_json", response_model=OpenDataSet
)
def open_data_json(
    session: SessionDep, request: Request, year: Year, kind: PublicationKind
) -> Response:
    """Open data: every current publication of a kind for the year, as JSON."""
    contents = service.public_contents(session, year, kind)
    return _json(request, {"year": year, "kind": kind.value, "publications": contents})


@public_router.get(
    "/open-data/{year}/{kind}.csv",
    operation_id="open_data_csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 with BOM"}},
)
def open_data_csv(
    session: SessionDep, request: Request, year: Year, kind: PublicationKind
) -> Response:
    """Open data: the same as CSV (UTF-8 with BOM, Chinese headers) for Excel."""
    body = open_data.open_data_csv(session, year, kind)
    return _cached(
        request,
        body,
        "text/csv; charset=utf-8",
        **{"Content-Disposition": f'attachment; filename="{year}-{kind.value}.csv"'},
    )
