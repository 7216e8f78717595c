"""Figures that procedures publish for the county's bulletins, without importing each other.

Procedures are independent (import-linter, pyproject.toml): the bulletin procedure
may not import the birth register, nor termination. Each procedure that has
figures to publish registers a provider here from its AppConfig.ready(); the
bulletins read them through this module only. Providers return aggregates, never
a person: a row is a facility-month at the finest.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class BirthCount:
    """Live births of one facility in one month, from accepted monthly reports."""

    facility_id: int
    township_id: int | None
    month: datetime.date  # the first day of the month
    boys: int
    girls: int


@dataclass(frozen=True)
class ReportStatus:
    """Where one facility's monthly birth report stands."""

    facility_id: int
    month: datetime.date
    status: str  # the report's stage code; "missing" when the facility has none
    status_label: Promise | str
    signed_at: datetime.datetime | None
    late: bool  # signed after the due day, or not signed by it


@dataclass(frozen=True)
class Figure:
    """One number a procedure publishes for a county and a period (a bulletin line)."""

    code: str
    label: Promise | str
    value: int


BirthCountProvider = Callable[..., Iterable[BirthCount]]  # (*, county, start, end) -> accepted counts
ReportStatusProvider = Callable[..., Iterable[ReportStatus]]  # (*, county, month) -> one row per reporting facility
FigureProvider = Callable[..., Iterable[Figure]]  # (*, county, start, end) -> the procedure's figures

_BIRTH_COUNTS: list[BirthCountProvider] = []
_REPORT_STATUS: list[ReportStatusProvider] = []
_FIGURES: dict[str, tuple[Promise | str, FigureProvider]] = {}


def register_birth_counts(provider: BirthCountProvider) -> None:
    if provider not in _BIRTH_COUNTS:
        _BIRTH_COUNTS.append(provider)


def register_report_status(provider: ReportStatusProvider) -> None:
    if provider not in _REPORT_STATUS:
        _REPORT_STATUS.append(provider)


def register_figures(code: str, *, label: Promise | str, provider: FigureProvider) -> None:
    """A procedure's monthly figures for the bulletin, under the procedure's code (registering again replaces)."""
    _FIGURES[code] = (label, provider)


def birth_counts(*, county: object, start: datetime.date, end: datetime.date) -> list[BirthCount]:
    """Accepted live-birth counts per facility-month with ``start <= month < end`` in ``county``."""
    return [row for provider in _BIRTH_COUNTS for row in provider(county=county, start=start, end=end)]


def report_statuses(*, county: object, month: datetime.date) -> list[ReportStatus]:
    return [row for provider in _REPORT_STATUS for row in provider(county=county, month=month)]


def figures(*, county: object, start: datetime.date, end: datetime.date) -> list[tuple[Promise | str, list[Figure]]]:
    """Each registered procedure's label and figures for the period, in registration order."""
    return [(label, list(provider(county=county, start=start, end=end))) for label, provider in _FIGURES.values()]


def period_bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The instants a period of days spans in the display time zone: a figures provider filters its
    timestamps with ``bounds[0] <= at < bounds[1]``, so that a case counts in the county's own month."""
    from django.utils import timezone

    zone = timezone.get_default_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(end, datetime.time.min, tzinfo=zone),
    )


def figures_counted(
    start: datetime.date, end: datetime.date, counts: Iterable[tuple[str, Promise | str, Any, str]]
) -> list[Figure]:
    """Figures that count records by when something happened to them: for each (code, label, records, field),
    the ``records`` whose timestamp ``field`` falls in ``[start, end)`` (period_bounds: the county's own days)."""
    since, until = period_bounds(start, end)
    return [
        Figure(code, label, records.filter(**{f"{field}__gte": since, f"{field}__lt": until}).count())
        for code, label, records, field in counts
    ]
