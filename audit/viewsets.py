"""The audit trail's entry in the site menu (project/urls.py lists it among the site's applications).

The pages themselves live at /audit/ (audit/urls.py); this application only
puts a menu item in front of them, shown to the bureau and inspector roles.
"""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView
from viewflow.urls import Application

from permissions.access import audit_county_ids_for_user


def may_read_audit_trail(user: Any) -> bool:
    return bool(audit_county_ids_for_user(user))


class AuditApp(Application):
    title = _("Audit trail")
    icon = "fact_check"
    app_name = "audit_trail"
    permission = staticmethod(may_read_audit_trail)

    index_path = path("", require_safe(RedirectView.as_view(url=reverse_lazy("audit:search"))), name="index")
