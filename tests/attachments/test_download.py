"""Downloads: for those who may see the owner only, under the file's own name and sniffed
type, with nothing left for a browser to guess."""

from urllib.parse import quote

import pytest

from perfbudget.principal import Role
from tests.assessments.conftest import assessment_url
from tests.attachments import samples
from tests.factories import STRONG_PASSWORD, demo_org, make_user
from tests.problems import assert_problem


@pytest.fixture
def reviewed(flow, upload):
    """An item of the education bureau whose assessment carries a PDF and is under review by
    the demo expert; returns (item id, attachment)."""
    item_id = flow.item("201")
    flow.draft(item_id)
    attachment = upload(item_id, "事前绩效评估报告.pdf", samples.pdf()).json()
    flow.submit(item_id)
    flow.assign(item_id, "expert")
    return item_id, attachment


def _download(client, auth, item_id, attachment_id, username):
    url = assessment_url(item_id, f"/attachments/{attachment_id}")
    return client.get(url, headers=auth(username))


@pytest.mark.parametrize("username", ["department", "finance", "oversight", "expert"])
def test_those_who_see_the_item_download(client, auth, reviewed, username):
    item_id, attachment = reviewed
    response = _download(client, auth, item_id, attachment["id"], username)
    assert response.status_code == 200, response.text
    assert response.content == samples.pdf()
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    assert f"filename*=UTF-8''{quote('事前绩效评估报告.pdf')}" in disposition
    assert 'filename="________.pdf"' in disposition  # an ASCII fallback for old clients
    assert int(response.headers["content-length"]) == attachment["size_bytes"]


@pytest.mark.parametrize(
    ("username", "status", "code"),
    [
        ("thirdparty", 404, "NOT_FOUND"),  # not assigned
        ("unit", 404, "NOT_FOUND"),  # the parent's item
        ("investment", 404, "NOT_FOUND"),  # not capital construction
        ("admin", 403, "PERMISSION_DENIED"),
    ],
)
def test_those_who_cannot_see_the_item_cannot_download(
    client, auth, reviewed, username, status, code
):
    item_id, attachment = reviewed
    response = _download(client, auth, item_id, attachment["id"], username)
    assert_problem(response, status, code)
    assert samples.pdf() not in response.content


def test_an_unassigned_expert_gets_404_until_assigned(flow, upload, client, auth):
    item_id = flow.item("201")
    flow.draft(item_id)
    attachment = upload(item_id, "报告.xlsx", samples.xlsx()).json()
    flow.submit(item_id)
    for username in ("expert", "thirdparty"):
        response = _download(client, auth, item_id, attachment["id"], username)
        missing = _download(client, auth, 987654321, attachment["id"], username)
        assert_problem(response, 404, "NOT_FOUND")
        assert response.json()["detail"] == missing.json()["detail"]
        read = client.get(assessment_url(item_id), headers=auth(username))
        assert_problem(read, 404, "NOT_FOUND")
    flow.assign(item_id, "thirdparty")
    allowed = _download(client, auth, item_id, attachment["id"], "thirdparty")
    assert allowed.status_code == 200
    assert allowed.content == samples.xlsx()
    assert allowed.headers["content-type"] == samples.XLSX_TYPE
    assert_problem(_download(client, auth, item_id, attachment["id"], "expert"), 404, "NOT_FOUND")


def test_a_foreign_department_gets_404(flow, client, auth, db, login):
    health_user = make_user(db, role=Role.department, organisation=demo_org(db, "202"))
    health = {"Authorization": f"Bearer {login(health_user.username, STRONG_PASSWORD)}"}
    item_id = flow.item("202")
    filed = client.put(assessment_url(item_id), json={}, headers=health)
    assert filed.status_code == 200, filed.text
    sent = client.post(
        assessment_url(item_id, "/attachments"),
        files={"file": ("卫健委报告.docx", samples.docx(), "application/octet-stream")},
        headers=health,
    )
    assert sent.status_code == 201, sent.text
    own = client.get(assessment_url(item_id, f"/attachments/{sent.json()['id']}"), headers=health)
    assert own.status_code == 200
    assert own.headers["content-type"] == samples.DOCX_TYPE
    for username in ("department", "unit", "expert", "thirdparty", "investment"):
        response = _download(client, auth, item_id, sent.json()["id"], username)
        assert_problem(response, 404, "NOT_FOUND")


def test_an_attachment_is_reached_only_through_its_own_item(flow, upload, client, auth, reviewed):
    item_id, attachment = reviewed
    other = flow.item("201")
    flow.draft(other)
    response = _download(client, auth, other, attachment["id"], "finance")
    assert_problem(response, 404, "NOT_FOUND")
    assert_problem(_download(client, auth, item_id, 987654, "finance"), 404, "NOT_FOUND")


def test_an_item_without_an_assessment_has_no_attachments(flow, client, auth):
    assert_problem(_download(client, auth, flow.item(), 1, "finance"), 404, "NOT_FOUND")


def test_content_missing_from_storage_is_reported(client, auth, reviewed, attachments_dir):
    item_id, attachment = reviewed
    sha = attachment["sha256"]
    (attachments_dir / sha[:2] / sha).unlink()
    response = _download(client, auth, item_id, attachment["id"], "finance")
    assert_problem(response, 404, "ATTACHMENT_CONTENT_MISSING")
