"""Attachments of any record: ex-ante assessments now, rectification evidence and
self-evaluations later. PDF, Word and Excel only, typed by content, kept by SHA-256.

Who may upload or download is the caller's rule: an attachment is readable exactly by
those who may see its owner, so callers check the owner first and pass it in."""

import logging
import unicodedata
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import BinaryIO, Protocol

from sqlalchemy.orm import Session

from perfbudget.attachments import repository, storage
from perfbudget.attachments.models import Attachment
from perfbudget.attachments.schemas import AttachmentRead
from perfbudget.audit import service as audit
from perfbudget.clock import utcnow
from perfbudget.config import get_settings
from perfbudget.errors import DomainError, NotFound, PayloadTooLarge, not_found
from perfbudget.exports import Download
from perfbudget.pagination import ListQuery, Page, page_of
from perfbudget.principal import Actor

logger = logging.getLogger("perfbudget.attachments")
MAX_FILENAME_CHARS = 255
EXTENSIONS = {f".{kind.value}": kind for kind in storage.FileKind}


class Upload(Protocol):
    """What a multipart upload offers (FastAPI's UploadFile fits)."""

    @property
    def filename(self) -> str | None: ...

    @property
    def file(self) -> BinaryIO: ...


Source = Upload | tuple[str, BinaryIO]


class UnsupportedMediaType(DomainError):
    status_code = 415


def _type_not_allowed(filename: str, detected: storage.FileKind | None = None) -> DomainError:
    allowed = sorted(EXTENSIONS)
    return UnsupportedMediaType(
        "ATTACHMENT_TYPE_NOT_ALLOWED",
        f"Only PDF, Word (.doc, .docx) and Excel (.xls, .xlsx) files are accepted, and the "
        f"name must match the content; '{filename}' is refused.",
        f"仅接受 PDF、Word（.doc、.docx）和 Excel（.xls、.xlsx）文件，且文件扩展名须与实际"
        f"内容一致；“{filename}”不予接收。",
        extra={"allowed": allowed, "detected": detected.value if detected else None},
    )


def _too_large(limit: int) -> DomainError:
    return PayloadTooLarge(
        "ATTACHMENT_TOO_LARGE",
        f"An attachment may hold at most {limit} bytes ({limit / 1024 / 1024:.1f} MiB).",
        f"附件不得超过 {limit} 字节（{limit / 1024 / 1024:.1f} MiB）。",
        extra={"limit_bytes": limit},
    )


def clean_filename(raw: str | None) -> str:
    """The last path component, without control characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C"))
    name = name.strip().strip(".").strip()
    suffix = PurePosixPath(name).suffix
    if len(name) > MAX_FILENAME_CHARS:
        name = name[: MAX_FILENAME_CHARS - len(suffix)] + suffix
    return name


def store(
    session: Session, actor: Actor, owner_type: str, owner_id: int, upload: Source
) -> Attachment:
    """Keep an uploaded file for its owner: size-limited, type-sniffed, audited."""
    raw_name, stream = upload if isinstance(upload, tuple) else (upload.filename, upload.file)
    filename = clean_filename(raw_name)
    declared = EXTENSIONS.get(PurePosixPath(filename).suffix.lower())
    if declared is None:
        raise _type_not_allowed(filename)  # refused before a byte is read
    settings = get_settings()
    directory, limit = settings.attachments_dir, settings.max_attachment_bytes
    try:
        spooled = storage.spool(stream, directory, limit)
    except storage.TooLarge:
        raise _too_large(limit) from None
    try:
        detected = storage.sniff(spooled.path)
        if declared not in detected:
            raise _type_not_allowed(filename, min(detected) if detected else None)
        storage.keep(spooled, directory)
    except BaseException:
        storage.discard(spooled)
        raise
    attachment = Attachment(
        owner_type=owner_type,
        owner_id=owner_id,
        filename=filename,
        content_type=storage.CONTENT_TYPES[declared],
        size_bytes=spooled.size,
        sha256=spooled.sha256,
        uploaded_by_id=actor.user_id,
        uploaded_at=utcnow(),
    )
    repository.add(session, attachment)
    audit.record_edit(session, actor, "uploaded", attachment, None)
    return attachment


def get_for_owner(
    session: Session, owner_type: str, owner_id: int, attachment_id: int
) -> Attachment:
    attachment = repository.get_for_owner(session, owner_type, owner_id, attachment_id)
    if attachment is None:
        raise not_found("Attachment", "附件")
    return attachment


def list_for_owner(session: Session, owner_type: str, owner_id: int) -> Sequence[Attachment]:
    return repository.list_for_owner(session, owner_type, owner_id)


def page_for_owner(
    session: Session, owner_type: str, owner_id: int, page: ListQuery
) -> Page[AttachmentRead]:
    rows, total = repository.page_for_owner(
        session, owner_type, owner_id, limit=page.limit, offset=page.offset
    )
    return page_of(AttachmentRead, rows, total, page)


def list_for_owners(
    session: Session, owner_type: str, owner_ids: Sequence[int]
) -> dict[int, list[Attachment]]:
    return repository.list_for_owners(session, owner_type, owner_ids)


def open_for_download(
    session: Session, owner_type: str, owner_id: int, attachment_id: int
) -> Download:
    """The file as a download, under its own name and sniffed type (the owner is checked)."""
    attachment = get_for_owner(session, owner_type, owner_id, attachment_id)
    path = storage.blob_path(get_settings().attachments_dir, attachment.sha256)
    if not path.is_file():
        logger.error("attachment %s: content %s is missing", attachment.id, attachment.sha256)
        raise NotFound(
            "ATTACHMENT_CONTENT_MISSING",
            "The attachment's content is missing from storage; tell the administrator.",
            "附件内容在存储中缺失，请联系管理员。",
        )
    return storage.download(path, attachment.filename, attachment.content_type)


def remove(
    session: Session, actor: Actor, owner_type: str, owner_id: int, attachment_id: int
) -> None:
    """Detach a file from its owner; the bytes stay, other records may share them."""
    attachment = get_for_owner(session, owner_type, owner_id, attachment_id)
    before = audit.state(attachment)
    repository.delete(session, attachment)
    session.flush()
    audit.record(
        session,
        actor,
        "attachment.deleted",
        entity_type="attachment",
        entity_id=attachment_id,
        changes={"before": before},
    )
