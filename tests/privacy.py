"""Searching what left the system for a personal value."""

from __future__ import annotations

import re


def shows(text: str, value: str) -> bool:
    """Whether ``value`` appears in ``text``.

    A short run of digits (the last four of a resident ID) counts only where it stands alone: inside a
    longer number, a task id in a URL or a static file's hash it is a coincidence, not the value.
    """
    if value.isdigit() and len(value) <= 6:
        return re.search(rf"(?<![0-9A-Za-z]){value}(?![0-9A-Za-z])", text) is not None
    return value in text
