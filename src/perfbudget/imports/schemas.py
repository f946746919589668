from datetime import datetime

from pydantic import Field

from perfbudget.imports.models import ImportOutcome
from perfbudget.schemas import ResponseModel


class RowError(ResponseModel):
    row: int = Field(
        description="The row in the file (the header is row 1); for JSON, the "
        "element's position in the array (from 1)"
    )
    column: str = Field(description="The API field name; empty for the row as a whole")
    column_zh: str = Field(description="The template's Chinese header")
    code: str
    message_zh: str
    message_en: str


class ImportResult(ResponseModel):
    kind: str
    dry_run: bool
    rows: int = Field(description="Data rows read")
    imported: int = Field(description="Objects written (0 on a dry run)")
    import_run_id: int
    errors: list[RowError] = Field(default_factory=list)


class ImportRunRead(ResponseModel):
    id: int
    kind: str
    user_id: int | None
    filename: str | None
    content_type: str
    sha256: str | None = Field(description="SHA-256 of the body as received")
    dry_run: bool
    outcome: ImportOutcome
    row_count: int
    imported: int = Field(description="Objects written (0 unless imported)")
    errors: list[RowError] = Field(description="The first rows refused (a rejected upload)")
    created_at: datetime
    finished_at: datetime | None
