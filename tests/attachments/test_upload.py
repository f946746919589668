"""Uploads: PDF, Word and Excel only, typed by their content, at most 20 MB, kept once per
SHA-256 under the attachments directory, and audited."""

import hashlib
import os
import time

import pytest

from perfbudget.config import get_settings
from tests.assessments.conftest import assessment_url, audit_events
from tests.attachments import samples
from tests.attachments.conftest import stored_files
from tests.problems import assert_problem, invalid_fields

ACCEPTED = [
    ("评估报告.pdf", samples.pdf(), "application/pdf"),
    ("报告.docx", samples.docx(), samples.DOCX_TYPE),
    ("测算表.xlsx", samples.xlsx(), samples.XLSX_TYPE),
    ("旧版报告.doc", samples.ole2("WordDocument"), "application/msword"),
    ("旧版测算表.xls", samples.ole2("Workbook"), "application/vnd.ms-excel"),
    ("Excel95.xls", samples.ole2("Book"), "application/vnd.ms-excel"),
    ("UPPER.PDF", samples.pdf(), "application/pdf"),
]


@pytest.mark.parametrize(("filename", "content", "content_type"), ACCEPTED)
def test_pdf_word_and_excel_are_accepted_and_typed_by_content(
    draft_item, upload, flow, attachments_dir, filename, content, content_type
):
    response = upload(draft_item, filename, content, content_type="text/plain")
    assert response.status_code == 201, response.text
    body = response.json()
    sha = hashlib.sha256(content).hexdigest()
    assert body["filename"] == filename
    assert body["content_type"] == content_type  # sniffed, not what the client said
    assert body["size_bytes"] == len(content)
    assert body["sha256"] == sha
    assert body["uploaded_by_id"] is not None and body["uploaded_at"]
    assert stored_files(attachments_dir) == [f"{sha[:2]}/{sha}"]
    assert (attachments_dir / sha[:2] / sha).read_bytes() == content
    assert flow.read(draft_item)["attachments"] == [body]


REFUSED = [
    ("picture.png", samples.png(), None),  # a type we do not take
    ("picture.pdf", samples.png(), None),  # a PNG under a PDF's name
    ("setup.pdf", samples.exe(), None),  # a program under a PDF's name
    ("setup.exe", samples.exe(), None),
    ("report.docx", samples.pdf(), "pdf"),  # real PDF, wrong name
    ("table.xlsx", samples.docx(), "docx"),
    ("report.doc", samples.docx(), "docx"),  # the legacy name on an OOXML file
    ("table.xls", samples.ole2("WordDocument"), "doc"),
    ("report.docx", samples.plain_zip(), None),  # a zip that is no document
    ("report.docx", samples.docm(), None),  # macro-enabled
    ("report.docx", samples.docx_with_macros(), None),
    ("slides.doc", samples.ole2("PowerPoint Document"), None),  # some other compound file
    ("empty.pdf", b"", None),
    ("no-extension", samples.pdf(), None),
    ("report.pdf.exe", samples.pdf(), None),
    ("notes.txt", b"%PDF-1.4 pretending", None),
]


@pytest.mark.parametrize(("filename", "content", "detected"), REFUSED)
def test_other_types_and_name_type_mismatches_are_refused(
    draft_item, upload, flow, attachments_dir, filename, content, detected
):
    response = upload(draft_item, filename, content, content_type="application/pdf")
    body = assert_problem(response, 415, "ATTACHMENT_TYPE_NOT_ALLOWED")
    assert body["allowed"] == [".doc", ".docx", ".pdf", ".xls", ".xlsx"]
    assert body["detected"] == detected
    assert stored_files(attachments_dir) == []  # not even a temporary file is left
    assert flow.read(draft_item)["attachments"] == []


def test_an_oversize_file_is_refused_with_413(
    draft_item, upload, flow, attachments_dir, monkeypatch
):
    monkeypatch.setattr(get_settings(), "max_attachment_bytes", 1024)
    exactly = upload(draft_item, "exact.pdf", samples.pdf_of_size(1024))
    assert exactly.status_code == 201, exactly.text
    assert exactly.json()["size_bytes"] == 1024
    over = upload(draft_item, "over.pdf", samples.pdf_of_size(1025))
    body = assert_problem(over, 413, "ATTACHMENT_TOO_LARGE")
    assert body["limit_bytes"] == 1024
    assert len(stored_files(attachments_dir)) == 1
    assert [a["filename"] for a in flow.read(draft_item)["attachments"]] == ["exact.pdf"]


def test_the_default_limit_is_20_mib(draft_item, upload, attachments_dir):
    limit = 20 * 1024 * 1024
    assert get_settings().max_attachment_bytes == limit
    response = upload(draft_item, "huge.pdf", samples.pdf_of_size(limit + 1))
    assert assert_problem(response, 413, "ATTACHMENT_TOO_LARGE")["limit_bytes"] == limit
    assert stored_files(attachments_dir) == []


def test_the_same_content_is_stored_once(flow, upload, attachments_dir):
    first_item, second_item = flow.item(), flow.item()
    flow.draft(first_item)
    flow.draft(second_item)
    content = samples.docx("同一份报告")
    one = upload(first_item, "a.docx", content).json()
    two = upload(second_item, "b.docx", content).json()
    again = upload(first_item, "a-copy.docx", content).json()
    assert one["sha256"] == two["sha256"] == again["sha256"]
    assert len({one["id"], two["id"], again["id"]}) == 3
    assert len(stored_files(attachments_dir)) == 1
    assert [a["filename"] for a in flow.read(first_item)["attachments"]] == [
        "a.docx",
        "a-copy.docx",
    ]
    assert [a["filename"] for a in flow.read(second_item)["attachments"]] == ["b.docx"]


def test_content_kept_again_is_young_again(draft_item, upload, attachments_dir):
    """Content already on disk (orphaned long ago, say) is touched when uploaded again: the
    new row may not be committed when `maintenance purge` looks at the file's age."""
    content = samples.pdf(padding=7)
    sha = upload(draft_item, "a.pdf", content).json()["sha256"]
    path = attachments_dir / sha[:2] / sha
    os.utime(path, (0, 0))  # 1970
    assert upload(draft_item, "again.pdf", content).status_code == 201
    assert path.stat().st_mtime > time.time() - 3600
    assert stored_files(attachments_dir) == [f"{sha[:2]}/{sha}"]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("C:\\fakepath\\评估报告.pdf", "评估报告.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("  报告.pdf  ", "报告.pdf"),
        ("report.pdf.", "report.pdf"),
        ("长" * 300 + ".pdf", "长" * 251 + ".pdf"),
    ],
)
def test_the_filename_is_cleaned(draft_item, upload, sent, kept):
    response = upload(draft_item, sent, samples.pdf())
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == kept


def test_a_file_is_required(draft_item, client, auth):
    response = client.post(
        assessment_url(draft_item, "/attachments"),
        data={"note": "no file"},
        headers=auth("department"),
    )
    assert "body.file" in invalid_fields(response)


def test_attachments_belong_to_a_draft_assessment(flow, upload, client, auth):
    without = flow.item()
    assert_problem(upload(without, "a.pdf", samples.pdf()), 404, "NOT_FOUND")
    item_id = flow.item()
    flow.draft(item_id)
    kept = upload(item_id, "a.pdf", samples.pdf()).json()
    flow.submit(item_id)
    assert_problem(upload(item_id, "b.pdf", samples.pdf()), 409, "ASSESSMENT_NOT_EDITABLE")
    delete = client.delete(
        assessment_url(item_id, f"/attachments/{kept['id']}"), headers=auth("department")
    )
    assert_problem(delete, 409, "ASSESSMENT_NOT_EDITABLE")


@pytest.mark.parametrize(
    ("username", "status", "code"),
    [
        ("finance", 403, "PERMISSION_DENIED"),
        ("oversight", 403, "PERMISSION_DENIED"),
        ("expert", 403, "PERMISSION_DENIED"),
        ("thirdparty", 403, "PERMISSION_DENIED"),
        ("admin", 403, "PERMISSION_DENIED"),
        ("unit", 404, "NOT_FOUND"),
        ("investment", 404, "NOT_FOUND"),
    ],
)
def test_only_the_filer_uploads(draft_item, upload, username, status, code):
    assert_problem(upload(draft_item, "a.pdf", samples.pdf(), user=username), status, code)


def test_capital_construction_attachments_come_from_the_investment_authority(flow, upload):
    item_id = flow.item("201", capital_construction=True)
    flow.draft(item_id, "investment")
    refused = upload(item_id, "a.pdf", samples.pdf(), user="department")
    assert_problem(refused, 403, "INVESTMENT_AUTHORITY_ASSESSES")
    assert upload(item_id, "a.pdf", samples.pdf(), user="investment").status_code == 201


def test_a_draft_attachment_can_be_removed(draft_item, upload, client, auth, flow, attachments_dir):
    kept = upload(draft_item, "keep.xlsx", samples.xlsx()).json()
    dropped = upload(draft_item, "drop.pdf", samples.pdf()).json()
    url = assessment_url(draft_item, f"/attachments/{dropped['id']}")
    response = client.delete(url, headers=auth("department"))
    assert response.status_code == 204
    assert flow.read(draft_item)["attachments"] == [kept]
    assert_problem(client.delete(url, headers=auth("department")), 404, "NOT_FOUND")
    assert_problem(client.get(url, headers=auth("finance")), 404, "NOT_FOUND")
    assert len(stored_files(attachments_dir)) == 2  # bytes stay: others may share them
    events = audit_events(client, auth, entity_type="attachment", entity_id=str(dropped["id"]))
    assert [e["action"] for e in events] == ["attachment.deleted", "attachment.uploaded"]
    assert events[0]["changes"]["before"]["filename"] == "drop.pdf"


def test_an_upload_is_audited(draft_item, upload, client, auth, flow):
    body = upload(draft_item, "评估报告.pdf", samples.pdf()).json()
    (event,) = audit_events(client, auth, entity_type="attachment", entity_id=str(body["id"]))
    assert event["action"] == "attachment.uploaded"
    assert event["username"] == "department"
    assert event["changes"]["after"] == {
        "owner_type": "assessment",
        "owner_id": flow.read(draft_item)["id"],
        "filename": "评估报告.pdf",
        "content_type": "application/pdf",
        "size_bytes": len(samples.pdf()),
        "sha256": body["sha256"],
    }


def test_a_refused_upload_leaves_no_row_and_no_event(draft_item, upload, client, auth, flow):
    before = audit_events(client, auth, limit=1)[0]["seq"]
    assert upload(draft_item, "setup.pdf", samples.exe()).status_code == 415
    assert audit_events(client, auth, limit=1)[0]["seq"] == before
    assert flow.read(draft_item)["attachments"] == []
