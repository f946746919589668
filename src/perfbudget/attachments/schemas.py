from datetime import datetime

from pydantic import Field

from perfbudget.schemas import ResponseModel


class AttachmentRead(ResponseModel):
    id: int
    filename: str
    content_type: str = Field(description="The type sniffed from the content, not the one sent")
    size_bytes: int
    sha256: str
    uploaded_by_id: int | None
    uploaded_at: datetime
