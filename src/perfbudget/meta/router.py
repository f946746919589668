from fastapi import APIRouter
from pydantic import BaseModel

from perfbudget.enums import registered_enums

router = APIRouter(prefix="/api/v1/meta", tags=["meta"])


class EnumMember(BaseModel):
    value: str
    zh: str
    en: str


@router.get("/enums", operation_id="list_enums")
def list_enums() -> dict[str, list[EnumMember]]:
    """Every enum with its zh-CN and en labels, for front ends (public)."""
    return {
        name: [EnumMember(value=m.value, zh=m.label_zh, en=m.label_en) for m in enum_class]
        for name, enum_class in registered_enums().items()
    }
