"""Birth reporting's API for delivery facilities' information systems (workflows.cases.api, docs/api.md).

A delivery facility's system records births and deaths in its register, one at a time or a batch at once
(all rows or none), and reads how its monthly reports stand. The rules are the pages' own: one entry goes
through ``services.births_entry_create`` (the 24-hour rule, the late reason, duplicates, a signed month), a
batch through ``services.upload_rows_check`` and ``services.births_entries_upload`` as an uploaded file does.

What comes back is counts, stages and flags: never the mother's resident ID nor its digest, nor any field
of an entry that could tell who she is (time, sex, weight: the register's pages keep those).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError

from workflows.cases.api import ApiAction, ApiResource, service_refusals

from . import selectors, services
from .forms import townships
from .models import (
    MAX_PLURALITY,
    MAX_WEIGHT_GRAMS,
    BirthEntry,
    EntryKind,
    MonthlyBirthReport,
    Outcome,
    Sex,
    Stage,
    month_of,
    report_is_late,
)

TOWNSHIP_CODE = re.compile(r"[0-9]{9}")


class TownshipCodeField(serializers.SlugRelatedField):  # type: ignore[type-arg]
    """A township by its 9-digit code. Anything else is refused before the lookup: a NUL character in the value
    would make PostgreSQL raise rather than find nothing."""

    def to_internal_value(self, data: Any) -> Any:
        if not (isinstance(data, str) and TOWNSHIP_CODE.fullmatch(data)):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:20])
        return super().to_internal_value(data)


MAX_BATCH = 500  # rows in one batch: a month of a large maternity ward; a bigger file goes through the page


# --- Filing ------------------------------------------------------------------------------------


class EntryFileSerializer(serializers.Serializer[Any]):
    """One event, as the entry page takes it. The facility is the client's own; the township is its 9-digit code
    (as in an uploaded file); the mother's resident ID is digested at once and never returned."""

    kind = serializers.ChoiceField(choices=EntryKind.choices, default=EntryKind.BIRTH)
    occurred_at = serializers.DateTimeField(help_text=gettext_lazy("When the baby was delivered (or died): ISO 8601."))
    sex = serializers.ChoiceField(choices=Sex.choices)
    birth_weight_grams = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=MAX_WEIGHT_GRAMS * 2
    )
    plurality = serializers.IntegerField(default=1, min_value=1, max_value=MAX_PLURALITY)
    birth_order = serializers.IntegerField(default=1, min_value=1, max_value=9)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, allow_blank=True, default="")
    gestation_weeks = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0, max_value=50)
    cause = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    mother_township = TownshipCodeField(
        slug_field="code",
        queryset=townships(),
        help_text=gettext_lazy("The 9-digit code of the township where the mother lives."),
    )
    mother_resident_id = serializers.CharField(max_length=18, write_only=True)
    late_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class EntryBatchSerializer(serializers.Serializer[Any]):
    """Several events at once: every one is saved, or none."""

    entries = EntryFileSerializer(many=True, allow_empty=False, max_length=MAX_BATCH)


class EntryRowSerializer(serializers.Serializer[Any]):
    """An entry as the API returns it: which month's report it counts in, and whether it came late. Nothing about
    the mother or the baby."""

    id = serializers.IntegerField(source="pk")
    facility = serializers.IntegerField(source="facility_id")
    month = serializers.DateField()
    kind = serializers.CharField()
    late = serializers.BooleanField(source="is_late")
    entered_at = serializers.DateTimeField()
    current = serializers.SerializerMethodField()

    def get_current(self, entry: BirthEntry) -> bool:
        """False once an amendment replaced it."""
        return entry.replaced_at is None


class BatchResultSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    entries = EntryRowSerializer(many=True)


def the_facility(user: Any) -> Any:
    """The one delivering facility the system acts for; a client of any other facility has no register here."""
    facilities = list(selectors.facility_choices(user)[:2])
    if len(facilities) != 1:
        raise PermissionDenied(_("This client's facility keeps no birth register."))
    return facilities[0]


def entry_file(*, user: Any, data: dict[str, Any], request: Any) -> BirthEntry:
    """One event, through the entry page's service: refused as the page refuses it."""
    facility = the_facility(user)
    with service_refusals():
        return services.births_entry_create(user=user, facility=facility, data=dict(data), request=request)


def entries_batch(*, user: Any, data: dict[str, Any], request: Any) -> dict[str, Any]:
    """Every row checked as an uploaded file's rows are; any row refused, nothing is saved."""
    facility = the_facility(user)
    rows = [dict(row) for row in data["entries"]]
    errors: dict[str, list[str]] = {}
    for number, column, message in services.upload_rows_check(facility=facility, rows=rows, now=timezone.now()):
        # upload_rows_check numbers rows as a file's lines (the header is line 1): entries[0] is line 2.
        errors.setdefault(f"entries[{number - 2}].{column}", []).append(message)
    if errors:
        raise ValidationError(errors)
    with service_refusals():
        saved = services.births_entries_upload(user=user, facility=facility, rows=rows, request=request)
    return {"count": len(saved), "entries": saved}


# --- The monthly reports: stages, counts and flags ---------------------------------------------------


def _late(report: MonthlyBirthReport) -> bool:
    return report_is_late(month=report.month, first_signed_at=report.first_signed_at, today=timezone.localdate())


class ReportRowSerializer(serializers.Serializer[Any]):
    """A month's report in a list: its stage, whether it is late, the counts its director signed ({} before)."""

    id = serializers.IntegerField(source="pk")
    facility = serializers.IntegerField(source="facility_id")
    month = serializers.DateField()
    stage = serializers.CharField()
    revision = serializers.IntegerField()
    late = serializers.SerializerMethodField()
    signed_at = serializers.DateTimeField(source="first_signed_at", allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    counts = serializers.DictField(child=serializers.IntegerField())

    def get_late(self, report: MonthlyBirthReport) -> bool:
        """Signed after the 5th of the next month, or unsigned and the 5th has passed."""
        return _late(report)


class ReportSerializer(ReportRowSerializer):
    """One month's report: the row, and the register's counts now (they differ from ``counts`` until it is signed
    again)."""

    current_counts = serializers.SerializerMethodField()

    def get_current_counts(self, report: MonthlyBirthReport) -> dict[str, int]:
        return selectors.entry_counts(report.entries())


class MonthQuerySerializer(serializers.Serializer[Any]):
    month = serializers.RegexField(
        r"^(19|20)\d\d-(0[1-9]|1[0-2])$", help_text=gettext_lazy("The month asked about: YYYY-MM.")
    )

    def validate_month(self, value: str) -> dt.date:
        month = dt.datetime.strptime(value, "%Y-%m").date()
        if month > month_of(timezone.localdate()):
            raise ValidationError(_("This month has not begun."))
        return month


class MonthStatusSerializer(serializers.Serializer[Any]):
    """How the facility's month stands, whether or not its report is open: counts only."""

    facility = serializers.IntegerField()
    month = serializers.DateField()
    report = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("The report's id; null if not open."))
    stage = serializers.CharField(help_text=gettext_lazy('The report\'s stage, or "missing" when it is not open.'))
    stage_label = serializers.CharField()
    late = serializers.BooleanField()
    entries = serializers.IntegerField(help_text=gettext_lazy("Entries that count (not replaced)."))
    late_entries = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())
    signed_counts = serializers.DictField(child=serializers.IntegerField(), allow_null=True)


def month_status(*, user: Any, data: dict[str, Any], request: Any) -> dict[str, Any]:
    """The client's facility's month: its report's stage (or "missing"), the late flag, the register's counts."""
    facility = the_facility(user)
    month = data["month"]
    report = MonthlyBirthReport.objects.filter(facility=facility, month=month).first()
    entries = BirthEntry.objects.current().filter(facility=facility, month=month)
    first_signed_at = report.first_signed_at if report is not None else None
    return {
        "facility": facility.pk,
        "month": month,
        "report": report.pk if report is not None else None,
        "stage": report.stage if report is not None else "missing",
        "stage_label": str(Stage(report.stage).label if report is not None else _("Not opened")),
        "late": report_is_late(month=month, first_signed_at=first_signed_at, today=timezone.localdate()),
        "entries": entries.count(),
        "late_entries": entries.filter(is_late=True).count(),
        "counts": selectors.entry_counts(entries),
        "signed_counts": report.counts if report is not None and report.signed_at else None,
    }


API = (
    ApiResource(
        name="entries",
        label=gettext_lazy("Birth register entries"),
        records=lambda user: selectors.entries_for_user(user),
        detail_serializer=EntryRowSerializer,
        list_serializer=EntryRowSerializer,
        file_serializer=EntryFileSerializer,
        file=entry_file,
        actions=(
            ApiAction(
                name="batch",
                method="post",
                perform=entries_batch,
                request_serializer=EntryBatchSerializer,
                response_serializer=BatchResultSerializer,
                summary="Record several entries: all or none",
                allowed=the_facility,
            ),
        ),
    ),
    ApiResource(
        name="reports",
        label=gettext_lazy("Monthly birth reports"),
        records=lambda user: selectors.reports_for_user(user),
        detail_serializer=ReportSerializer,
        list_serializer=ReportRowSerializer,
        actions=(
            ApiAction(
                name="status",
                method="get",
                perform=month_status,
                request_serializer=MonthQuerySerializer,
                response_serializer=MonthStatusSerializer,
                summary="How the facility's month stands",
                allowed=the_facility,
            ),
        ),
    ),
)
