"""Fiscal years: preparing → executing → closed, with the §3 rule parameters."""

from decimal import Decimal

import pytest

from tests.fiscal_years.conftest import DEFAULT_PARAMETERS, URL, parameters
from tests.problems import assert_problem, invalid_fields


def _get(client, headers, year):
    response = client.get(f"{URL}/{year}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _put_parameters(client, headers, year, document, version):
    return client.put(
        f"{URL}/{year}/parameters",
        json={"parameters": document, "version": version},
        headers=headers,
    )


def _transition(client, headers, year, action):
    current = _get(client, headers, year)
    return client.post(
        f"{URL}/{year}/{action}", json={"version": current["version"]}, headers=headers
    )


def test_finance_creates_a_year_with_the_section_3_defaults(client, finance):
    response = client.post(URL, json={"year": 2028}, headers=finance)
    assert response.status_code == 201, response.text
    year = response.json()
    assert year["year"] == 2028
    assert year["status"] == "preparing"
    assert year["parameters"] == DEFAULT_PARAMETERS
    document = year["parameters"]
    weights = document["score_weights"]
    assert [
        Decimal(weights[k]) for k in ("budget_execution", "output", "effect", "satisfaction")
    ] == [10, 50, 30, 10]
    bands = document["grade_bands"]
    assert [Decimal(bands[k]) for k in ("excellent_from", "good_from", "fair_from")] == [90, 80, 60]
    assert [Decimal(v) for v in document["execution_light"].values()] == [60, 80]
    assert [Decimal(v) for v in document["indicator_light"].values()] == [60, 80, 120]
    assert document["monitoring_due_day"] == 10
    assert _get(client, finance, 2028) == year


def test_demo_year_is_readable(client, finance):
    year = _get(client, finance, 2027)
    assert year["status"] == "preparing"
    assert year["parameters"] == DEFAULT_PARAMETERS


def test_decimal_values_serialise_as_strings(client, finance):
    document = parameters(
        score_weights={
            "budget_execution": 12.5,
            "output": "47.50",
            "effect": 30,
            "satisfaction": 10,
        },
    )
    response = _put_parameters(
        client, finance, 2027, document, _get(client, finance, 2027)["version"]
    )
    assert response.status_code == 200, response.text
    weights = response.json()["parameters"]["score_weights"]
    assert all(isinstance(value, str) for value in weights.values())
    assert Decimal(weights["budget_execution"]) == Decimal("12.5")
    assert Decimal(weights["output"]) == Decimal("47.5")
    assert isinstance(response.json()["parameters"]["monitoring_due_day"], int)
    assert _get(client, finance, 2027)["parameters"]["score_weights"] == weights


def test_a_new_year_carries_the_previous_parameters_forward(client, finance):
    changed = parameters(
        monitoring_due_day=15,
        grade_bands={"excellent_from": "85", "good_from": "75", "fair_from": "60"},
    )
    response = _put_parameters(
        client, finance, 2027, changed, _get(client, finance, 2027)["version"]
    )
    assert response.status_code == 200, response.text

    created = client.post(URL, json={"year": 2028}, headers=finance)
    assert created.status_code == 201, created.text
    assert created.json()["parameters"] == changed

    # a year before any other starts from the defaults, not from a later year
    earlier = client.post(URL, json={"year": 2026}, headers=finance)
    assert earlier.status_code == 201, earlier.text
    assert earlier.json()["parameters"] == DEFAULT_PARAMETERS


def test_a_new_year_may_bring_its_own_parameters(client, finance):
    own = parameters(monitoring_due_day=5)
    response = client.post(URL, json={"year": 2028, "parameters": own}, headers=finance)
    assert response.status_code == 201, response.text
    assert response.json()["parameters"] == own


def test_duplicate_year_is_refused(client, finance):
    assert_problem(
        client.post(URL, json={"year": 2027}, headers=finance), 409, "FISCAL_YEAR_EXISTS"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"year": 1999},
        {"year": 2101},
        {},
        {"year": 2028, "status": "executing"},
        {"year": 2028, "version": 1},
    ],
)
def test_invalid_create_bodies_answer_422(client, finance, body):
    assert_problem(client.post(URL, json=body, headers=finance), 422, "VALIDATION_FAILED")
    assert client.get(f"{URL}/2028", headers=finance).status_code == 404


def test_changing_parameters_is_versioned_and_audited(client, finance):
    version = _get(client, finance, 2027)["version"]
    changed = parameters(
        monitoring_due_day=12,
        score_weights={
            "budget_execution": "10",
            "output": "40",
            "effect": "40",
            "satisfaction": "10",
        },
    )
    response = _put_parameters(client, finance, 2027, changed, version)
    assert response.status_code == 200, response.text
    assert response.json()["parameters"] == changed
    assert response.json()["version"] == version + 1
    assert _get(client, finance, 2027)["parameters"] == changed

    events = client.get(
        "/api/v1/audit-events", params={"entity_type": "fiscal_year"}, headers=finance
    ).json()["items"]
    event = events[0]
    assert event["action"] == "fiscal_year.parameters_changed"
    assert event["entity_id"] == "2027"
    assert event["username"] == "finance"
    assert event["changes"]["before"] == {
        "monitoring_due_day": 10,
        "score_weights": DEFAULT_PARAMETERS["score_weights"],
    }
    assert event["changes"]["after"] == {
        "monitoring_due_day": 12,
        "score_weights": changed["score_weights"],
    }


def test_parameters_with_if_match(client, finance):
    version = _get(client, finance, 2027)["version"]
    response = client.put(
        f"{URL}/2027/parameters",
        json={"parameters": parameters(monitoring_due_day=20)},
        headers={**finance, "If-Match": f'"{version}"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["parameters"]["monitoring_due_day"] == 20


def test_stale_or_missing_version(client, finance):
    version = _get(client, finance, 2027)["version"]
    first = _put_parameters(client, finance, 2027, parameters(monitoring_due_day=11), version)
    assert first.status_code == 200, first.text
    stale = _put_parameters(client, finance, 2027, parameters(monitoring_due_day=12), version)
    assert_problem(stale, 409, "VERSION_CONFLICT")
    missing = client.put(
        f"{URL}/2027/parameters",
        json={"parameters": parameters(monitoring_due_day=13)},
        headers=finance,
    )
    assert_problem(missing, 428, "VERSION_REQUIRED")
    assert _get(client, finance, 2027)["parameters"]["monitoring_due_day"] == 11


def _weights(execution, output, effect, satisfaction):
    return {
        "budget_execution": execution,
        "output": output,
        "effect": effect,
        "satisfaction": satisfaction,
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"score_weights": _weights("10", "50", "30", "9")}, "body.parameters.score_weights"),
        ({"score_weights": _weights("10", "50", "31", "10")}, "body.parameters.score_weights"),
        (
            {"score_weights": _weights("-10", "70", "30", "10")},
            "body.parameters.score_weights.budget_execution",
        ),
        (
            {"grade_bands": {"excellent_from": "80", "good_from": "90", "fair_from": "60"}},
            "body.parameters.grade_bands",
        ),
        (
            {"grade_bands": {"excellent_from": "90", "good_from": "80", "fair_from": "80"}},
            "body.parameters.grade_bands",
        ),
        (
            {"execution_light": {"red_below": "80", "yellow_below": "60"}},
            "body.parameters.execution_light",
        ),
        (
            {"indicator_light": {"red_below": "60", "yellow_below": "120", "blue_from": "120"}},
            "body.parameters.indicator_light",
        ),
        ({"monitoring_due_day": 29}, "body.parameters.monitoring_due_day"),
        ({"monitoring_due_day": 0}, "body.parameters.monitoring_due_day"),
        ({"reminder_lead_days": 32}, "body.parameters.reminder_lead_days"),
        ({"unknown_key": 1}, "body.parameters.unknown_key"),
        (
            {
                "grade_bands": {
                    "excellent_from": "90",
                    "good_from": "80",
                    "fair_from": "60",
                    "poor_from": "0",
                }
            },
            "body.parameters.grade_bands.poor_from",
        ),
        ({"over_achievement_threshold": "abc"}, "body.parameters.over_achievement_threshold"),
    ],
)
def test_invalid_parameter_documents_answer_422_and_change_nothing(client, finance, changes, field):
    version = _get(client, finance, 2027)["version"]
    response = _put_parameters(client, finance, 2027, parameters(**changes), version)
    assert field in invalid_fields(response)
    after = _get(client, finance, 2027)
    assert after["parameters"] == DEFAULT_PARAMETERS
    assert after["version"] == version


def test_parameter_document_must_be_complete_enough(client, finance):
    version = _get(client, finance, 2027)["version"]
    response = client.put(
        f"{URL}/2027/parameters", json={"version": version, "status": "closed"}, headers=finance
    )
    assert invalid_fields(response) >= {"body.parameters", "body.status"}


def test_parameters_freeze_once_execution_starts(client, finance):
    started = _transition(client, finance, 2027, "start-execution")
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "executing"

    response = _put_parameters(
        client, finance, 2027, parameters(monitoring_due_day=15), started.json()["version"]
    )
    assert_problem(response, 409, "PARAMETERS_FROZEN")
    assert _get(client, finance, 2027)["parameters"] == DEFAULT_PARAMETERS

    closed = _transition(client, finance, 2027, "close")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    response = _put_parameters(
        client, finance, 2027, parameters(monitoring_due_day=15), closed.json()["version"]
    )
    assert_problem(response, 409, "PARAMETERS_FROZEN")


def test_status_changes_are_audited(client, finance):
    _transition(client, finance, 2027, "start-execution")
    events = client.get(
        "/api/v1/audit-events",
        params={"entity_type": "fiscal_year", "action": "fiscal_year.status_changed"},
        headers=finance,
    ).json()["items"]
    assert events[0]["changes"] == {
        "before": {"status": "preparing"},
        "after": {"status": "executing"},
    }


def test_illegal_transitions(client, finance):
    body = assert_problem(_transition(client, finance, 2027, "close"), 409, "INVALID_TRANSITION")
    assert (body["from"], body["to"]) == ("preparing", "closed")
    assert _get(client, finance, 2027)["status"] == "preparing"

    assert _transition(client, finance, 2027, "start-execution").status_code == 200
    body = assert_problem(
        _transition(client, finance, 2027, "start-execution"), 409, "INVALID_TRANSITION"
    )
    assert (body["from"], body["to"]) == ("executing", "executing")
    assert _transition(client, finance, 2027, "close").status_code == 200

    for action in ("start-execution", "close"):
        body = assert_problem(_transition(client, finance, 2027, action), 409, "INVALID_TRANSITION")
        assert body["from"] == "closed"
    assert _get(client, finance, 2027)["status"] == "closed"


def test_transition_needs_the_current_version(client, finance):
    assert_problem(
        client.post(f"{URL}/2027/start-execution", json={}, headers=finance),
        428,
        "VERSION_REQUIRED",
    )
    version = _get(client, finance, 2027)["version"]
    response = client.post(
        f"{URL}/2027/start-execution", json={"version": version + 1}, headers=finance
    )
    assert_problem(response, 409, "VERSION_CONFLICT")
    assert _get(client, finance, 2027)["status"] == "preparing"


@pytest.mark.parametrize("username", ["admin", "department", "unit", "expert", "oversight"])
def test_other_roles_read_but_cannot_change(client, auth, username):
    headers = auth(username)
    year = _get(client, headers, 2027)
    assert year["parameters"] == DEFAULT_PARAMETERS
    assert client.get(URL, headers=headers).json()["total"] == 1

    response = _put_parameters(
        client, headers, 2027, parameters(monitoring_due_day=15), year["version"]
    )
    assert_problem(response, 403, "PERMISSION_DENIED")
    assert_problem(client.post(URL, json={"year": 2028}, headers=headers), 403, "PERMISSION_DENIED")
    assert_problem(
        client.post(
            f"{URL}/2027/start-execution", json={"version": year["version"]}, headers=headers
        ),
        403,
        "PERMISSION_DENIED",
    )
    after = _get(client, headers, 2027)
    assert (after["status"], after["version"]) == ("preparing", year["version"])
    assert after["parameters"]["monitoring_due_day"] == 10


def test_unknown_year_answers_404(client, finance):
    assert_problem(client.get(f"{URL}/2030", headers=finance), 404, "NOT_FOUND")
    assert_problem(_put_parameters(client, finance, 2030, parameters(), 1), 404, "NOT_FOUND")
    assert_problem(
        client.post(f"{URL}/2030/close", json={"version": 1}, headers=finance), 404, "NOT_FOUND"
    )


def test_list_is_newest_first_and_filters_by_status(client, finance):
    for year in (2025, 2029, 2028):
        assert client.post(URL, json={"year": year}, headers=finance).status_code == 201
    assert _transition(client, finance, 2025, "start-execution").status_code == 200

    body = client.get(URL, headers=finance).json()
    assert [item["year"] for item in body["items"]] == [2029, 2028, 2027, 2025]
    assert (body["total"], body["limit"], body["offset"]) == (4, 20, 0)

    executing = client.get(URL, params={"status": "executing"}, headers=finance).json()
    assert [item["year"] for item in executing["items"]] == [2025]
    page = client.get(URL, params={"limit": 2, "offset": 1}, headers=finance).json()
    assert [item["year"] for item in page["items"]] == [2028, 2027]
    assert page["total"] == 4
    assert invalid_fields(client.get(URL, params={"limit": 101}, headers=finance)) == {
        "query.limit"
    }
    assert invalid_fields(client.get(URL, params={"status": "open"}, headers=finance)) == {
        "query.status"
    }


def test_fiscal_years_need_a_token(client):
    assert_problem(client.get(URL), 401, "NOT_AUTHENTICATED")
