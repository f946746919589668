"""The lockout holds when wrong passwords arrive at the same moment (several workers, or
one worker's threads): each failure waits for the name's failure records and counts on from
the one before, so the fifth locks however the attempts interleave."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from perfbudget.config import get_settings
from perfbudget.demo.loader import DEMO_PASSWORD
from tests.isolated import served_county
from tests.problems import assert_problem

TOKEN = "/api/v1/auth/token"
ATTEMPTS = 8  # more than the threshold of five


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Engine]]:
    with served_county(tmp_path_factory.mktemp("lockout"), "lockout") as county:
        yield county


def test_simultaneous_wrong_passwords_lock_the_account(served):
    client, _ = served

    def wrong(_: int) -> str:
        response = client.post(TOKEN, data={"username": "expert", "password": "Wr0ng!Password"})
        assert response.status_code == 401, response.text
        return str(response.json()["code"])

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        codes = list(pool.map(wrong, range(ATTEMPTS)))

    # the fifth failure locks; those after it are refused as locked, not counted afresh
    assert codes.count("INVALID_CREDENTIALS") == 4, codes
    assert codes.count("ACCOUNT_LOCKED") == ATTEMPTS - 4, codes
    refused = client.post(TOKEN, data={"username": "expert", "password": DEMO_PASSWORD})
    assert_problem(refused, 401, "ACCOUNT_LOCKED")
    assert int(refused.headers["Retry-After"]) > 0


def test_simultaneous_wrong_passwords_from_many_addresses_count_account_wide(
    served, monkeypatch: pytest.MonkeyPatch
):
    """The account-wide count holds as well: each address's attempt waits for the name's
    record and counts on from the one before."""
    client, _ = served
    monkeypatch.setattr(get_settings(), "account_lockout_threshold", 5)
    clients = [
        TestClient(client.app, raise_server_exceptions=False, client=(f"203.0.113.{n}", 50000))
        for n in range(1, ATTEMPTS + 1)
    ]

    def wrong(attacker: TestClient) -> str:
        response = attacker.post(TOKEN, data={"username": "oversight", "password": "Wr0ng!Pass"})
        assert response.status_code == 401, response.text
        return str(response.json()["code"])

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        codes = list(pool.map(wrong, clients))

    # one failure from each address: only the account-wide count can lock
    assert codes.count("INVALID_CREDENTIALS") == 4, codes
    assert codes.count("ACCOUNT_LOCKED") == ATTEMPTS - 4, codes
    for attacker in clients:
        attacker.close()
