"""Uploads through the HTTP API: a file in any format, built from rows of API field names."""

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

import pytest
from openpyxl import Workbook

from perfbudget.imports.kinds import KINDS, ImportKind
from tests.monitoring.conftest import (  # noqa: F401 - the monitoring scene, reused
    attachments_dir,
    early_july,
    monitor,
    set_today,
)

IMPORTS = "/api/v1/imports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "csv-bom", "csv-gb18030", "xlsx", "json")


def headers_for(kind: str, fields: Sequence[str], chinese: bool) -> list[str]:
    columns = KINDS[ImportKind(kind)].by_field()
    return [columns[name].zh if chinese else name for name in fields]


def encode(
    kind: str, rows: Sequence[dict[str, Any]], fmt: str, *, chinese: bool = True
) -> tuple[bytes, str]:
    """The rows as a file body and its Content-Type; every row has the same keys."""
    fields = list(rows[0]) if rows else ["item_id"]
    header = headers_for(kind, fields, chinese)
    if fmt == "json":
        return json.dumps([dict(zip(header, r.values(), strict=True)) for r in rows]).encode(), (
            "application/json"
        )
    if fmt == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(header)
        for row in rows:
            sheet.append(list(row.values()))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue(), XLSX
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows([list(row.values()) for row in rows])
    encoding = {"csv": "utf-8", "csv-bom": "utf-8-sig", "csv-gb18030": "gb18030"}[fmt]
    return text.getvalue().encode(encoding), "text/csv"


def upload(
    client: Any,
    auth: Any,
    kind: str,
    rows: Sequence[dict[str, Any]],
    fmt: str = "csv",
    *,
    user: str = "finance",
    chinese: bool = True,
    params: dict[str, str] | None = None,
    language: str = "zh",
) -> Any:
    body, content_type = encode(kind, rows, fmt, chinese=chinese)
    return client.post(
        f"{IMPORTS}/{kind}",
        content=body,
        params=params or {},
        headers={**auth(user), "Content-Type": content_type, "Accept-Language": language},
    )


@pytest.fixture
def send(flow: Any) -> Any:
    def sender(kind: str, rows: Sequence[dict[str, Any]], fmt: str = "csv", **kw: Any) -> Any:
        return upload(flow.client, flow.auth, kind, rows, fmt, **kw)

    return sender
