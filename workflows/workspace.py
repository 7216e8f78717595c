"""What each procedure puts on a person's workspace, by role.

The workspace (project/views.py, HomeView) is each role's home: the person's
work, not a list of their roles. Procedures register a provider from their
AppConfig.ready(); a provider takes the user and the set of roles they hold
and returns sections. Every section is a short list (``SECTION_LIMIT`` rows)
with its total and a "see all" link, and a provider costs a fixed number of
queries whatever the rows: tests pin it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SECTION_LIMIT = 10


@dataclass
class Cell:
    """One table cell: text, or a time (``when``) shown with the time left before it unless ``show_left`` is off."""

    text: Any
    url: str = ""
    strong: bool = False
    when: Any = None
    show_left: bool = True


@dataclass
class Section:
    key: str
    title: Any
    headers: list[Any]
    rows: list[list[Cell]]
    total: int | str  # a count, or "99+" where the list is counted up to a cap (workflows.viewsets.capped_count)
    see_all_url: str = ""
    empty: Any = ""
    actions: list[tuple[Any, str]] = field(default_factory=list)  # (label, url), shown at the top of the page


Provider = Callable[..., list[Section]]
_providers: list[Provider] = []


def register_workspace_sections(provider: Provider) -> None:
    """A procedure's sections: ``provider(*, user, roles) -> list[Section]``."""
    if provider not in _providers:
        _providers.append(provider)


def workspace_sections(*, user: Any, roles: set[str]) -> list[Section]:
    sections: list[Section] = []
    for provider in _providers:
        sections.extend(provider(user=user, roles=roles))
    return sections
