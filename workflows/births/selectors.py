"""Who sees which birth report and entry, the register's aggregates, and the figures for bulletins.

Scope (the rule the procedure registers with permissions.access):
- a delivery facility's staff see its reports and its own entries (never a resident ID: only that a
  digest is stored);
- the township health centre's director sees the reports the centre checks (its township's other
  delivering facilities), as counts;
- the bureau and inspectors see their counties' reports, as counts; nobody above the facility ever
  sees an individual entry (docs/births.md, "What each role sees").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from permissions.access import (
    bureau_county_ids,
    case_roles_by_scope,
    inspected_county_ids,
    is_active_user,
    staff_facility_ids,
)
from permissions.models import Facility, RoleAssignment
from permissions.roles import Role
from workflows.cases.statistics import BirthCount, ReportStatus

from .models import (
    CHECK_DUE_DAY,
    DELIVERING_KINDS,
    BirthEntry,
    EntryKind,
    MonthlyBirthReport,
    Outcome,
    Sex,
    Stage,
    month_of,
    next_month,
    previous_month,
    report_is_late,
)

OBJECT_TYPE = "births.monthlybirthreport"

ACTION_LABELS = {
    "births.entry": gettext_lazy("Birth register entry made"),
    "births.entries_upload": gettext_lazy("Birth register entries uploaded"),
    "births.prepare": gettext_lazy("Monthly birth report opened"),
    "births.sign": gettext_lazy("Register signed or returned by the director"),
    "births.township_check": gettext_lazy("Report checked by the township health centre"),
    "births.accept": gettext_lazy("Report accepted or returned by the bureau"),
    "births.amend": gettext_lazy("Register amended"),
    "births.correct": gettext_lazy("Correction of an accepted report opened"),
    "births.supersede": gettext_lazy("Report superseded by its accepted correction"),
    "births.sign_reminder": gettext_lazy("Reminder to sign the monthly register sent"),
    "births.missing_report": gettext_lazy("Missing monthly birth report reported to the bureau"),
    "births.check_overdue": gettext_lazy("Overdue township check reported to the bureau"),
}

STEP_LABELS = {
    "sign_register": gettext_lazy("Sign the month's register"),
    "township_check": gettext_lazy("Township health centre check"),
    "accept": gettext_lazy("Bureau acceptance"),
}


def change_labels() -> dict[str, Any]:
    from .models import Decision

    fields: dict[str, Any] = {
        "decision": gettext_lazy("decision"),
        "entries": gettext_lazy("entries"),
        "entry_count": gettext_lazy("number of entries"),
        "counts": gettext_lazy("counts"),
        "month": gettext_lazy("month"),
        "revision": gettext_lazy("revision"),
        "facility": gettext_lazy("facility"),
        "stage": gettext_lazy("stage"),
        "late": gettext_lazy("late"),
        "signature_id": gettext_lazy("signature"),
        "seeded": gettext_lazy("demonstration data"),
        "corrects": gettext_lazy("corrects report"),
        "due_day": gettext_lazy("due day"),
        "superseded_by": gettext_lazy("superseded by report"),
    }
    values = {"decision": dict(Decision.choices), "stage": dict(Stage.choices)}
    return {"fields": fields, "values": values}


def centre_facility_ids(user: Any) -> set[int]:
    """The township health centres where the user works."""
    return set(
        Facility.objects.filter(pk__in=staff_facility_ids(user), kind=Facility.Kind.TOWNSHIP_CENTRE).values_list(
            "pk", flat=True
        )
    )


def reports_for_user(user: Any, *, write: bool = False) -> QuerySet[MonthlyBirthReport]:
    """The reports the user may see (or, with write=True, act on: inspectors never act)."""
    if not is_active_user(user):
        return MonthlyBirthReport.objects.none()
    counties = bureau_county_ids(user)
    if not write:
        counties |= inspected_county_ids(user)
    # The township check is the centre director's: the centre's clerks do not see other facilities' reports.
    centre_directors = staff_facility_ids(user, roles={Role.FACILITY_DIRECTOR})
    return MonthlyBirthReport.objects.filter(
        Q(facility_id__in=staff_facility_ids(user))
        | Q(checking_facility_id__in=centre_directors)
        | Q(county_id__in=counties)
    )


def report_roles(*, user: Any, case: MonthlyBirthReport) -> set[str]:
    """The roles through which the user sees this report: the township centre's staff get none (counts only)."""
    return case_roles_by_scope(user=user, case=case, experts=False)


def entries_for_user(user: Any) -> QuerySet[BirthEntry]:
    """Individual entries: the facility's own staff only. Everyone else gets none, whatever else they see."""
    if not is_active_user(user):
        return BirthEntry.objects.none()
    return BirthEntry.objects.filter(facility_id__in=staff_facility_ids(user))


def delivering_facilities() -> QuerySet[Facility]:
    """The facilities that keep a birth register and report monthly."""
    return Facility.objects.filter(kind__in=DELIVERING_KINDS, is_active=True)


def latest_report(*, facility: Any, month: dt.date) -> MonthlyBirthReport | None:
    """The month's last report: the original, or the latest correction of it (the one that takes entries)."""
    return MonthlyBirthReport.objects.filter(facility=facility, month=month).only("pk", "stage").order_by("-pk").first()


def township_centre_of(facility: Facility) -> Facility | None:
    """The township health centre that checks ``facility``'s reports: None for the centre itself, for a
    township without a centre, and for a centre without a director to sign the check (the bureau then
    accepts directly rather than wait for a task nobody can take)."""
    if facility.township_id is None or facility.kind == Facility.Kind.TOWNSHIP_CENTRE:
        return None
    directed = RoleAssignment.objects.active().filter(role=Role.FACILITY_DIRECTOR).values("facility_id")
    return (
        Facility.objects.filter(kind=Facility.Kind.TOWNSHIP_CENTRE, township_id=facility.township_id, is_active=True)
        .filter(pk__in=directed)
        .exclude(pk=facility.pk)
        .order_by("pk")
        .first()
    )


def overdue_checks(*, today: dt.date) -> QuerySet[MonthlyBirthReport]:
    """Reports still waiting for their township check after its due day (the 10th of the next month).
    A correction has no due day: the month's own report was checked, or not, in time."""
    last_due_month = previous_month(month_of(today))
    if today.day <= CHECK_DUE_DAY:
        last_due_month = previous_month(last_due_month)
    return MonthlyBirthReport.objects.filter(
        stage=Stage.TOWNSHIP_CHECK, month__lte=last_due_month, corrects__isnull=True
    )


# --- Counts ---------------------------------------------------------------------------


def entry_counts(entries: QuerySet[BirthEntry]) -> dict[str, int]:
    """Counts by sex and outcome (births), and infant deaths and late miscarriages: one query."""
    rows = entries.values("kind", "sex", "outcome").annotate(n=Count("pk"))
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["kind"] == EntryKind.BIRTH:
            counts[f"{row['outcome']}:{row['sex']}"] += row["n"]
            counts["births"] += row["n"]
        else:
            counts[row["kind"]] += row["n"]
    return dict(sorted(counts.items()))


def count_table(counts: dict[str, int]) -> list[dict[str, Any]]:
    """The counts as rows by outcome, columns by sex, for the pages."""
    rows = []
    for outcome, label in Outcome.choices:
        cells = [counts.get(f"{outcome}:{sex}", 0) for sex in Sex.values]
        rows.append({"label": label, "cells": cells, "total": sum(cells)})
    return rows


def count_extras(counts: dict[str, int]) -> list[tuple[Any, int]]:
    return [
        (EntryKind.INFANT_DEATH.label, counts.get(EntryKind.INFANT_DEATH, 0)),
        (EntryKind.LATE_MISCARRIAGE.label, counts.get(EntryKind.LATE_MISCARRIAGE, 0)),
    ]


# --- The register of reports (aggregates, every role) ----------------------------------------


def register_reports(user: Any, *, month: dt.date | None = None) -> QuerySet[MonthlyBirthReport]:
    reports = reports_for_user(user).select_related("facility", "county")
    if month is not None:
        reports = reports.filter(month=month)
    return reports


# --- Figures for bulletins (workflows.cases.statistics) ----------------------------------------


def accepted_birth_counts(*, county: Any, start: dt.date, end: dt.date) -> list[BirthCount]:
    """Live births per facility-month, from accepted reports only: one query."""
    county_id = getattr(county, "pk", county)
    reports = MonthlyBirthReport.objects.filter(
        county_id=county_id, stage=Stage.ACCEPTED, superseded_at__isnull=True, month__gte=start, month__lt=end
    ).values("facility_id", "facility__township_id", "month", "counts")
    return [
        BirthCount(
            facility_id=row["facility_id"],
            township_id=row["facility__township_id"],
            month=row["month"],
            boys=int(row["counts"].get(f"{Outcome.LIVE_BIRTH}:{Sex.MALE}", 0)),
            girls=int(row["counts"].get(f"{Outcome.LIVE_BIRTH}:{Sex.FEMALE}", 0)),
        )
        for row in reports.order_by("facility_id", "month")
    ]


def report_statuses(*, county: Any, month: dt.date) -> list[ReportStatus]:
    """One row per delivering facility of the county for the month; "missing" when it has no report."""
    county_id = getattr(county, "pk", county)
    month = month.replace(day=1)
    today = timezone.localdate()
    reports = {
        report.facility_id: report
        for report in MonthlyBirthReport.objects.filter(county_id=county_id, month=month, corrects__isnull=True).only(
            "facility_id", "stage", "first_signed_at", "month"
        )
    }
    rows = []
    for facility_id in delivering_facilities().filter(county_id=county_id).order_by("pk").values_list("pk", flat=True):
        report = reports.get(facility_id)
        if report is None:
            rows.append(
                ReportStatus(
                    facility_id=facility_id,
                    month=month,
                    status="missing",
                    status_label=gettext_lazy("Missing"),
                    signed_at=None,
                    late=report_is_late(month=month, first_signed_at=None, today=today),
                )
            )
            continue
        rows.append(
            ReportStatus(
                facility_id=facility_id,
                month=month,
                status=report.stage,
                status_label=Stage(report.stage).label,
                signed_at=report.first_signed_at,
                late=report_is_late(month=month, first_signed_at=report.first_signed_at, today=today),
            )
        )
    return rows


def unsigned_facilities(*, month: dt.date) -> QuerySet[Facility]:
    """Delivering facilities with no signed report for the month (the deadline sweeps)."""
    signed = MonthlyBirthReport.objects.filter(month=month, first_signed_at__isnull=False).values("facility_id")
    return delivering_facilities().exclude(pk__in=signed).filter(county__isnull=False)


def sign_due_on(month: dt.date) -> dt.date:
    return next_month(month).replace(day=5)


# --- Workspace ----------------------------------------------------------------------------


def workspace_sections(*, user: Any, roles: set[str]) -> list[Any]:
    """The facility's reports to sign; the centre's and the bureau's reports to check or accept. Counts only."""
    from workflows.workspace import SECTION_LIMIT, Cell, Section

    from .flows import MonthlyBirthReportFlow

    flow = MonthlyBirthReportFlow.instance
    sections: list[Section] = []
    if not roles & {Role.FACILITY_CLERK, Role.FACILITY_DIRECTOR, Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR}:
        return sections
    reports = (
        reports_for_user(user, write=True)
        .filter(stage__in=[Stage.SIGNING, Stage.RETURNED, Stage.TOWNSHIP_CHECK, Stage.BUREAU_ACCEPT])
        .select_related("facility")
        .order_by("-month", "pk")
    )
    rows = [
        [
            Cell(_("Birth report #%(pk)s") % {"pk": r.pk}, url=flow.reverse("process_detail", args=[r.pk])),
            Cell(r.facility.name),
            Cell(r.month.strftime("%Y-%m")),
            Cell(r.get_stage_display(), strong=r.stage == Stage.RETURNED),
        ]
        for r in reports[:SECTION_LIMIT]
    ]
    sections.append(
        Section(
            key="births-open",
            title=_("Monthly birth reports in progress"),
            headers=[_("Report"), _("Facility"), _("Month"), _("Stage")],
            rows=rows,
            total=reports.count(),
            see_all_url=flow.reverse("register"),
            empty=_("No monthly birth report is in progress."),
        )
    )
    if Role.BUREAU_OFFICER in roles:
        sections.append(missing_reports_section(user=user))
    return sections


MISSING_REPORT_MONTHS = 12  # how far back the bureau's list of missing reports looks


def missing_report_months(today: dt.date) -> list[dt.date]:
    """The months whose check deadline (the 10th of the next month) has passed, newest first, within the window."""
    month = previous_month(month_of(today))
    if today.day <= CHECK_DUE_DAY:  # last month is still within its deadline
        month = previous_month(month)
    months = []
    for _i in range(MISSING_REPORT_MONTHS):
        months.append(month)
        month = previous_month(month)
    return months


def missing_reports(*, county_ids: set[int], today: dt.date) -> list[tuple[Facility, dt.date, str]]:
    """Each delivering facility-month of the counties past its check deadline with no signed report, newest
    month first: (facility, month, stage or "missing"). Two queries whatever the rows: the facilities (as in
    ``report_statuses``) and the window's reports."""
    months = missing_report_months(today)
    if not county_ids:
        return []
    facilities = list(delivering_facilities().filter(county_id__in=county_ids).order_by("name", "pk"))
    reports = {
        (row["facility_id"], row["month"]): row
        for row in MonthlyBirthReport.objects.filter(
            county_id__in=county_ids, month__gte=months[-1], month__lte=months[0], corrects__isnull=True
        ).values("facility_id", "month", "stage", "first_signed_at")
    }
    rows = []
    for month in months:
        for facility in facilities:
            report = reports.get((facility.pk, month))
            if report is not None and report["first_signed_at"] is not None:
                continue
            rows.append((facility, month, report["stage"] if report else "missing"))
    return rows


def missing_reports_section(*, user: Any) -> Any:
    """The bureau officer's work item: each facility-month past the 10th with no signed report (the sweep
    also notifies once); the row leaves the list when the facility's director signs."""
    from workflows.workspace import SECTION_LIMIT, Cell, Section

    from .flows import MonthlyBirthReportFlow

    flow = MonthlyBirthReportFlow.instance
    today = timezone.localdate()
    rows = missing_reports(county_ids=bureau_county_ids(user, roles={Role.BUREAU_OFFICER}), today=today)
    register = flow.reverse("register")
    return Section(
        key="births-missing",
        title=_("Missing monthly birth reports"),
        headers=[_("Facility"), _("Month"), _("Due by"), _("Stage")],
        rows=[
            [
                Cell(facility.name, url=f"{register}?month={month:%Y-%m}"),
                Cell(month.strftime("%Y-%m")),
                Cell(next_month(month).replace(day=CHECK_DUE_DAY).isoformat(), strong=True),
                Cell(_("Not opened") if stage == "missing" else Stage(stage).label),
            ]
            for facility, month, stage in rows[:SECTION_LIMIT]
        ],
        total=len(rows),
        see_all_url=register,
        empty=_("Every facility has signed its monthly birth report."),
    )


def facility_choices(user: Any) -> QuerySet[Facility]:
    """The delivering facilities where the user may enter births."""
    return delivering_facilities().filter(pk__in=staff_facility_ids(user)).order_by("name")


def entries_page_rows(entries: Iterable[BirthEntry]) -> list[BirthEntry]:
    return list(entries)
