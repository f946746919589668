"""One call starts a year's framework from the nearest earlier one (issue 3, S2.2.1)."""

from tests.indicators.conftest import framework_url, indicators_url
from tests.problems import assert_problem


def _copy(client, headers, year):
    return client.post(f"{framework_url(year)}/copy-forward", headers=headers)


def _indicators(client, headers, year):
    response = client.get(indicators_url(year), params={"limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_copies_the_active_indicators_of_the_nearest_earlier_framework(
    client, finance, add_framework, open_year
):
    add_framework("培训人次", description="按签到表统计")
    add_framework("群众获得感", category="social_effect", direction="qualitative", unit=None)
    withdrawn = add_framework("旧指标")
    client.post(
        f"{indicators_url()}/{withdrawn['id']}/deactivate", json={"version": 1}, headers=finance
    )
    open_year(2028)  # stays empty: the nearest year *with a framework* is 2027
    open_year(2029)

    response = _copy(client, finance, 2029)
    assert response.status_code == 200, response.text
    assert response.json() == {"year": 2029, "source_year": 2027, "copied": 2}

    copies = _indicators(client, finance, 2029)
    originals = _indicators(client, finance, 2027)
    fields = ("category", "name", "direction", "unit", "description", "is_active")
    assert [{f: c[f] for f in fields} for c in copies] == [
        {f: o[f] for f in fields} for o in originals if o["is_active"]
    ]
    assert {c["id"] for c in copies}.isdisjoint({o["id"] for o in originals})
    assert all(c["version"] == 1 for c in copies)

    # the copy is the new year's own: changing it leaves the source alone
    copy = copies[0]
    response = client.patch(
        f"{indicators_url(2029)}/{copy['id']}",
        json={"name": "培训人数", "version": 1},
        headers=finance,
    )
    assert response.status_code == 200, response.text
    assert _indicators(client, finance, 2027)[0]["name"] == "培训人次"


def test_the_nearest_earlier_year_wins(client, finance, add_framework, open_year):
    add_framework("2027年的指标")
    open_year(2028)
    add_framework("2028年的指标", year=2028)
    open_year(2029)
    assert _copy(client, finance, 2029).json() == {"year": 2029, "source_year": 2028, "copied": 1}
    assert [i["name"] for i in _indicators(client, finance, 2029)] == ["2028年的指标"]


def test_refuses_a_second_copy(client, finance, add_framework, open_year):
    add_framework("培训人次")
    open_year(2028)
    assert _copy(client, finance, 2028).status_code == 200
    body = assert_problem(_copy(client, finance, 2028), 409, "FRAMEWORK_NOT_EMPTY")
    assert "2028" in body["detail"]
    assert len(_indicators(client, finance, 2028)) == 1


def test_refuses_a_framework_that_was_started_by_hand(client, finance, add_framework, open_year):
    add_framework("培训人次")
    open_year(2028)
    withdrawn = add_framework("手工指标", year=2028)
    client.post(
        f"{indicators_url(2028)}/{withdrawn['id']}/deactivate",
        json={"version": 1},
        headers=finance,
    )
    # even a framework of withdrawn indicators is not empty
    assert_problem(_copy(client, finance, 2028), 409, "FRAMEWORK_NOT_EMPTY")


def test_refuses_without_an_earlier_framework(client, finance, add_framework, open_year):
    assert_problem(_copy(client, finance, 2027), 409, "NO_EARLIER_FRAMEWORK")
    add_framework("培训人次")
    open_year(2026)  # earlier than the only framework
    assert_problem(_copy(client, finance, 2026), 409, "NO_EARLIER_FRAMEWORK")
    assert _indicators(client, finance, 2026) == []


def test_a_framework_of_withdrawn_indicators_is_no_source(
    client, finance, add_framework, open_year
):
    withdrawn = add_framework("旧指标")
    client.post(
        f"{indicators_url()}/{withdrawn['id']}/deactivate", json={"version": 1}, headers=finance
    )
    open_year(2028)
    assert_problem(_copy(client, finance, 2028), 409, "NO_EARLIER_FRAMEWORK")


def test_a_missing_year_is_404(client, finance):
    assert_problem(_copy(client, finance, 2031), 404, "NOT_FOUND")
