"""Finance and oversight read the overview, the compliance listing and the queue; nobody
else does (department users answer for their own reports through tests/monitoring)."""

import pytest

from tests.overview.conftest import COMPLIANCE, OVERVIEW, QUEUE
from tests.problems import assert_problem

READERS = ("finance", "oversight")
OTHERS = ("admin", "department", "unit", "expert", "thirdparty", "investment")
URLS = [(OVERVIEW, {"month": 6}), (COMPLIANCE, {"month": 6}), (QUEUE, {})]


@pytest.mark.parametrize(("url", "params"), URLS)
@pytest.mark.parametrize("user", READERS)
def test_finance_and_oversight_read(flow, url, params, user):
    response = flow.client.get(url, params=params, headers=flow.auth(user))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("url", "params"), URLS)
@pytest.mark.parametrize("user", OTHERS)
def test_other_roles_are_refused(flow, url, params, user):
    response = flow.client.get(url, params=params, headers=flow.auth(user))
    assert_problem(response, 403, "PERMISSION_DENIED")


@pytest.mark.parametrize(("url", "params"), URLS)
def test_no_token_no_figures(flow, url, params):
    assert_problem(flow.client.get(url, params=params), 401, "NOT_AUTHENTICATED")
