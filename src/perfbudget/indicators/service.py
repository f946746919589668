"""The common indicator framework and the department libraries (S2.2.1, DOMAIN §3): what
other stages read of them. The framework's rules live in ``framework``, the libraries' in
``library``."""

from sqlalchemy.orm import Session

from perfbudget.indicators import repository
from perfbudget.indicators.framework import create_framework_indicator
from perfbudget.indicators.library import check_library_indicator, create_library_indicator
from perfbudget.indicators.models import FrameworkIndicator, LibraryIndicator

__all__ = [
    "check_library_indicator",
    "create_framework_indicator",
    "create_library_indicator",
    "framework_by_id",
    "framework_in_force",
    "known_indicator_names",
    "library_by_id",
]


def library_by_id(session: Session, ids: list[int]) -> dict[int, LibraryIndicator]:
    """For other stages: library indicators by id, whatever their owner or state."""
    return repository.by_id(session, LibraryIndicator, ids)


def framework_by_id(session: Session, ids: list[int]) -> dict[int, FrameworkIndicator]:
    """For other stages: framework indicators by id, whatever their year or state."""
    return repository.by_id(session, FrameworkIndicator, ids)


def framework_in_force(session: Session, fiscal_year_id: int) -> list[FrameworkIndicator]:
    """For other stages: the year's active common indicators, in §3 order (S2.2.1)."""
    return repository.active_framework(session, fiscal_year_id)


def known_indicator_names(
    session: Session, fiscal_year_id: int, organisation_path: str
) -> set[str]:
    """Active framework names of the year and active library names of the owner and its
    ancestors (path "/4/5/"): what the filing check "outside the framework and library"
    (S2.2.1) accepts."""
    organisation_ids = [int(part) for part in organisation_path.strip("/").split("/") if part]
    return repository.known_names(session, fiscal_year_id, organisation_ids)
