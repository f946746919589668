from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from perfbudget.api.downloads import send
from perfbudget.auth import policy
from perfbudget.auth.deps import CurrentActor, permitted
from perfbudget.db import SessionDep, reads_first
from perfbudget.exports import xlsx_download
from perfbudget.imports import parsing, service, templates
from perfbudget.imports.kinds import KINDS, ImportKind, Options
from perfbudget.imports.schemas import ImportResult, ImportRunRead
from perfbudget.pagination import ListQuery, Page
from perfbudget.principal import Actor

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Upload:
    body: bytes
    content_type: str
    filename: str | None


async def _read(chunks: "AsyncChunks") -> bytes:
    buffer = bytearray()
    async for chunk in chunks:
        buffer += chunk
        if len(buffer) > parsing.MAX_BYTES:
            raise parsing.too_large()
    return bytes(buffer)


class AsyncChunks:
    def __init__(self, file: UploadFile) -> None:
        self.file = file

    def __aiter__(self) -> "AsyncChunks":
        return self

    async def __anext__(self) -> bytes:
        chunk = await self.file.read(CHUNK)
        if not chunk:
            raise StopAsyncIteration
        return chunk


async def upload(request: Request) -> Upload:
    """The file is the body (CSV, XLSX or JSON by Content-Type), or a multipart ``file``."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > parsing.MAX_BYTES + 64 * 1024:
        raise parsing.too_large()
    if content_type == "multipart/form-data":
        form = await request.form(max_files=1)
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise parsing.unsupported("multipart/form-data without a file field")
        kind = (file.content_type or "").split(";")[0].strip().lower()
        return Upload(await _read(AsyncChunks(file)), kind, file.filename)
    if content_type not in parsing.FORMATS:
        raise parsing.unsupported(content_type)
    buffer = bytearray()
    async for chunk in request.stream():
        buffer += chunk
        if len(buffer) > parsing.MAX_BYTES:
            raise parsing.too_large()
    return Upload(bytes(buffer), content_type, request.headers.get("x-filename"))


# the file as the body, in any of the formats ``upload`` reads
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            parsing.CSV: {"schema": {"type": "string", "format": "binary"}},
            parsing.XLSX: {"schema": {"type": "string", "format": "binary"}},
            parsing.JSON: {"schema": {"type": "array", "items": {"type": "object"}}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}
UPLOAD_PERMISSIONS = tuple(dict.fromkeys(kind.permission for kind in KINDS.values()))


def uploader(kind: ImportKind, session: SessionDep, actor: CurrentActor) -> Actor:
    """The permission of the kind's single-object endpoint."""
    return permitted(session, actor, KINDS[kind].permission)


def any_uploader(session: SessionDep, actor: CurrentActor) -> Actor:
    """A role that may upload some kind."""
    held = [p for p in UPLOAD_PERMISSIONS if policy.allows(actor.role, p)]
    return permitted(session, actor, held[0] if held else UPLOAD_PERMISSIONS[0])


# one of these, by kind (read by the test that every route declares its permission)
uploader.required_permission = UPLOAD_PERMISSIONS  # type: ignore[attr-defined]
any_uploader.required_permission = UPLOAD_PERMISSIONS  # type: ignore[attr-defined]
Uploader = Annotated[Actor, Depends(uploader)]


@router.get("/runs", operation_id="list_import_runs")
def list_import_runs(
    session: SessionDep,
    actor: Annotated[Actor, Depends(any_uploader)],
    page: Annotated[ListQuery, Query()],
) -> Page[ImportRunRead]:
    """Past uploads, newest first: your own (finance and admin see all)."""
    return service.list_runs(session, actor, page)


@router.get(
    "/{kind}/template.xlsx",
    operation_id="download_import_template",
    response_class=Response,
    responses={200: {"content": {parsing.XLSX: {}}, "description": "The Excel template"}},
)
def download_import_template(kind: ImportKind, actor: Uploader) -> Response:
    """The kind's Excel template: Chinese headers, drop-downs, notes and an example."""
    template = templates.template(KINDS[kind])
    return send(xlsx_download(template, f"{KINDS[kind].title_zh}导入模板.xlsx"))


@router.post(
    "/{kind}",
    status_code=status.HTTP_201_CREATED,
    operation_id="import_rows",
    responses={
        200: {"model": ImportResult, "description": "A dry run: every row checked, none written"}
    },
    openapi_extra=UPLOAD_BODY,
)
@reads_first
def import_rows(
    session: SessionDep,
    kind: ImportKind,
    actor: Uploader,
    file: Annotated[Upload, Depends(upload)],
    response: Response,
    dry_run: bool = False,
    submit: Annotated[bool, Query(description="monitoring-reports: submit each report")] = False,
) -> ImportResult:
    """Upload a file of rows; all are written or none (dry_run: check only, 200).

    The body is the file (text/csv in UTF-8 or GB18030, an XLSX workbook, or a JSON array;
    X-Filename names it in the record), or multipart/form-data with a ``file`` field. At
    most 10 MB and 10,000 rows, blank rows included; a rejection lists every bad row (row,
    column, code, zh/en). Rows are checked before anything is locked, and written in one
    short transaction; one upload per user runs at a time (429 IMPORT_IN_PROGRESS with
    Retry-After). The upload is one audit event (kind, file, SHA-256, rows, the ids written),
    found under each object it wrote.
    """
    result = service.run_import(
        session,
        actor,
        KINDS[kind],
        file.body,
        file.content_type,
        file.filename,
        dry_run=dry_run,
        options=Options(submit=submit),
    )
    if dry_run:
        response.status_code = status.HTTP_200_OK
    return result
