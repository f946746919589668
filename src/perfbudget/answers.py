"""Answers serialised in one pass.

A route that returns a model has FastAPI dump it, validate the dump against the route's
response model and serialise that: three passes over an answer the service has just built
and validated. For the large reads the bureau opens all day (a page of items, the month's
overview, the compliance listing, the review queue), the route declares its model as
``response_model=`` — the contract is the same — and returns ``json_answer(model)``: the
model's own JSON, written by pydantic-core in one pass.

The largest (the compliance listing: thousands of entries; a page of items) skip even the
one validation: their services build the model's data as plain values of the types the
model would hold, and ``json_answer`` writes them with ``pydantic_core.to_json`` — enums
by value, dates and times as pydantic writes them, no Python call per field. A test per
such answer validates the data against the model and compares the two JSON texts.
"""

from collections.abc import Mapping
from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel
from pydantic_core import to_json

JSON = "application/json"


def json_answer(answer: BaseModel | Mapping[str, Any]) -> Response:
    if isinstance(answer, BaseModel):
        return Response(answer.model_dump_json(), media_type=JSON)
    return Response(to_json(answer), media_type=JSON)
