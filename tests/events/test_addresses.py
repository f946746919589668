"""Issue 12: a subscription cannot point the deliverer into the bureau's own network, nor
carry credentials in its URL; an installation lists its intranet receivers on purpose."""

from typing import Any

import pytest

from perfbudget.config import Environment, get_settings
from tests.events.conftest import SUBSCRIPTIONS, Dns, Events
from tests.problems import assert_problem

PUBLIC_IP = "36.112.10.20"
HOSTILE = [
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:8000/api/v1/users",
    "http://127.1/hook",
    "http://2130706433/hook",
    "http://localhost/hook",
    "http://0.0.0.0/hook",
    "http://10.0.0.5/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[ff02::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:a9fe:a9fe]/hook",
    "http://[64:ff9b::a9fe:a9fe]/hook",
    "http://metadata.internal/computeMetadata/v1/",
    "http://split.example.cn/hook",
    "http://mapped.example.cn/hook",
    "https://nowhere.example.cn/hook",
    "https://user:pw@public.example.cn/hook",
    "https://:pw@public.example.cn/hook",
    "https://user:pw@treasury.example.gov.cn/hook",
]


@pytest.fixture(autouse=True)
def names(dns: Dns) -> Dns:
    dns.records.update(
        {
            "public.example.cn": [PUBLIC_IP],
            "metadata.internal": ["169.254.169.254"],
            "split.example.cn": [PUBLIC_IP, "10.0.0.7"],
            "mapped.example.cn": ["::ffff:192.168.0.1"],
            "nowhere.example.cn": [],
        }
    )
    return dns


def body(url: str) -> dict[str, Any]:
    return {"name": "内网探测", "url": url, "event_types": ["budget.decided"]}


def stored_urls(events: Events) -> list[str]:
    response = events.client.get(SUBSCRIPTIONS, headers=events.auth("admin"))
    assert response.status_code == 200, response.text
    return [subscription["url"] for subscription in response.json()["items"]]


@pytest.mark.parametrize("url", HOSTILE)
def test_an_internal_or_credentialed_url_is_refused_and_not_stored(events: Events, url: str):
    response = events.client.post(SUBSCRIPTIONS, json=body(url), headers=events.auth("admin"))
    problem = assert_problem(response, 422, "SUBSCRIPTION_URL_REFUSED")
    assert "pw" not in response.text  # the answer names the host, never the password
    assert stored_urls(events) == []

    created = events.subscribe(url="https://public.example.cn/hook")
    patched = events.client.patch(
        f"{SUBSCRIPTIONS}/{created['id']}",
        json={"version": 1, "url": url},
        headers=events.auth("admin"),
    )
    assert assert_problem(patched, 422, "SUBSCRIPTION_URL_REFUSED")["detail"] == problem["detail"]
    assert stored_urls(events) == ["https://public.example.cn/hook"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://nowhere.example.cn/hook", "does not resolve"),
        ("http://169.254.169.254/", "link-local"),
        ("http://metadata.internal/", "link-local"),
        ("https://user:pw@public.example.cn/", "user name or password"),
    ],
)
def test_the_refusal_says_why(events: Events, url: str, reason: str):
    response = events.client.post(
        SUBSCRIPTIONS, json=body(url), headers={**events.auth("admin"), "Accept-Language": "en"}
    )
    assert reason in assert_problem(response, 422, "SUBSCRIPTION_URL_REFUSED")["detail"]


def test_a_host_resolving_to_public_addresses_is_accepted(events: Events):
    created = events.subscribe(url="http://public.example.cn:8443/hooks/perfbudget")
    assert created["url"] == "http://public.example.cn:8443/hooks/perfbudget"
    assert events.subscribe(url=f"https://{PUBLIC_IP}/hook")["is_active"] is True


@pytest.mark.parametrize(
    ("url", "listed"),
    [
        ("http://127.0.0.1:9000/hook", "127.0.0.1"),
        ("http://[::1]:9000/hook", "[::1]"),
        ("http://Treasury.Intranet./hook", "treasury.intranet"),
        ("http://metadata.internal/hook", "METADATA.internal"),
    ],
)
def test_an_allowed_host_may_be_internal(events: Events, allowed_hosts, url: str, listed: str):
    admin = events.auth("admin")
    assert_problem(
        events.client.post(SUBSCRIPTIONS, json=body(url), headers=admin),
        422,
        "SUBSCRIPTION_URL_REFUSED",
    )
    allowed_hosts.append(listed)
    assert events.subscribe(url=url)["url"] == url


def test_production_sends_over_https_only(events: Events, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(get_settings(), "env", Environment.production)
    admin = events.auth("admin")
    for url in ("http://public.example.cn/hook", "http://treasury.example.gov.cn/hook"):
        response = events.client.post(SUBSCRIPTIONS, json=body(url), headers=admin)
        assert_problem(response, 422, "SUBSCRIPTION_URL_REFUSED")
    assert stored_urls(events) == []
    assert events.subscribe(url="https://public.example.cn/hook")["is_active"] is True


def test_an_out_of_range_port_is_an_invalid_url(events: Events):
    response = events.client.post(
        SUBSCRIPTIONS, json=body("https://public.example.cn:99999/"), headers=events.auth("admin")
    )
    assert_problem(response, 422, "SUBSCRIPTION_URL_INVALID")
