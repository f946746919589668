"""Tiny but genuine files of each kind, built in memory, and impostors."""

import io
import zipfile

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pdf(padding: int = 0) -> bytes:
    body = (
        b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
        b"trailer <</Root 1 0 R>>\n"
    )
    return body + b"%" + b"x" * padding + b"\n%%EOF\n"


def pdf_of_size(size: int) -> bytes:
    base = pdf()
    return pdf(size - len(base))


def _content_types(main_part: str, main_type: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/>'
        "</Types>"
    )


def _package(parts: dict[str, str | bytes]) -> bytes:
    """The same bytes on every call: a fixed timestamp, not the clock's."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 26, 0, 0, 0))
            archive.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="{target}"/></Relationships>'
)


def docx(text: str = "事前绩效评估报告") -> bytes:
    return _package(
        {
            "[Content_Types].xml": _content_types("word/document.xml", DOCX_MAIN),
            "_rels/.rels": RELS.format(target="word/document.xml"),
            "word/document.xml": (
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                f'main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>'
            ),
        }
    )


def xlsx() -> bytes:
    return _package(
        {
            "[Content_Types].xml": _content_types("xl/workbook.xml", XLSX_MAIN),
            "_rels/.rels": RELS.format(target="xl/workbook.xml"),
            "xl/workbook.xml": (
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                "<sheets/></workbook>"
            ),
        }
    )


def docm() -> bytes:
    """A macro-enabled Word file: the same zip shape, another main type, and macros."""
    return _package(
        {
            "[Content_Types].xml": _content_types("word/document.xml", DOCM_MAIN),
            "_rels/.rels": RELS.format(target="word/document.xml"),
            "word/document.xml": "<w:document/>",
            "word/vbaProject.bin": b"\x00macro",
        }
    )


def docx_with_macros() -> bytes:
    """Claims to be a plain document but carries a macro project."""
    return _package(
        {
            "[Content_Types].xml": _content_types("word/document.xml", DOCX_MAIN),
            "word/document.xml": "<w:document/>",
            "word/vbaProject.bin": b"\x00macro",
        }
    )


def plain_zip() -> bytes:
    return _package({"readme.txt": "not a document", "word/fake.xml": "<x/>"})


def _ole2_entry(name: str, kind: int) -> bytes:
    encoded = name.encode("utf-16-le") + b"\x00\x00"
    entry = bytearray(128)
    entry[: len(encoded)] = encoded
    entry[64:66] = len(encoded).to_bytes(2, "little")
    entry[66] = kind  # 5 root storage, 2 stream
    return bytes(entry)


def ole2(stream: str = "WordDocument") -> bytes:
    """A compound file: header, then one directory sector naming the root and one stream."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[0x1A:0x1C] = (3).to_bytes(2, "little")  # major version 3
    header[0x1C:0x1E] = b"\xfe\xff"  # little-endian
    header[0x1E:0x20] = (9).to_bytes(2, "little")  # 512-byte sectors
    header[0x30:0x34] = (0).to_bytes(4, "little")  # directory starts at sector 0
    directory = _ole2_entry("Root Entry", 5) + _ole2_entry(stream, 2) + bytes(256)
    return bytes(header) + directory + bytes(512)


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)


def exe() -> bytes:
    return b"MZ\x90\x00" + bytes(60) + b"PE\x00\x00" + bytes(200)
