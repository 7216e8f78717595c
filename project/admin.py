"""The admin refuses malformed action selections instead of failing on them.

Django's changelist runs ``queryset.filter(pk__in=<the posted _selected_action values>)`` as they come: a value that
is not a primary key ("{{ 7*7 }}", a number beyond the column's range) raises ValueError or DataError, a 500. Every
registered ModelAdmin (ours, Django's users and groups, axes' logs) gets a check of the values first; a bad selection
is answered like an empty one, with a message, and nothing is done.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

_BIGINT = 2**63


def selection_is_valid(model: type[models.Model], values: list[str]) -> bool:
    pk = model._meta.pk
    assert pk is not None
    try:
        parsed = [pk.to_python(value) for value in values]
    except (ValidationError, ValueError, TypeError):
        return False
    if isinstance(pk, models.IntegerField):  # AutoField and BigAutoField too
        return all(isinstance(value, int) and -_BIGINT <= value < _BIGINT for value in parsed)
    return all("\x00" not in str(value) for value in parsed)


class CheckedActionsMixin:
    """A ModelAdmin whose actions run only on a selection of well-formed primary keys."""

    model: type[models.Model]

    def response_action(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not selection_is_valid(self.model, selected):
            self.message_user(  # type: ignore[attr-defined]
                request, _("The selection was not understood; nothing was changed."), messages.WARNING
            )
            return None
        return super().response_action(request, queryset)  # type: ignore[misc]


def check_actions_of_every_admin(site: admin.AdminSite) -> None:
    """Give every registered ModelAdmin the check (called once the admin has autodiscovered)."""
    for model, model_admin in site._registry.items():
        cls = type(model_admin)
        if issubclass(cls, CheckedActionsMixin):
            continue
        checked = type(f"Checked{cls.__name__}", (CheckedActionsMixin, cls), {})
        site._registry[model] = checked(model, site)
