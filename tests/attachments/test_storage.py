"""The storage primitives other stages reuse: bounded reads, clean names, safe headers."""

import io

import pytest

from perfbudget.attachments import service, storage
from tests.attachments import samples


class EndlessStream(io.RawIOBase):
    """Zeros for ever, counting what was read: an upload that never stops."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "an unbounded read"
        self.served += size
        return bytes(size)


def test_spooling_reads_at_most_one_byte_past_the_limit(tmp_path):
    stream = EndlessStream()
    with pytest.raises(storage.TooLarge):
        storage.spool(stream, tmp_path, limit=100_000)
    assert stream.served == 100_001
    assert list(tmp_path.iterdir()) == []


def test_spooling_hashes_and_counts(tmp_path):
    content = samples.pdf(padding=200_000)  # several chunks
    spooled = storage.spool(io.BytesIO(content), tmp_path / "new", limit=len(content))
    assert spooled.size == len(content)
    assert spooled.path.parent == tmp_path / "new"
    assert spooled.path.read_bytes() == content
    kept = storage.keep(spooled, tmp_path / "new")
    assert kept == storage.blob_path(tmp_path / "new", spooled.sha256)
    assert not spooled.path.exists()


@pytest.mark.parametrize(
    ("content", "kinds"),
    [
        (samples.pdf(), {storage.FileKind.pdf}),
        (samples.docx(), {storage.FileKind.docx}),
        (samples.xlsx(), {storage.FileKind.xlsx}),
        (samples.ole2("WordDocument"), {storage.FileKind.doc}),
        (samples.ole2("Workbook"), {storage.FileKind.xls}),
        (samples.ole2("PowerPoint Document"), set()),
        (samples.ole2()[:8] + b"WordDocument", set()),  # a name outside any directory entry
        (b"PK\x03\x04 broken zip", set()),
        (samples.png(), set()),
        (b"", set()),
    ],
)
def test_sniffing_reads_the_content(tmp_path, content, kinds):
    path = tmp_path / "file"
    path.write_bytes(content)
    assert storage.sniff(path) == kinds


def test_directory_entries_are_found_in_any_chunk_but_only_on_the_128_byte_grid(tmp_path):
    head = samples.ole2("Unrelated")[:1024]
    word_entry = samples.ole2("WordDocument")[640:768]  # the second directory entry
    path = tmp_path / "big.doc"
    path.write_bytes(head + bytes(storage.CHUNK_BYTES) + word_entry)
    assert storage.sniff(path) == {storage.FileKind.doc}
    path.write_bytes(head + bytes(storage.CHUNK_BYTES + 64) + word_entry)
    assert storage.sniff(path) == set()


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("报告\x00\x1f.pdf", "报告.pdf"),
        ("..\\..\\报告.pdf", "报告.pdf"),
        ("/tmp/a.pdf", "a.pdf"),
        (".pdf", "pdf"),
        (None, ""),
        ("e\u0301.pdf", "\u00e9.pdf"),  # NFC
    ],
)
def test_filenames_are_cleaned(raw, clean):
    assert service.clean_filename(raw) == clean


def test_content_disposition_carries_an_ascii_fallback_and_the_exact_name():
    header = storage.content_disposition('预算"说明".pdf')
    assert header == (
        'attachment; filename="______.pdf"; '
        "filename*=UTF-8''%E9%A2%84%E7%AE%97%22%E8%AF%B4%E6%98%8E%22.pdf"
    )
    assert storage.content_disposition("plan.xlsx") == (
        "attachment; filename=\"plan.xlsx\"; filename*=UTF-8''plan.xlsx"
    )
