"""Every change to the framework or a library leaves an audit event; a refusal leaves none."""

from tests.factories import demo_org
from tests.indicators.conftest import LIBRARY, framework_body, framework_url, indicators_url


def _events(client, auth, **params):
    response = client.get("/api/v1/audit-events", params=params, headers=auth("finance"))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_framework_writes_are_audited(client, auth, finance, add_framework, open_year):
    indicator = add_framework("培训人次")
    url = f"{indicators_url()}/{indicator['id']}"
    client.patch(url, json={"name": "培训人数", "version": 1}, headers=finance)
    client.patch(url, json={"name": "培训人数", "version": 2}, headers=finance)  # no change
    client.post(f"{url}/deactivate", json={"version": 2}, headers=finance)
    client.post(f"{url}/activate", json={"version": 3}, headers=finance)
    client.post(indicators_url(), json=framework_body("培训人数"), headers=finance)  # refused

    events = _events(client, auth, entity_type="framework_indicator")
    assert [e["action"] for e in events] == [
        "framework_indicator.activated",
        "framework_indicator.deactivated",
        "framework_indicator.updated",
        "framework_indicator.created",
    ]
    activated, deactivated, updated, created = events
    assert {e["entity_id"] for e in events} == {str(indicator["id"])}
    assert {e["username"] for e in events} == {"finance"}
    assert created["changes"]["after"]["name"] == "培训人次"
    assert created["changes"]["after"]["category"] == "quantity"
    assert updated["changes"] == {"before": {"name": "培训人次"}, "after": {"name": "培训人数"}}
    assert deactivated["changes"] == {"before": {"is_active": True}, "after": {"is_active": False}}
    assert activated["changes"] == {"before": {"is_active": False}, "after": {"is_active": True}}

    open_year(2028)
    client.post(f"{framework_url(2028)}/copy-forward", headers=finance)
    client.post(f"{framework_url(2028)}/copy-forward", headers=finance)  # refused
    (copied,) = _events(client, auth, action="indicator_framework.copied_forward")
    assert (copied["entity_type"], copied["entity_id"]) == ("fiscal_year", "2028")
    assert copied["changes"] == {"source_year": 2027, "copied": 1}


def test_library_writes_are_audited(client, db, auth, department, add_library):
    education = demo_org(db, "201")
    indicator = add_library("升学率", education.id, sector="教育")
    url = f"{LIBRARY}/{indicator['id']}"
    client.patch(url, json={"sector": None, "version": 1}, headers=department)
    client.post(f"{url}/deactivate", json={"version": 2}, headers=department)
    client.post(f"{url}/activate", json={"version": 3}, headers=department)

    events = _events(client, auth, entity_type="library_indicator", entity_id=str(indicator["id"]))
    assert [e["action"] for e in events] == [
        "library_indicator.activated",
        "library_indicator.deactivated",
        "library_indicator.updated",
        "library_indicator.created",
    ]
    created = events[-1]
    assert created["username"] == "department"
    assert created["organisation_id"] == education.id
    assert created["changes"]["after"]["organisation_id"] == education.id
    assert events[2]["changes"] == {"before": {"sector": "教育"}, "after": {"sector": None}}


def test_chain_stays_intact(client, auth, add_framework, add_library, db):
    add_framework("培训人次")
    add_library("升学率", demo_org(db, "201").id)
    verified = client.get("/api/v1/audit-events/verify", headers=auth("oversight")).json()
    assert verified["intact"] is True
