"""Attachment bytes on disk: streamed in under a size limit, typed by their content, kept once
per SHA-256 (attachments_dir/ab/abcdef…), and handed back under their own name and sniffed type."""

import hashlib
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

from perfbudget.exports import Download

CHUNK_BYTES = 64 * 1024
UPLOAD_PREFIX = ".upload-"
_SHA256 = re.compile(r"[0-9a-f]{64}")
# Enough to hold [Content_Types].xml of any real document; more is a zip bomb, not a document.
MAX_CONTENT_TYPES_BYTES = 1024 * 1024
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE2_DIRECTORY_ENTRY = 128
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


class FileKind(StrEnum):
    pdf = "pdf"
    docx = "docx"
    xlsx = "xlsx"
    doc = "doc"
    xls = "xls"


CONTENT_TYPES = {
    FileKind.pdf: "application/pdf",
    FileKind.docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileKind.doc: "application/msword",
    FileKind.xls: "application/vnd.ms-excel",
}
# The stream a legacy Office file cannot do without, as its OLE2 directory names it.
OLE2_STREAMS = {
    FileKind.doc: ("WordDocument",),
    FileKind.xls: ("Workbook", "Book"),
}


class TooLarge(Exception):
    """The stream holds more than the limit; nothing was kept."""


@dataclass(frozen=True)
class Spooled:
    """An upload written to a temporary file next to its final place, hashed and counted."""

    path: Path
    sha256: str
    size: int


def spool(source: BinaryIO, directory: Path, limit: int) -> Spooled:
    """Copy ``source`` to a temporary file in ``directory``; read at most ``limit`` + 1 bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, name = tempfile.mkstemp(prefix=UPLOAD_PREFIX, dir=directory)
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as target:
            while size <= limit:
                chunk = source.read(min(CHUNK_BYTES, limit + 1 - size))
                if not chunk:
                    break
                size += len(chunk)
                digest.update(chunk)
                target.write(chunk)
        if size > limit:
            raise TooLarge
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Spooled(path=path, sha256=digest.hexdigest(), size=size)


def sniff(path: Path) -> set[FileKind]:
    """The kinds the content really is (empty: none we accept), whatever the name says."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF-"):
        return {FileKind.pdf}
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_kind(path)
    if head == OLE2_MAGIC:
        return _ole2_kinds(path)
    return set()


def _ooxml_kind(path: Path) -> set[FileKind]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                return set()
            with archive.open("[Content_Types].xml") as member:
                content_types = member.read(MAX_CONTENT_TYPES_BYTES).decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        return set()
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return set()  # macros travel in .docm/.xlsm, never in what we accept
    # the main part's content type: macro-enabled and template variants name another one
    if WORD_MAIN in content_types and any(name.startswith("word/") for name in names):
        return {FileKind.docx}
    if EXCEL_MAIN in content_types and any(name.startswith("xl/") for name in names):
        return {FileKind.xlsx}
    return set()


def _ole2_kinds(path: Path) -> set[FileKind]:
    """Word or Excel by the streams the compound file's directory names.

    Directory entries are 128-byte records aligned to 128 bytes: a UTF-16LE name, then at
    offset 64 the name's length in bytes including its terminator.
    """
    wanted = {
        kind: [(name.encode("utf-16-le") + b"\x00\x00", len(name) * 2 + 2) for name in names]
        for kind, names in OLE2_STREAMS.items()
    }
    found: set[FileKind] = set()
    with path.open("rb") as handle:
        # CHUNK_BYTES is a multiple of 128, so no entry straddles two blocks
        while block := handle.read(CHUNK_BYTES):
            for kind, patterns in wanted.items():
                if kind not in found and _has_directory_entry(block, patterns):
                    found.add(kind)
    return found


def _has_directory_entry(block: bytes, patterns: list[tuple[bytes, int]]) -> bool:
    for encoded, length in patterns:
        position = block.find(encoded)
        while position != -1:
            record = block[position : position + OLE2_DIRECTORY_ENTRY]
            if (
                position % OLE2_DIRECTORY_ENTRY == 0
                and len(record) == OLE2_DIRECTORY_ENTRY
                and int.from_bytes(record[64:66], "little") == length
            ):
                return True
            position = block.find(encoded, position + 1)
    return False


def blob_path(directory: Path, sha256: str) -> Path:
    return directory / sha256[:2] / sha256


def keep(spooled: Spooled, directory: Path) -> Path:
    """Move the spooled file to its content address; the same content is kept once."""
    target = blob_path(directory, spooled.sha256)
    try:
        # kept already: used again now, so the purge's grace period for it starts afresh
        os.utime(target)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(spooled.path, target)  # atomic: a reader never sees half a file
        return target
    spooled.path.unlink(missing_ok=True)
    return target


def kept_files(directory: Path) -> Iterator[tuple[str, Path]]:
    """Every file kept at its content address, as (sha256, path); nothing else is yielded, so
    a misconfigured directory never offers a stranger's file to the purge."""
    if not directory.is_dir():
        return
    for shard in sorted(directory.iterdir()):
        if len(shard.name) != 2 or not shard.is_dir():
            continue
        for path in sorted(shard.iterdir()):
            if _SHA256.fullmatch(path.name) and path.name[:2] == shard.name and path.is_file():
                yield path.name, path


def upload_leftovers(directory: Path) -> list[Path]:
    """Temporary files of uploads; one outlives its request only if its worker died."""
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.glob(UPLOAD_PREFIX + "*") if path.is_file())


def discard(spooled: Spooled) -> None:
    spooled.path.unlink(missing_ok=True)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the exact name per RFC 5987 / RFC 6266."""
    fallback = "".join(
        char if char.isascii() and char.isprintable() and char not in '"\\' else "_"
        for char in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(path: Path, filename: str, content_type: str) -> Download:
    """A kept file under its own name and sniffed type (sent as an upload: see Download)."""
    return Download(path, content_type, content_disposition(filename), uploaded=True)


# OpenAPI description of a download route: the file under its own name and sniffed type.
DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, under its own name and sniffed type",
        "content": {content_type: {} for content_type in CONTENT_TYPES.values()},
    }
}
