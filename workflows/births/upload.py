"""Reading an Excel or CSV file of register entries: one dict per row, or the row's errors by column.

The columns (docs/births.md, "Upload format"), by their code in the header row: kind, occurred_at,
sex, birth_weight_grams, plurality, birth_order, outcome, gestation_weeks, cause, mother_township
(the township's 9-digit code), mother_resident_id, late_reason. Choice columns take the code or the
label in English or Chinese. Nothing here writes: services.births_entries_upload saves every row or none.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.core import signing
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from permissions.models import Jurisdiction

from .models import EntryKind, Outcome, Sex
from .services import mother_digest_of

COLUMNS = (
    "kind",
    "occurred_at",
    "sex",
    "birth_weight_grams",
    "plurality",
    "birth_order",
    "outcome",
    "gestation_weeks",
    "cause",
    "mother_township",
    "mother_resident_id",
    "late_reason",
)
# What the upload page calls each column; a header cell may be the code or this label (English or Chinese).
COLUMN_LABELS = {
    "kind": gettext_lazy("Kind of event"),
    "occurred_at": gettext_lazy("Date and time"),
    "sex": gettext_lazy("Infant sex"),
    "birth_weight_grams": gettext_lazy("Birth weight (grams)"),
    "plurality": gettext_lazy("Plurality"),
    "birth_order": gettext_lazy("Birth order"),
    "outcome": gettext_lazy("Outcome"),
    "gestation_weeks": gettext_lazy("Weeks of gestation"),
    "cause": gettext_lazy("Cause"),
    "mother_township": gettext_lazy("Township code"),
    "mother_resident_id": gettext_lazy("Mother's resident ID number"),
    "late_reason": gettext_lazy("Reason for lateness"),
}
REQUIRED_COLUMNS = frozenset({"occurred_at", "sex", "mother_township", "mother_resident_id"})
MAX_ROWS = 5000
PAYLOAD_SALT = "births.upload"
PAYLOAD_MAX_AGE = 3600
DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M")


class UploadError(Exception):
    """The file as a whole cannot be read (wrong format, no header, too many rows)."""


def _choices(choices: Any) -> dict[str, str]:
    """Codes and labels (English and Chinese), lower-cased, to codes."""
    mapping = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value, label in choices:
                mapping[str(label).strip().lower()] = value
    for value, _label in choices:
        mapping[value] = value
    return mapping


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(upload: Any) -> list[list[str]]:
    """The file's rows as text cells, the header first."""
    name = (upload.name or "").lower()
    content = upload.read()
    if name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("gb18030")
            except UnicodeDecodeError:
                raise UploadError(_("The CSV file is neither UTF-8 nor GB18030 text.")) from None
        rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    else:
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            rows = [[_cell_text(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
        except Exception:
            raise UploadError(_("The Excel file could not be read.")) from None
    # NUL is no character a person types, and PostgreSQL refuses it in text: it goes.
    rows = [[cell.replace("\x00", "") for cell in row] for row in rows]
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        raise UploadError(_("The file is empty."))
    if len(rows) - 1 > MAX_ROWS:
        raise UploadError(_("The file has more than %(max)d rows: split it.") % {"max": MAX_ROWS})
    return rows


def parse(upload: Any) -> list[dict[str, Any]]:
    """Each data row as the fields of an entry, or with ``_errors``: [(column, message)]."""
    rows = read_rows(upload)
    names = _choices(list(COLUMN_LABELS.items()))
    header = [names.get(cell.strip().lower(), cell.strip().lower()) for cell in rows[0]]
    missing = REQUIRED_COLUMNS - set(header)
    if missing:
        columns = ", ".join(str(COLUMN_LABELS[code]) for code in COLUMNS if code in missing)
        raise UploadError(_("The header row lacks the columns: %(columns)s.") % {"columns": columns})
    townships = dict(Jurisdiction.objects.filter(level=Jurisdiction.Level.TOWNSHIP).values_list("code", "pk"))
    township_objects = {j.pk: j for j in Jurisdiction.objects.filter(pk__in=townships.values())}
    maps = {"kind": _choices(EntryKind.choices), "sex": _choices(Sex.choices), "outcome": _choices(Outcome.choices)}
    parsed = []
    for row in rows[1:]:
        cells = dict(zip(header, [*row, *[""] * (len(header) - len(row))], strict=False))
        parsed.append(_parse_row(cells, maps=maps, townships=townships, township_objects=township_objects))
    return parsed


def _parse_row(cells: dict[str, str], *, maps: dict[str, dict[str, str]], townships: dict[str, int],
               township_objects: dict[int, Any]) -> dict[str, Any]:  # fmt: skip
    data: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for column, mapping in maps.items():
        raw = cells.get(column, "").strip().lower()
        if not raw:
            data[column] = EntryKind.BIRTH if column == "kind" else ""
            if column == "sex":
                errors.append((column, _("This column is required.")))
        elif raw in mapping:
            data[column] = mapping[raw]
        else:
            errors.append((column, _("%(value)s is not one of the accepted values.") % {"value": raw[:40]}))
    raw_time = cells.get("occurred_at", "")
    data["occurred_at"] = None
    for fmt in DATETIME_FORMATS:
        try:
            data["occurred_at"] = timezone.make_aware(dt.datetime.strptime(raw_time, fmt))
            break
        except ValueError:
            continue
    if data["occurred_at"] is None:
        errors.append(("occurred_at", _("Write the date and time as YYYY-MM-DD HH:MM.")))
    for column in ("birth_weight_grams", "plurality", "birth_order", "gestation_weeks"):
        raw = cells.get(column, "").strip()
        if not raw:
            data[column] = None
        elif raw.isascii() and raw.isdigit() and len(raw) <= 5:
            data[column] = int(raw)
        else:
            errors.append((column, _("Write a whole number.")))
    township = townships.get(cells.get("mother_township", "").strip())
    if township is None:
        errors.append(("mother_township", _("Give the 9-digit code of a township.")))
    data["mother_township"] = township_objects.get(township) if township else None
    data["mother_resident_id"] = cells.get("mother_resident_id", "").strip()[:40]
    data["cause"] = cells.get("cause", "")[:2000]
    data["late_reason"] = cells.get("late_reason", "")[:2000]
    if errors:
        data["_errors"] = errors
    return data


# --- The confirmed upload travels as a signed payload: digests only, never a resident ID ----------------


def payload_dump(*, facility_id: int, user_id: int, rows: list[dict[str, Any]]) -> str:
    serial = [
        {
            **{k: v for k, v in row.items() if k not in {"mother_resident_id", "mother_township", "occurred_at"}},
            "occurred_at": row["occurred_at"].isoformat(),
            "mother_township": row["mother_township"].pk,
            "mother_digest": mother_digest_of(row["mother_resident_id"]),
        }
        for row in rows
    ]
    return signing.dumps({"f": facility_id, "u": user_id, "rows": serial}, salt=PAYLOAD_SALT, compress=True)


def payload_load(payload: str, *, facility_ids: set[int], user_id: int) -> tuple[int, list[dict[str, Any]]]:
    """The facility and rows of a preview this user made; BadSignature when it is not one."""
    data = signing.loads(payload, salt=PAYLOAD_SALT, max_age=PAYLOAD_MAX_AGE)
    if data.get("u") != user_id or data.get("f") not in facility_ids:
        raise signing.BadSignature("not this user's preview")
    townships = {j.pk: j for j in Jurisdiction.objects.filter(pk__in={r["mother_township"] for r in data["rows"]})}
    rows = []
    for row in data["rows"]:
        rows.append(
            {
                **row,
                "occurred_at": dt.datetime.fromisoformat(row["occurred_at"]),
                "mother_township": townships.get(row["mother_township"]),
            }
        )
    return data["f"], rows
