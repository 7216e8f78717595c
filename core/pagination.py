"""Paging by key: "older" and "newer" links from the last and first row's key, never an exact COUNT.

Every list a person pages through (cases, tasks, notifications, the audit search) is ordered by one
unique, indexed key, newest first. A page is ``LIMIT per_page + 1`` rows after or before a key, so it
costs the same at page one and page ten thousand, and nothing counts the rows of a county's years of
history to print "page 1 of 20,000".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

PER_PAGE = 50


@dataclass
class KeysetPage:
    rows: list[Any]
    newer: str  # query string of the page of newer rows, "" when there is none
    older: str  # query string of the page of older rows, "" when there is none

    @property
    def has_other_pages(self) -> bool:
        return bool(self.newer or self.older)


def _key(value: str | None) -> int | None:
    """A key from the query string: ASCII digits within a bigint, or nothing (the newest page)."""
    if value and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def keyset_page(queryset: Any, params: QueryDict, *, key: str = "pk", per_page: int = PER_PAGE) -> KeysetPage:
    """The page of ``queryset`` (newest first by ``key``) that ``params`` asks for with ``before``/``after``."""
    before, after = _key(params.get("before")), _key(params.get("after"))
    base = params.copy()
    for name in ("before", "after", "page"):
        base.pop(name, None)

    def link(name: str, value: Any) -> str:
        query = base.copy()
        query[name] = str(value)
        return query.urlencode()

    if after is not None:
        rows = list(queryset.filter(**{f"{key}__gt": after}).order_by(key)[: per_page + 1])
        more_newer = len(rows) > per_page
        rows = rows[:per_page][::-1]
        newer = link("after", getattr(rows[0], key)) if rows and more_newer else ""
        older = link("before", getattr(rows[-1], key)) if rows else ""
        return KeysetPage(rows, newer, older)
    if before is not None:
        queryset = queryset.filter(**{f"{key}__lt": before})
    rows = list(queryset.order_by(f"-{key}")[: per_page + 1])
    more_older = len(rows) > per_page
    rows = rows[:per_page]
    older = link("before", getattr(rows[-1], key)) if rows and more_older else ""
    # Reached through "older": the newer rows are the ones we came from.
    newer = link("after", getattr(rows[0], key)) if rows and before is not None else ""
    return KeysetPage(rows, newer, older)
