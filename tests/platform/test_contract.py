"""The contract describes what the server answers: refusals as problems with their codes,
the headers, files and decimals, under names a client generator turns into good types.
(The fuzz in test_fuzz.py checks every operation's answers against it.)"""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from perfbudget.api.problems import PROBLEM_JSON
from perfbudget.budget_items import service as item_service
from perfbudget.contract.raises import refusals_of
from perfbudget.evaluations import review as evaluation_review
from tests.contract import CONTRACT, parameters
from tests.problems import assert_problem
from tests.workflow import ITEMS

SCHEMAS = CONTRACT["components"]["schemas"]


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, path_item in CONTRACT["paths"].items():
        for method, operation in path_item.items():
            yield method, path, operation


def codes(method: str, path: str, status: int) -> list[str]:
    response = CONTRACT["paths"][path][method]["responses"][str(status)]
    schema = response["content"][PROBLEM_JSON]["schema"]
    return list(schema["properties"]["code"]["enum"])


def test_every_refusal_is_a_problem_and_nothing_else_is():
    for method, path, operation in operations():
        for status, response in operation["responses"].items():
            content = response.get("content", {})
            if int(status) >= 400:
                assert list(content) == [PROBLEM_JSON], (method, path, status)
                schema = content[PROBLEM_JSON]["schema"]
                model = "ValidationProblem" if status == "422" else "Problem"
                assert schema["allOf"] == [{"$ref": f"#/components/schemas/{model}"}]
                assert schema["properties"]["code"]["enum"], (method, path, status)
            else:
                assert PROBLEM_JSON not in content
            assert "X-Request-ID" in response["headers"], (method, path, status)
    assert "HTTPValidationError" not in SCHEMAS
    assert {"type", "title", "status", "detail", "code"} <= set(SCHEMAS["Problem"]["required"])
    assert SCHEMAS["ValidationProblem"]["properties"]["errors"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        # the closed loop's own rules, each where a client meets it
        ("post", "/api/v1/budget-items/{item_id}/decision", 409, "TARGETS_NOT_APPROVED"),
        ("post", "/api/v1/budget-items/{item_id}/disbursements", 409, "PAYMENT_HOLD"),
        (
            "put",
            "/api/v1/budget-items/{item_id}/monitoring-reports/{month}",
            409,
            "VERSION_CONFLICT",
        ),
        (
            "put",
            "/api/v1/budget-items/{item_id}/monitoring-reports/{month}",
            428,
            "VERSION_REQUIRED",
        ),
        ("post", "/api/v1/budget-items/{item_id}/department-review", 403, "SAME_PERSON_REVIEW"),
        # the platform's, from middleware and handlers outside any route
        ("post", "/api/v1/budget-items", 429, "TOO_MANY_REFUSALS"),
        ("post", "/api/v1/budget-items", 409, "IDEMPOTENCY_IN_PROGRESS"),
        ("post", "/api/v1/budget-items", 422, "IDEMPOTENCY_KEY_REUSED"),
        ("post", "/api/v1/budget-items", 422, "VALIDATION_FAILED"),
        ("get", "/api/v1/budget-items", 401, "INVALID_TOKEN"),
        ("get", "/api/v1/budget-items", 503, "DATABASE_BUSY"),
        ("get", "/api/v1/budget-items/{item_id}", 404, "NOT_FOUND"),
        ("post", "/api/v1/imports/{kind}", 422, "IMPORT_REJECTED"),
        ("post", "/api/v1/imports/{kind}", 429, "IMPORT_IN_PROGRESS"),
    ],
)
def test_an_operation_lists_the_codes_it_can_answer(method, path, status, code):
    assert code in codes(method, path, status)


def test_codes_are_read_from_the_code_through_the_calls():
    # a code handed to a helper that raises it; a gate's code raised from the gate
    assert (422, "REASON_REQUIRED") in refusals_of([evaluation_review.department_review])
    assert any(code == "TARGETS_NOT_APPROVED" for _, code in refusals_of([item_service.decide]))
    # a read refuses no rule of a write
    assert not any(code == "PAYMENT_HOLD" for _, code in codes_of_get_item())


def codes_of_get_item() -> set[tuple[int, str]]:
    return {
        (int(status), code)
        for status, response in CONTRACT["paths"]["/api/v1/budget-items/{item_id}"]["get"][
            "responses"
        ].items()
        if int(status) >= 400
        for code in response["content"][PROBLEM_JSON]["schema"]["properties"]["code"]["enum"]
    }


def test_the_headers_a_request_may_carry_and_every_answer_does():
    for method, path, operation in operations():
        names = {parameter["name"] for parameter in parameters(operation)}
        assert {"Accept-Language", "X-Request-ID"} <= names, (method, path)
        takes_key = method == "post" and bool(operation.get("security"))
        assert ("Idempotency-Key" in names) is takes_key, (method, path)
    decision = CONTRACT["paths"]["/api/v1/budget-items/{item_id}/decision"]["post"]
    assert "Idempotent-Replay" in decision["responses"]["200"]["headers"]
    assert "ETag" in decision["responses"]["200"]["headers"]
    listing = CONTRACT["paths"]["/api/v1/budget-items"]["get"]["responses"]
    assert "Retry-After" in listing["503"]["headers"]
    assert "WWW-Authenticate" in listing["401"]["headers"]


def test_files_are_binary_with_their_media_types():
    template = CONTRACT["paths"]["/api/v1/imports/{kind}/template.xlsx"]["get"]["responses"]["200"]
    assert list(template["content"]) == [
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ]
    files = 0
    for method, path, operation in operations():
        for response in operation["responses"].values():
            for media_type, media in response.get("content", {}).items():
                if "json" not in media_type:
                    assert media["schema"] == {"type": "string", "format": "binary"}, path
                    assert "Content-Disposition" in response["headers"], (method, path)
                    files += 1
    assert files > 20
    upload = CONTRACT["paths"]["/api/v1/imports/{kind}"]["post"]["responses"]
    assert upload["200"]["content"]["application/json"]["schema"]["$ref"].endswith("ImportResult")
    assert "201" in upload
    run = SCHEMAS["ImportRunRead"]["properties"]["errors"]
    assert run["items"] == {"$ref": "#/components/schemas/RowError"}


def test_schema_names_make_good_type_names():
    awkward = [name for name in SCHEMAS if not name.isalnum()]
    assert awkward == []
    assert "BudgetItemReadPage" in SCHEMAS
    assert {"AssessmentStatus", "CircularStatus", "RuleParameters", "Band"} <= set(SCHEMAS)


def test_money_is_a_decimal_string_both_ways_and_numbers_are_still_taken(flow, client):
    amount = SCHEMAS["BudgetItemCreate"]["properties"]["requested_amount"]
    assert amount["type"] == "string"
    assert amount["pattern"] == r"^-?\d{1,16}(\.\d{1,2})?$"
    read = SCHEMAS["BudgetItemRead"]["properties"]["requested_amount"]
    assert read["type"] == "string"
    assert "number" not in str(CONTRACT["components"]["schemas"]["ScoreWeights"])

    item = flow.create(requested_amount=1200000.5)
    assert item["requested_amount"] == "1200000.50"
    assert Decimal(item["requested_amount"]) == Decimal("1200000.5")
    too_fine = client.post(
        ITEMS,
        json={**_body(flow), "requested_amount": "100.001"},
        headers=flow.auth("department"),
    )
    assert_problem(too_fine, 422, "VALIDATION_FAILED")


def _body(flow: Any) -> dict[str, Any]:
    return {
        "fiscal_year": 2027,
        "organisation_id": flow.org_id("201"),
        "name": "教师培训项目",
        "kind": "project",
    }
