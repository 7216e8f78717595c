"""Who sees which practitioner and case, and the register's reads and exports.

Scope (the rule registered with permissions.access):
- the former facility's staff see the cases it filed (the filing, its returns),
  never a cross-check or a follow-up: those are the bureau's business;
- a bureau sees the cases of the practitioners who live in its county, and
  both bureaus of a move see the move case (the handover);
- inspectors read their counties'; they never act.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from audit.services import audit_read
from permissions.access import bureau_county_ids, deny, inspected_county_ids, is_active_user, staff_facility_ids
from permissions.models import Facility, Jurisdiction
from permissions.roles import Role

from .models import EVENT_KINDS, CaseKind, PractitionerCase, RetiredPractitioner

OBJECT_TYPE = "retired_practitioners.practitionercase"

ACTION_LABELS = {
    "retired_practitioners.file": gettext_lazy("Retired practitioner filed"),
    "retired_practitioners.sign_filing": gettext_lazy("Filing signed or returned by the facility director"),
    "retired_practitioners.verify": gettext_lazy("Filing verified or returned by the home county"),
    "retired_practitioners.amend": gettext_lazy("Filing amended"),
    "retired_practitioners.withdraw": gettext_lazy("Filing withdrawn"),
    "retired_practitioners.follow_up_open": gettext_lazy("Follow-up due"),
    "retired_practitioners.follow_up": gettext_lazy("Practitioner followed up"),
    "retired_practitioners.follow_up_escalate": gettext_lazy("Follow-up overdue: escalated"),
    "retired_practitioners.reemployment": gettext_lazy("Re-employment recorded"),
    "retired_practitioners.move": gettext_lazy("Move to another county recorded"),
    "retired_practitioners.death": gettext_lazy("Death recorded: filing closed"),
    "retired_practitioners.close": gettext_lazy("Case closed with the filing"),
    "retired_practitioners.handover_start": gettext_lazy("Filing handed to another county"),
    "retired_practitioners.handover": gettext_lazy("Filing handed over between counties"),
    "retired_practitioners.take_over": gettext_lazy("Filing taken over by the receiving county"),
    "retired_practitioners.cross_check_open": gettext_lazy("Cross-check finding flagged"),
    "retired_practitioners.cross_check_review": gettext_lazy("Cross-check finding reviewed"),
}


def change_labels() -> dict[str, Any]:
    """Labels for the keys of the trail's changes on a case that are not the case's own fields: the register
    entry's fields (read from its model), and what a step records besides."""
    from permissions.models import Profile

    from .models import Activity, Decision, PractitionerStatus

    fields: dict[str, Any] = {f.name: f.verbose_name for f in RetiredPractitioner._meta.concrete_fields}
    fields.update(
        {
            "documents": gettext_lazy("documents"),
            "documents_added": gettext_lazy("documents added"),
            "due_on": gettext_lazy("due on"),
            "next_due_on": gettext_lazy("next renewal due on"),
            "event_case": gettext_lazy("event"),
            "event_date": gettext_lazy("event date"),
            "finding": gettext_lazy("finding"),
            "to_county": gettext_lazy("to county"),
            "from_county": gettext_lazy("from county"),
            "decision": gettext_lazy("decision"),
            "target_county": gettext_lazy("receiving county"),
        }
    )
    values = {
        "activity": dict(Activity.choices),
        "status": dict(PractitionerStatus.choices),
        "title": dict(Profile.Rank.choices),
        "decision": dict(Decision.choices),
        "finding": {
            "operator": gettext_lazy("on file and filed as an ultrasound operator"),
            "named_elsewhere": gettext_lazy("on file and named in another procedure's filing"),
            "undesignated_employer": gettext_lazy("re-employed at a facility without an MCH service licence"),
        },
    }
    return {"fields": fields, "values": values}


STEP_LABELS = {
    "sign_filing": gettext_lazy("Sign the filing"),
    "verify": gettext_lazy("Verify the filing"),
    "follow_up": gettext_lazy("Follow up the practitioner"),
    "record_event": gettext_lazy("Record an event"),
    "take_over": gettext_lazy("Take the filing over"),
    "review_cross_check": gettext_lazy("Review the cross-check finding"),
}

# Cases the former facility takes part in; the rest is between the bureau and the practitioner.
FACILITY_KINDS = (CaseKind.FILING,)


def practitioner_cases_for_user(user: Any, *, write: bool = False) -> QuerySet[PractitionerCase]:
    """The cases the user may see (or, with write=True, act on)."""
    if not is_active_user(user):
        return PractitionerCase.objects.none()
    counties = bureau_county_ids(user)
    if not write:
        counties |= inspected_county_ids(user)
    facility_scope = Q(facility_id__in=staff_facility_ids(user), kind__in=FACILITY_KINDS)
    return PractitionerCase.objects.filter(
        facility_scope | Q(county_id__in=counties) | Q(target_county_id__in=counties)
    )


def practitioners_for_user(user: Any) -> QuerySet[RetiredPractitioner]:
    """Entries the user may see: the bureau and inspectors of the home county, the former facility's staff."""
    if not is_active_user(user):
        return RetiredPractitioner.objects.none()
    counties = bureau_county_ids(user) | inspected_county_ids(user)
    return RetiredPractitioner.objects.filter(
        Q(county_id__in=counties) | Q(former_facility_id__in=staff_facility_ids(user))
    )


def access_practitioner_for_user(*, user: Any, pk: Any) -> RetiredPractitioner:
    try:
        return practitioners_for_user(user).select_related("former_facility", "county", "home_township").get(pk=pk)
    except (RetiredPractitioner.DoesNotExist, ValueError, TypeError):
        raise deny(user=user, route="retired_practitioners.entry", obj=f"retired_practitioners.entry:{pk}") from None


def practitioner_case_roles(*, user: Any, case: PractitionerCase) -> set[str]:
    """The roles through which the user sees this case (the visibility table reads these)."""
    if not is_active_user(user):
        return set()
    roles: set[str] = set()
    counties = {case.county_id, case.target_county_id} - {None}
    for role, facility_id, jurisdiction_id in user.role_assignments.filter(revoked_at__isnull=True).values_list(
        "role", "facility_id", "jurisdiction_id"
    ):
        if facility_id == case.facility_id and role in {Role.FACILITY_CLERK, Role.FACILITY_DIRECTOR}:
            if case.kind in FACILITY_KINDS:
                roles.add(role)
        elif jurisdiction_id in counties and role in {Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR}:
            roles.add(role)
    if counties & inspected_county_ids(user):
        roles.add(Role.INSPECTOR)
    return roles


def case_read_audit(*, case: PractitionerCase, request: Any) -> None:
    """Reads by the bureau and inspectors of a record naming a person go into the trail."""
    if practitioner_case_roles(user=request.user, case=case) & {
        Role.BUREAU_OFFICER,
        Role.BUREAU_DIRECTOR,
        Role.INSPECTOR,
    }:
        audit_read(user=request.user, obj=case, request=request)


def practitioner_history(*, entry: RetiredPractitioner, user: Any) -> list[PractitionerCase]:
    return list(
        practitioner_cases_for_user(user)
        .filter(practitioner=entry)
        .select_related("county", "target_county", "submitted_by__profile")
        .order_by("created")
    )


def event_practitioners(*, user: Any) -> QuerySet[RetiredPractitioner]:
    """The entries on file the user may record an event for: those of the counties the user acts for."""
    return RetiredPractitioner.objects.on_file().filter(county_id__in=bureau_county_ids(user)).order_by("name", "pk")


def cases_of_kind_open(*, entry: RetiredPractitioner, kinds: Any = EVENT_KINDS) -> QuerySet[PractitionerCase]:
    return entry.cases.filter(kind__in=kinds, ended_at__isnull=True)


# --- The register ------------------------------------------------------------------------


def register_county_ids(user: Any) -> set[int]:
    """Counties whose register the user may open."""
    return bureau_county_ids(user) | inspected_county_ids(user)


def register_counties(*, user: Any) -> QuerySet[Jurisdiction]:
    return Jurisdiction.objects.filter(pk__in=register_county_ids(user)).order_by("code")


def register_entries(*, county_id: int, filters: dict[str, Any]) -> QuerySet[RetiredPractitioner]:
    """One county's register, filtered, newest first by id (keyset pages: id < after)."""
    entries = RetiredPractitioner.objects.filter(county_id=county_id)
    if filters.get("q"):
        q = filters["q"]
        entries = entries.filter(Q(name__icontains=q) | Q(physician_licence_number__icontains=q))
    if filters.get("status"):
        entries = entries.filter(status=filters["status"])
    if filters.get("activity"):
        entries = entries.filter(activity=filters["activity"])
    if filters.get("flagged"):
        entries = entries.filter(flagged=True)
    if filters.get("late"):
        entries = entries.filter(days_late__gt=0)
    if filters.get("follow_up_before"):
        entries = entries.filter(follow_up_due_on__lte=filters["follow_up_before"])
    return entries.select_related("former_facility", "home_township", "employer").order_by("-pk")


def register_page(
    entries: QuerySet[RetiredPractitioner], *, after: int | None, size: int
) -> tuple[list[Any], int | None]:
    """A keyset page: the rows after id ``after`` (descending), and the id to continue from (None at the end).

    No COUNT over the county's register: the page asks for one row more than it shows.
    """
    if after is not None:
        entries = entries.filter(pk__lt=after)
    rows = list(entries[: size + 1])
    return rows[:size], (rows[size - 1].pk if len(rows) > size else None)


EXPORT_COLUMNS: list[tuple[str, Any]] = [
    ("pk", gettext_lazy("Entry")),
    ("name", gettext_lazy("Name")),
    ("resident_id_masked", gettext_lazy("Resident ID (masked)")),
    ("status", gettext_lazy("Status")),
    ("former_facility", gettext_lazy("Former facility")),
    ("former_department", gettext_lazy("Former department")),
    ("title", gettext_lazy("Professional title")),
    ("physician_licence_number", gettext_lazy("Physician licence number")),
    ("retirement_date", gettext_lazy("Retirement date")),
    ("home_township", gettext_lazy("Home township")),
    ("activity", gettext_lazy("Current activity")),
    ("employer", gettext_lazy("Re-employed at")),
    ("days_late", gettext_lazy("Days filed late")),
    ("flagged", gettext_lazy("Flagged")),
    ("follow_up_due_on", gettext_lazy("Next follow-up due")),
]


def register_rows(entries: Any) -> Any:
    """The export's rows, streamed in chunks (no identifier but the masked one)."""
    for entry in entries.iterator(chunk_size=500):
        yield [
            entry.pk,
            entry.name,
            entry.resident_id_masked,
            entry.get_status_display(),
            entry.former_facility.name,
            entry.former_department,
            entry.get_title_display(),
            entry.physician_licence_number,
            entry.retirement_date,
            entry.home_township.name,
            entry.get_activity_display(),
            entry.employer.name if entry.employer else "",
            entry.days_late,
            "✓" if entry.flagged else "",
            entry.follow_up_due_on or "",
        ]


def facilities_for_employment(*, user: Any) -> QuerySet[Facility]:
    """Facilities a bureau may name as a practitioner's employer: those of the counties it acts for."""
    return (
        Facility.objects.filter(is_active=True, county_id__in=bureau_county_ids(user))
        .select_related("county")
        .order_by("county__code", "name")
    )


def townships() -> QuerySet[Jurisdiction]:
    return Jurisdiction.objects.filter(level=Jurisdiction.Level.TOWNSHIP).select_related("parent").order_by("code")


# --- The county's monthly figures for the bulletins (workflows.cases.statistics) ----------------


def monthly_figures(*, county: Any, start: Any, end: Any) -> list[Any]:
    """Retirement filings received by the county, and filings it accepted (put on file), in ``[start, end)``."""
    from workflows.cases.statistics import Figure, period_bounds

    since, until = period_bounds(start, end)
    received = PractitionerCase.objects.filter(
        county=county, kind=CaseKind.FILING, created__gte=since, created__lt=until
    ).count()
    accepted = RetiredPractitioner.objects.filter(county=county, verified_at__gte=since, verified_at__lt=until).count()
    return [
        Figure("received", gettext_lazy("Retirement filings received"), received),
        Figure("accepted", gettext_lazy("Retirement filings accepted"), accepted),
    ]
