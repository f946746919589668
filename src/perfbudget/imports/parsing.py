"""Reading an upload row by row: CSV (UTF-8, UTF-8 with BOM, GB18030), XLSX, JSON array.

Each reader yields ``(row_number, {header: value})`` for every row, ``None`` for a blank
one; row numbers are those a person sees in the file (the header is row 1), or the
element's position in a JSON array (from 1). Blank rows count toward the row limit, so a
file of nothing but empty rows is refused as soon as it passes it.
"""

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

from openpyxl import load_workbook

from perfbudget.errors import DomainError, PayloadTooLarge, Unprocessable

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON = "application/json"
FORMATS = (CSV, XLSX, JSON)

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
# an XLSX is a zip: refuse archives that would inflate far beyond their size (zip bombs)
MAX_INFLATION_RATIO = 100
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024

RawRow = dict[str, Any]


class UnsupportedMediaType(DomainError):
    status_code = 415


def unsupported(content_type: str) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        "UNSUPPORTED_MEDIA_TYPE",
        f"Upload text/csv, an XLSX workbook or a JSON array, not {content_type or 'nothing'}.",
        f"请上传 CSV、XLSX 或 JSON 数组文件，不支持 {content_type or '空类型'}。",
    )


def too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        "IMPORT_TOO_LARGE",
        f"An upload may be at most {MAX_BYTES} bytes; split the file.",
        f"单次上传文件不得超过 {MAX_BYTES} 字节，请拆分后上传。",
        extra={"limit_bytes": MAX_BYTES},
    )


def too_many_rows() -> PayloadTooLarge:
    return PayloadTooLarge(
        "IMPORT_TOO_MANY_ROWS",
        f"An upload may hold at most {MAX_ROWS} rows, blank rows included; split the file "
        "or delete the empty rows.",
        f"单次上传不得超过 {MAX_ROWS} 行（空行也计入），请拆分文件或删除空行。",
        extra={"limit_rows": MAX_ROWS},
    )


def no_rows() -> Unprocessable:
    return Unprocessable(
        "IMPORT_EMPTY",
        "The file holds no data row under its header.",
        "文件表头下没有任何数据行。",
    )


def malformed(en: str, zh: str) -> Unprocessable:
    return Unprocessable("IMPORT_MALFORMED", en, zh)


def read_rows(content_type: str, body: bytes) -> Iterator[tuple[int, RawRow]]:
    """The file's non-empty data rows; refused when it has more than MAX_ROWS rows, blank
    ones included."""
    if len(body) > MAX_BYTES:
        raise too_large()
    readers = {CSV: _csv_rows, XLSX: _xlsx_rows, JSON: _json_rows}
    if content_type not in readers:
        raise unsupported(content_type)
    for count, (number, row) in enumerate(readers[content_type](body), start=1):
        if count > MAX_ROWS:
            raise too_many_rows()
        if row is not None:
            yield number, row


def _decode(body: bytes) -> str:
    """What Chinese Excel writes is GB18030 unless it says UTF-8 (with a BOM)."""
    if body.startswith(codecs.BOM_UTF8):
        return body.decode("utf-8-sig")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return body.decode("gb18030")
    except UnicodeDecodeError:
        raise malformed(
            "The CSV is neither UTF-8 nor GB18030.", "CSV 文件编码须为 UTF-8 或 GB18030。"
        ) from None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _records(
    header: list[Any], rows: Iterator[tuple[int, list[Any]]]
) -> Iterator[tuple[int, RawRow | None]]:
    names = ["" if _blank(name) else str(name).strip() for name in header]
    for number, values in rows:
        if all(_blank(value) for value in values):
            yield number, None
        else:
            yield number, {name: value for name, value in zip(names, values, strict=False) if name}


def _csv_rows(body: bytes) -> Iterator[tuple[int, RawRow | None]]:
    reader = csv.reader(io.StringIO(_decode(body), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return
        yield from _records(header, ((reader.line_num, row) for row in reader))
    except csv.Error as exc:  # a field past the csv module's limit (128 KiB), a stray quote
        raise malformed(
            f"The CSV cannot be read near line {reader.line_num}: {exc}.",
            f"CSV 文件第 {reader.line_num} 行附近无法解析：{exc}。",
        ) from None


def check_archive(body: bytes) -> None:
    """Refuse a workbook whose entries inflate suspiciously (before openpyxl opens it)."""
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            inflated = sum(entry.file_size for entry in archive.infolist())
    except zipfile.BadZipFile:
        raise malformed(
            "The file is not an XLSX workbook.", "文件不是有效的 XLSX 工作簿。"
        ) from None
    if inflated > MAX_UNCOMPRESSED_BYTES or inflated > MAX_INFLATION_RATIO * max(len(body), 1):
        raise Unprocessable(
            "IMPORT_ARCHIVE_SUSPICIOUS",
            f"The workbook would inflate to {inflated} bytes from {len(body)}; it is refused.",
            f"该工作簿解压后达 {inflated} 字节（原 {len(body)} 字节），压缩比异常，拒绝处理。",
        )


def _xlsx_rows(body: bytes) -> Iterator[tuple[int, RawRow | None]]:
    check_archive(body)
    try:
        workbook = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a broken workbook
        raise malformed("The workbook cannot be read.", "无法读取该工作簿。") from None
    try:
        sheet = workbook.worksheets[0]
        declared = sheet.max_row  # the sheet's own <dimension>: refuse before reading rows
        if declared is not None and declared > MAX_ROWS + 1:
            raise too_many_rows()
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        numbered = ((number, [_cell(v) for v in row]) for number, row in enumerate(rows, start=2))
        yield from _records(list(header), numbered)
    finally:
        workbook.close()


def _cell(value: Any) -> Any:
    """Excel's numbers and dates as the text a person typed."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return value


def _json_rows(body: bytes) -> Iterator[tuple[int, RawRow | None]]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # nesting past Python's stack
        raise malformed("The body is not valid JSON.", "请求体不是有效的 JSON。") from None
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise malformed("Send a JSON array of objects.", "请发送由对象组成的 JSON 数组。")
    for number, row in enumerate(data, start=1):
        if all(_blank(value) for value in row.values()):
            yield number, None
            continue
        yield (
            number,
            {
                str(key): str(value) if isinstance(value, float) else value
                for key, value in row.items()
            },
        )
