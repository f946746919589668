"""The self-evaluation's attachments are a page, oldest first."""

from tests.evaluations.conftest import url
from tests.problems import invalid_fields

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_attachments_page_oldest_first(evaluator):
    item = evaluator.funded()
    assert evaluator.file(item["id"]).status_code == 200
    for name in ("自评报告.pdf", "佐证材料.pdf"):
        upload = evaluator.client.post(
            url(item["id"], "/attachments"),
            files={"file": (name, PDF, "application/pdf")},
            headers=evaluator.auth("department"),
        )
        assert upload.status_code == 201, upload.text

    def page(**params):
        return evaluator.client.get(
            url(item["id"], "/attachments"), params=params, headers=evaluator.auth("finance")
        )

    first = page(limit=1).json()
    assert (first["total"], first["limit"], first["offset"]) == (2, 1, 0)
    assert [a["filename"] for a in first["items"]] == ["自评报告.pdf"]
    assert [a["filename"] for a in page(limit=1, offset=1).json()["items"]] == ["佐证材料.pdf"]
    assert invalid_fields(page(limit=101)) == {"query.limit"}
