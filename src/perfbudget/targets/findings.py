"""What a filing check finds (S2.2.2, DOMAIN §3): blocking (the set cannot be submitted) or
a warning (the reviewer should look), and how its messages write names and figures."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from perfbudget.i18n import pick

Severity = Literal["blocking", "warning"]


@dataclass(frozen=True)
class FilingCheck:
    code: str
    severity: Severity
    zh: str
    en: str
    line: int | None = None
    clause: str = "S2.2.2"
    # the figures the message names, decimals as plain strings
    data: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return pick(self.zh, self.en)


def name_key(name: str) -> str:
    return "".join(name.split()).casefold()


def plain(value: Decimal) -> str:
    """50.00 → "50", 12.50 → "12.5": a weight or a value as a person writes it."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
