"""Lists load a page in a fixed number of statements, whatever its size."""

from tests.factories import demo_org
from tests.indicators.conftest import LIBRARY, indicators_url


def _statements(client, headers, url, count_queries):
    count_queries.statements.clear()
    response = client.get(url, params={"limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    return count_queries.count, response.json()["total"]


def test_framework_list_statement_count_does_not_grow(
    client, finance, add_framework, count_queries
):
    for n in range(2):
        add_framework(f"少量指标{n}")
    few, total_few = _statements(client, finance, indicators_url(), count_queries)
    for n in range(30):
        add_framework(f"大量指标{n}", category=("quantity", "quality", "social_effect")[n % 3])
    many, total_many = _statements(client, finance, indicators_url(), count_queries)
    assert (total_few, total_many) == (2, 32)
    assert few >= 2  # the count and the page at least
    assert many == few


def test_library_list_statement_count_does_not_grow(
    client, db, finance, department, add_library, count_queries
):
    owners = [demo_org(db, code).id for code in ("201", "201001", "201002")]
    add_library("少量指标", owners[0])
    few, total_few = _statements(client, department, LIBRARY, count_queries)
    few_finance, _ = _statements(client, finance, LIBRARY, count_queries)
    for n in range(30):
        add_library(f"大量指标{n}", owners[n % 3], sector=("教育", "卫生")[n % 2])
    many, total_many = _statements(client, department, LIBRARY, count_queries)
    many_finance, _ = _statements(client, finance, LIBRARY, count_queries)
    assert (total_few, total_many) == (1, 31)
    assert few >= 3  # the count, the page and the owners
    assert (many, many_finance) == (few, few_finance)
