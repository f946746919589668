from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from perfbudget.health import service
from perfbudget.health.compatibility import SchemaState

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: bool
    migrations_current: bool = Field(description="The database is at this code's head.")
    schema_state: SchemaState = Field(
        description="Ready when current, or ahead with only migrations the code still runs on."
    )
    revision: str | None = Field(description="The database's migration revision.")
    head: str | None = Field(description="This code's newest migration revision.")
    oldest_code_revision: str | None = Field(
        description="The oldest code revision the database's schema still serves."
    )


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
    """The database is reachable and its schema serves this code (503 otherwise)."""
    result = service.readiness()
    body = Readiness(
        status="ready" if result.ready else "not_ready",
        database=result.database,
        migrations_current=result.state is SchemaState.current,
        schema_state=result.state,
        revision=result.facts.revision,
        head=result.head,
        oldest_code_revision=result.facts.oldest_code_revision,
    )
    return JSONResponse(body.model_dump(), status_code=200 if result.ready else 503)
