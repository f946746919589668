"""Language negotiation: zh-CN by default, en on request (Accept-Language)."""

from contextvars import ContextVar
from typing import Literal

Language = Literal["zh", "en"]
current_language: ContextVar[Language] = ContextVar("current_language", default="zh")
CONTENT_LANGUAGE: dict[Language, str] = {"zh": "zh-CN", "en": "en"}


def counted(count: int, noun: str) -> str:
    """``1 error``, ``2 errors``: the English count and its noun (Chinese needs no plural)."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def negotiate(accept_language: str | None) -> Language:
    """Pick zh or en from an Accept-Language header, honouring q-values."""
    if not accept_language:
        return "zh"
    best: tuple[float, Language] | None = None
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("zh", "en") or quality <= 0:
            continue
        # earlier tags win ties
        score = quality - position * 1e-6
        if best is None or score > best[0]:
            best = (score, "zh" if primary == "zh" else "en")
    return best[1] if best else "zh"


def pick(zh: str, en: str) -> str:
    return en if current_language.get() == "en" else zh
