"""Who may see the restricted fields of an ultrasound case or device: the table, declared once.

Everyone who may open a case sees the device's facts, its status, room,
registration number and the trail. Restricted further, by the roles a user
holds *on the case* (selectors.ultrasound_case_roles) or on the device
(selectors.device_roles, for its certificate):

- operators' names and licence numbers are personal data: the facilities of the
  case, the bureaus, the supervisors and inspectors of its counties;
- the certificate token (the secret half of the QR code's link): the facility
  that holds the device and the bureau that registered it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from permissions.roles import Role
from workflows.visibility import FieldVisibility, RestrictedField

FACILITY = frozenset({Role.FACILITY_CLERK, Role.FACILITY_DIRECTOR})
BUREAU = frozenset({Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR})
OVERSIGHT = frozenset({Role.SUPERVISOR, Role.INSPECTOR})

VISIBILITY = FieldVisibility(
    [
        RestrictedField("operators", _("Operators' names and licence numbers"), FACILITY | BUREAU | OVERSIGHT),
        RestrictedField("certificate_token", _("Certificate verification token"), FACILITY | BUREAU),
    ]
)
