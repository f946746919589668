"""The problem documents every refusal is answered with (``api.problems.problem_response``)."""

from pydantic import BaseModel, ConfigDict, Field

from perfbudget.imports.schemas import RowError


class Problem(BaseModel):
    """An RFC 9457 problem (``application/problem+json``): a refusal with a stable ``code``.
    Extension members (``current_version``, ``retry_after``, ``allowed`` …) may follow."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI naming the code, e.g. …/problems/payment-hold")
    title: str = Field(description="The status's phrase, in the negotiated language")
    status: int = Field(description="The HTTP status")
    detail: str = Field(description="What was refused and why, in the negotiated language")
    code: str = Field(description="The stable code to branch on, e.g. PAYMENT_HOLD")
    instance: str | None = Field(default=None, description="The request's path")
    request_id: str | None = Field(default=None, description="As in the X-Request-ID header")


class FieldError(BaseModel):
    """One field a request's validation refused."""

    field: str = Field(description="Where: body.amount, query.limit, path.item_id …")
    code: str = Field(description="Pydantic's error type, e.g. missing, decimal_parsing")
    message: str = Field(description="In the negotiated language")


class ValidationProblem(Problem):
    """A 422: ``VALIDATION_FAILED`` lists each refused field; ``IMPORT_REJECTED`` each bad
    row of an upload; a rule's own 422 lists nothing."""

    errors: list[FieldError | RowError] | None = Field(
        default=None, description="The refused fields (or an upload's rows)"
    )


PROBLEM_MODELS: tuple[type[BaseModel], ...] = (Problem, ValidationProblem)
