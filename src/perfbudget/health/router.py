from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from perfbudget.health import service

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: bool
    migrations_current: bool
    revision: str | None
    head: str | None


@router.get("/healthz", operation_id="get_liveness")
def get_liveness() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="get_readiness",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready"}},
)
def get_readiness() -> JSONResponse:
    """The database is reachable and migrated to head (503 otherwise)."""
    result = service.readiness()
    body = Readiness(
        status="ready" if result.ready else "not_ready",
        database=result.database,
        migrations_current=result.migrations_current,
        revision=result.revision,
        head=result.head,
    )
    return JSONResponse(body.model_dump(), status_code=200 if result.ready else 503)
