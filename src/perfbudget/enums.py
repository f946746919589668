"""Enums that carry their zh-CN and en labels, collected for GET /meta/enums."""

from enum import StrEnum
from typing import ClassVar

_REGISTRY: dict[str, type["LabeledEnum"]] = {}


class LabeledEnum(StrEnum):
    """Subclasses define ``__labels__ = {member_value: (zh, en)}`` and are registered."""

    __labels__: ClassVar[dict[str, tuple[str, str]]]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.enum_name()] = cls

    @classmethod
    def enum_name(cls) -> str:
        name = cls.__name__
        return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")

    @property
    def label_zh(self) -> str:
        return type(self).__labels__[str(self)][0]

    @property
    def label_en(self) -> str:
        return type(self).__labels__[str(self)][1]


def registered_enums() -> dict[str, type[LabeledEnum]]:
    return dict(sorted(_REGISTRY.items()))
