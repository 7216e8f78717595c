"""Who may see the restricted fields of a retired practitioner: the table, declared once.

Everyone who may open a case sees the practitioner's name, former post, status
and the trail. Restricted further, by the roles a user holds *on the case*
(selectors.practitioner_case_roles):

- the resident ID number in full: nobody on a page; lists and pages show the
  masked form, and matching uses the keyed digest;
- address and telephone: the former facility that filed, and the bureau and
  inspectors of the home county (and of a receiving county in a move).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from permissions.roles import Role
from workflows.visibility import FieldVisibility, RestrictedField

FACILITY = frozenset({Role.FACILITY_CLERK, Role.FACILITY_DIRECTOR})
BUREAU = frozenset({Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR})

VISIBILITY = FieldVisibility(
    [
        RestrictedField("resident_id", _("Resident ID number in full"), frozenset()),
        RestrictedField("address", _("Address and telephone"), FACILITY | BUREAU | {Role.INSPECTOR}),
    ]
)
