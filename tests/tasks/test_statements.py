"""Both endpoints answer in a fixed number of statements, whatever the county's size."""

from tests.tasks.conftest import TASKS, start_execution
from tests.tasks.county import FILLED, grow

USERS = ("finance", "department", "unit", "expert", "thirdparty", "investment", "oversight")


def _statements(flow, count_queries, user, url, **params):
    count_queries.statements.clear()
    response = flow.client.get(url, params=params, headers=flow.auth(user))
    assert response.status_code == 200, response.text
    return count_queries.count, response.json()["total"]


def test_the_statement_count_does_not_grow_with_the_county(flow, db, count_queries):
    start_execution(flow)
    grow(db, 1)
    calls = [(TASKS, {}), (TASKS, {"limit": 2, "offset": 1}), (f"{TASKS}/summary", {})]
    cases = [(user, url, params) for user in USERS for url, params in calls]
    small = [_statements(flow, count_queries, user, url, **params) for user, url, params in cases]
    grow(db, 6)
    for (user, url, params), (statements, total) in zip(cases, small, strict=True):
        more, grown = _statements(flow, count_queries, user, url, **params)
        assert more == statements, (user, url, params, count_queries.statements)
        assert (grown > total) is bool(FILLED[user]), (user, url, total, grown)
    # what it costs: the reviewers' queues in one statement; an owner's facts in three more
    first = {
        user: statements
        for (user, url, params), (statements, _) in zip(cases, small, strict=True)
        if url == TASKS and not params
    }
    finance, department, oversight = first["finance"], first["department"], first["oversight"]
    assert finance - oversight == 3  # the queues; what may be published, what is
    assert department - oversight == 4  # the queues; the items, their years, their reports
