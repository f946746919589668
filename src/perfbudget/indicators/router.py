from typing import Annotated

from fastapi import APIRouter, Query, status

from perfbudget.api.conditional import ETAG_RESPONSES, IfMatch, ReadETag, WriteETag
from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.db import SessionDep
from perfbudget.indicators import framework, library
from perfbudget.indicators.schemas import (
    CopyForwardResult,
    FrameworkIndicatorCreate,
    FrameworkIndicatorFilter,
    FrameworkIndicatorRead,
    FrameworkIndicatorUpdate,
    FrameworkRead,
    IndicatorStatusChange,
    LibraryIndicatorCreate,
    LibraryIndicatorFilter,
    LibraryIndicatorRead,
    LibraryIndicatorUpdate,
)
from perfbudget.pagination import Page
from perfbudget.principal import Actor
from perfbudget.schemas import RowId, Year
from perfbudget.versioning import expected_version

router = APIRouter(tags=["indicators"])
Reader = Annotated[Actor, Allowed(Permission.indicator_read)]
FrameworkWriter = Annotated[Actor, Allowed(Permission.framework_write)]
LibraryWriter = Annotated[Actor, Allowed(Permission.library_write)]

FRAMEWORK = "/api/v1/fiscal-years/{year}/indicator-framework"
FRAMEWORK_INDICATORS = f"{FRAMEWORK}/indicators"
LIBRARY = "/api/v1/indicator-library"


@router.get(FRAMEWORK, operation_id="get_indicator_framework")
def get_indicator_framework(session: SessionDep, actor: Reader, year: Year) -> FrameworkRead:
    """Read the year's framework: first and second levels, and how many indicators it holds."""
    return framework.get_framework(session, year)


@router.get(FRAMEWORK_INDICATORS, operation_id="list_framework_indicators")
def list_framework_indicators(
    session: SessionDep,
    actor: Reader,
    year: Year,
    filters: Annotated[FrameworkIndicatorFilter, Query()],
) -> Page[FrameworkIndicatorRead]:
    """List the year's common third-level indicators, in §3 order."""
    return framework.list_framework_indicators(session, year, filters)


@router.post(
    FRAMEWORK_INDICATORS,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_framework_indicator",
)
def create_framework_indicator(
    session: SessionDep,
    actor: FrameworkWriter,
    year: Year,
    body: FrameworkIndicatorCreate,
    etag: WriteETag,
) -> FrameworkIndicatorRead:
    """Add a common indicator to the year's framework (only while the year is preparing)."""
    indicator = framework.create_framework_indicator(session, actor, year, body)
    return etag(FrameworkIndicatorRead.model_validate(indicator))


@router.post(f"{FRAMEWORK}/copy-forward", operation_id="copy_indicator_framework_forward")
def copy_indicator_framework_forward(
    session: SessionDep, actor: FrameworkWriter, year: Year
) -> CopyForwardResult:
    """Start an empty framework from the active indicators of the nearest earlier year."""
    return framework.copy_framework_forward(session, actor, year)


@router.get(
    f"{FRAMEWORK_INDICATORS}/{{indicator_id}}",
    operation_id="get_framework_indicator",
    responses=ETAG_RESPONSES,
)
def get_framework_indicator(
    session: SessionDep, actor: Reader, year: Year, indicator_id: RowId, etag: ReadETag
) -> FrameworkIndicatorRead:
    """Read one common indicator of the year."""
    indicator = framework.read_framework_indicator(session, year, indicator_id)
    return etag(FrameworkIndicatorRead.model_validate(indicator))


@router.patch(f"{FRAMEWORK_INDICATORS}/{{indicator_id}}", operation_id="update_framework_indicator")
def update_framework_indicator(
    session: SessionDep,
    actor: FrameworkWriter,
    year: Year,
    indicator_id: RowId,
    body: FrameworkIndicatorUpdate,
    if_match: IfMatch,
    etag: WriteETag,
) -> FrameworkIndicatorRead:
    """Change a common indicator (only while the year is preparing)."""
    indicator = framework.update_framework_indicator(
        session, actor, year, indicator_id, body, expected_version(body.version, if_match)
    )
    return etag(FrameworkIndicatorRead.model_validate(indicator))


@router.post(
    f"{FRAMEWORK_INDICATORS}/{{indicator_id}}/deactivate",
    operation_id="deactivate_framework_indicator",
)
def deactivate_framework_indicator(
    session: SessionDep,
    actor: FrameworkWriter,
    year: Year,
    indicator_id: RowId,
    body: IndicatorStatusChange,
    if_match: IfMatch,
    etag: WriteETag,
) -> FrameworkIndicatorRead:
    """Withdraw a common indicator from the year's framework (it is never deleted)."""
    indicator = framework.set_framework_indicator_active(
        session, actor, year, indicator_id, False, expected_version(body.version, if_match)
    )
    return etag(FrameworkIndicatorRead.model_validate(indicator))


@router.post(
    f"{FRAMEWORK_INDICATORS}/{{indicator_id}}/activate",
    operation_id="activate_framework_indicator",
)
def activate_framework_indicator(
    session: SessionDep,
    actor: FrameworkWriter,
    year: Year,
    indicator_id: RowId,
    body: IndicatorStatusChange,
    if_match: IfMatch,
    etag: WriteETag,
) -> FrameworkIndicatorRead:
    """Bring a withdrawn common indicator back into the year's framework."""
    indicator = framework.set_framework_indicator_active(
        session, actor, year, indicator_id, True, expected_version(body.version, if_match)
    )
    return etag(FrameworkIndicatorRead.model_validate(indicator))


@router.get(LIBRARY, operation_id="list_library_indicators")
def list_library_indicators(
    session: SessionDep,
    actor: Reader,
    filters: Annotated[LibraryIndicatorFilter, Query()],
) -> Page[LibraryIndicatorRead]:
    """List department library indicators (a department user sees its own subtree)."""
    return library.list_library_indicators(session, actor, filters)


@router.post(LIBRARY, status_code=status.HTTP_201_CREATED, operation_id="create_library_indicator")
def create_library_indicator(
    session: SessionDep, actor: LibraryWriter, body: LibraryIndicatorCreate, etag: WriteETag
) -> LibraryIndicatorRead:
    """Add an indicator to the library of your organisation or one of its units."""
    return etag(library.create_library_indicator(session, actor, body))


@router.get(
    f"{LIBRARY}/{{indicator_id}}", operation_id="get_library_indicator", responses=ETAG_RESPONSES
)
def get_library_indicator(
    session: SessionDep, actor: Reader, indicator_id: RowId, etag: ReadETag
) -> LibraryIndicatorRead:
    """Read one library indicator."""
    return etag(library.read_library_indicator(session, actor, indicator_id))


@router.patch(f"{LIBRARY}/{{indicator_id}}", operation_id="update_library_indicator")
def update_library_indicator(
    session: SessionDep,
    actor: LibraryWriter,
    indicator_id: RowId,
    body: LibraryIndicatorUpdate,
    if_match: IfMatch,
    etag: WriteETag,
) -> LibraryIndicatorRead:
    """Change a library indicator."""
    return etag(
        library.update_library_indicator(
            session,
            actor,
            indicator_id,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post(f"{LIBRARY}/{{indicator_id}}/deactivate", operation_id="deactivate_library_indicator")
def deactivate_library_indicator(
    session: SessionDep,
    actor: LibraryWriter,
    indicator_id: RowId,
    body: IndicatorStatusChange,
    if_match: IfMatch,
    etag: WriteETag,
) -> LibraryIndicatorRead:
    """Withdraw a library indicator from use (it is never deleted)."""
    return etag(
        library.set_library_indicator_active(
            session, actor, indicator_id, False, expected_version(body.version, if_match)
        )
    )


@router.post(f"{LIBRARY}/{{indicator_id}}/activate", operation_id="activate_library_indicator")
def activate_library_indicator(
    session: SessionDep,
    actor: LibraryWriter,
    indicator_id: RowId,
    body: IndicatorStatusChange,
    if_match: IfMatch,
    etag: WriteETag,
) -> LibraryIndicatorRead:
    """Bring a withdrawn library indicator back into use."""
    return etag(
        library.set_library_indicator_active(
            session, actor, indicator_id, True, expected_version(body.version, if_match)
        )
    )
