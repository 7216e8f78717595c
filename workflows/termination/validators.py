"""Resident ID numbers (GB 11643-1999): 17 digits, a check character, a real birth date."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.validators import validate_scan as validate_scan  # scans are documents' business; re-exported

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def resident_id_check_character(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def resident_id_birth_date(value: str) -> dt.date:
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def resident_id_normalise(value: str) -> str:
    return (value or "").strip().upper()


def validate_resident_id(value: str) -> None:
    value = resident_id_normalise(value)
    if not _SHAPE.match(value):
        raise ValidationError(_("A resident ID number has 17 digits followed by a digit or X."), code="shape")
    try:
        born = resident_id_birth_date(value)
    except ValueError:
        raise ValidationError(_("The birth date inside this resident ID number does not exist."), code="date") from None
    if born > timezone.localdate() or born.year < 1900:
        raise ValidationError(_("The birth date inside this resident ID number is not plausible."), code="date")
    if resident_id_check_character(value[:17]) != value[17]:
        raise ValidationError(
            _("The check digit of this resident ID number is wrong: please check every digit."), code="check"
        )


def resident_id_mask(value: str) -> str:
    """3401**********1234: enough to tell two cases apart in a list, not enough to identify anyone."""
    value = resident_id_normalise(value)
    return f"{value[:4]}{'*' * 10}{value[-4:]}"
