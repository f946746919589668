"""Spreadsheet exports: Chinese headers, no formula injection, downloads under their names.

A download is a plain value (``Download``); ``perfbudget.api.downloads`` sends it."""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV = "text/csv"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What a worksheet cannot hold (control characters other than tab and line breaks) and what
# UTF-8 cannot encode (lone surrogates): text stored before such input was refused still
# exports, each such character shown as U+FFFD.
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with what XML and UTF-8 cannot hold shown as U+FFFD (workbooks, documents)."""
    return _UNWRITABLE.sub("\ufffd", text)


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is kept as text (OWASP CSV injection)."""
    if isinstance(value, str):
        value = printable(value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value  # Decimal is written as an exact number


def add_sheet(
    workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(header) * 2 + 4)
    sheet.freeze_panes = "A2"


def new_workbook() -> Workbook:
    workbook = Workbook()
    if workbook.active is not None:
        workbook.remove(workbook.active)
    return workbook


@dataclass(frozen=True)
class Download:
    """A file handed over under a name: bytes made for the request, or a kept file (a path)
    read from disk as it is sent."""

    content: bytes | Path
    media_type: str
    disposition: str  # RFC 6266: attachment, an ASCII fallback name and the exact name
    # someone's upload: its sniffed type is the only type, and no cache keeps it
    uploaded: bool = False


def xlsx_download(workbook: Workbook, filename: str) -> Download:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return file_download(buffer.getvalue(), XLSX, filename, "export.xlsx")


def file_download(content: bytes, media_type: str, filename: str, fallback: str) -> Download:
    """A generated file as a download named ``filename`` (``fallback`` for old clients)."""
    return Download(content, media_type, _disposition(filename, fallback))


def _disposition(filename: str, fallback: str) -> str:
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def csv_download(headers: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> Download:
    """UTF-8 with a BOM, so that Excel reads the Chinese right; cells pass through safe_cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(header) for header in headers])
    for row in rows:
        writer.writerow(["" if value is None else safe_cell(value) for value in row])
    return file_download(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        f"{CSV}; charset=utf-8",
        filename,
        "export.csv",
    )
