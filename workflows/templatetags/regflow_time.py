"""Time left before a deadline, as people say it: "2 days 23 hours", "2天23小时".

Django's timeuntil prints the Chinese with a space before each unit and a
full-width comma between them, which nobody writes. Two units at most, largest first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


def _days(n: int) -> str:
    return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}


def _hours(n: int) -> str:
    return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}


def _minutes(n: int) -> str:
    return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}


def duration_words(delta: timedelta) -> str:
    """A positive duration in at most two units; under a minute reads as "1 minute"."""
    total_minutes = max(int(delta.total_seconds() // 60), 1)
    days, rest = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [_days(days)] + ([_hours(hours)] if hours else [])
    elif hours:
        parts = [_hours(hours)] + ([_minutes(minutes)] if minutes else [])
    else:
        parts = [_minutes(minutes)]
    if len(parts) == 1:
        return parts[0]
    # Translators: two units of a duration; Chinese writes them without a space ("2天23小时").
    return _("%(larger)s %(smaller)s") % {"larger": parts[0], "smaller": parts[1]}


@register.filter
def time_left(deadline: datetime | None, now: datetime | None = None) -> str:
    """ "2 days 23 hours" before the deadline, "overdue by 5 hours" after it, "" without one."""
    if deadline is None:
        return ""
    delta = deadline - (now or timezone.now())
    if delta.total_seconds() <= 0:
        return _("overdue by %(duration)s") % {"duration": duration_words(-delta)}
    return duration_words(delta)
