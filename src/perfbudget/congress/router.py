from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from perfbudget.api.downloads import send
from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.congress import service
from perfbudget.congress.schemas import CongressPackage, CongressPackageQuery
from perfbudget.db import SessionDep
from perfbudget.exports import XLSX
from perfbudget.principal import Actor
from perfbudget.schemas import Year

router = APIRouter(prefix="/api/v1/fiscal-years", tags=["congress"])


@router.get(
    "/{year}/congress-package",
    operation_id="get_congress_package",
    response_model=CongressPackage,
    responses={
        200: {"content": {XLSX: {}}, "description": "JSON, or a workbook with ?format=xlsx"}
    },
)
def get_congress_package(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.congress_read)],
    year: Year,
    query: Annotated[CongressPackageQuery, Query()],
) -> CongressPackage | Response:
    """Approved targets with items and amounts, by department, for the People's Congress."""
    package = service.build_package(session, year)
    if query.format == "xlsx":
        return send(service.package_workbook(package))
    return package
