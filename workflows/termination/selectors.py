"""Reads for the case pages. Query counts are pinned in tests/workflows/termination/test_pages.py."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import encrypted_fields
from permissions.access import (
    bureau_county_ids,
    case_roles_by_scope,
    inspected_county_ids,
    panel_county_ids,
    staff_facility_ids,
)
from permissions.roles import Role
from workflows.cases import selectors as kit_selectors
from workflows.viewsets import capped_count
from workflows.workspace import SECTION_LIMIT, Cell, Section

from .models import MEDICAL_PATHWAYS, Stage, TerminationCase

OBJECT_TYPE = "termination.terminationcase"

# --- Who sees which case (registered in apps.py: permissions.access asks for it) -------------
# Facility staff see their facility's cases; the bureau and inspectors see their county's;
# panel experts see the medical cases of the county whose panel they sit on. Inspectors never write.


def cases_visible(user: Any, *, write: bool = False) -> Any:
    """The termination cases the user may see (or, with write=True, act on)."""
    counties = bureau_county_ids(user)
    if not write:
        counties |= inspected_county_ids(user)
    scope = (
        Q(facility_id__in=staff_facility_ids(user))
        | Q(county_id__in=counties)
        | Q(county_id__in=panel_county_ids(user), pathway__in=MEDICAL_PATHWAYS)
    )
    return TerminationCase.objects.filter(scope)


def case_roles(*, user: Any, case: Any) -> set[str]:
    """The roles through which the user sees this case: an expert only for a medical case of their panel's county."""
    return case_roles_by_scope(user=user, case=case, experts=case.pathway in MEDICAL_PATHWAYS)


ACTION_LABELS = {
    "termination.submit": _("Request submitted"),
    "termination.amend": _("Request amended"),
    "termination.opinion": _("Expert opinion given"),
    "termination.review": _("Facility review decided"),
    "termination.decide": _("Bureau decision taken"),
    "termination.escalate": _("Decision deadline passed: escalated"),
    "termination.deadline_reminder": _("Decision deadline near: bureau reminded"),
    "termination.certificate_issue": _("Certificate issued"),
    "termination.record_procedure": _("Procedure recorded"),
    "termination.id_mismatch": _("Resident ID did not match at the procedure"),
    "termination.expire": _("Certificate expired"),
    "termination.withdraw": _("Request withdrawn"),
}


# The steps at which a case is signed (SigningView.signing_step): their node's title.
STEP_LABELS = {
    "give_opinion": _("Give an expert opinion"),
    "review": _("Facility review"),
    "bureau_decision": _("Bureau decision"),
    "record_procedure": _("Record the procedure"),
}


def _gestation(value: Any) -> str:
    if isinstance(value, list) and len(value) == 2:
        return str(_("%(weeks)s weeks + %(days)s days") % {"weeks": value[0], "days": value[1]})
    return str(value)


def _case_field_names(value: Any) -> str:
    names = value if isinstance(value, list) else [value]
    fields = {f.name: f for f in TerminationCase._meta.get_fields()}
    return "、".join(str(getattr(fields.get(n), "verbose_name", n)) for n in names) if names else "—"


# Keys of the trail's changes that are not fields of the case (see services.py), and their values.
CHANGE_LABELS: dict[str, Any] = {
    "fields": {
        "gestation": _("gestational age"),
        "documents": _("documents"),
        "documents_added": _("documents added"),
        "patient_fields_changed": _("patient details changed"),
        "drug_batches": _("drug batch numbers"),
        "opinion": _("expert opinion"),
        "agrees": _("agrees that the medical grounds are met"),
        "decision": _("decision"),
    },
    "values": {"gestation": _gestation, "patient_fields_changed": _case_field_names},
    "aliases": {"method": "procedure_method", "valid_until": "certificate_valid_until", "decision": "last_decision"},
}


def opinions_context(*, case: TerminationCase, user: Any) -> dict[str, Any]:
    """What termination's pages add to the kit's case context (cases.selectors.case_page_context): the opinions."""
    opinions = list(case.opinions.select_related("expert__profile", "signature").order_by("pk"))
    # An amendment of a fact the panel judged supersedes its opinions: they stay on show, apart, as history.
    return {
        "opinions": [o for o in opinions if case.opinion_is_current(o)],
        "superseded_opinions": [o for o in opinions if not case.opinion_is_current(o)],
    }


# --- Workspace ----------------------------------------------------------------------
# Each role's home (workflows.workspace): a fixed number of queries whatever the rows,
# pinned in tests/project/test_workspace.py. Case numbers, facilities, stages and
# deadlines only: nothing about the patient, so these lists need no read logging.


def _case_rows(cases: Any) -> list[list[Cell]]:
    return [
        [
            kit_selectors.case_cell(case),
            Cell(case.facility.name),
            kit_selectors.case_stage_cell(case),
            Cell("", when=case.created, show_left=False),
        ]
        for case in cases
    ]


# Each step's deadline (the queue's order, the workspace's deadline column and its decisions' walk). An
# escalation waits on the decision's deadline, which has passed: first in the queue, marked overdue.
TASK_DEADLINES = {
    "decide": kit_selectors.StepDeadline("decision_due_at", stage=Stage.BUREAU_REVIEW),
    "escalate": kit_selectors.StepDeadline("decision_due_at", stage=Stage.BUREAU_REVIEW),
    "record_procedure": kit_selectors.StepDeadline("certificate_valid_until", stage=Stage.APPROVED),
}


def _task_deadline(task: Any) -> Any:
    return kit_selectors.step_deadline(task, TASK_DEADLINES)


def workspace_sections(*, user: Any, roles: set[str]) -> list[Section]:
    """A termination section per role: what each person works on, most pressing first."""

    from .flows import TerminationFlow

    flow = TerminationFlow.instance
    case_list_url, queue_url = flow.reverse("index"), flow.reverse("queue")
    case_headers = [_("Case"), _("Facility"), _("Stage"), _("Submitted")]
    task_headers = [_("Step"), _("Case"), _("Facility"), _("Deadline")]
    section = partial(kit_selectors.workspace_section, limit=SECTION_LIMIT)
    sections: list[Section] = []

    if roles & {Role.FACILITY_CLERK, Role.FACILITY_DIRECTOR}:
        staff_cases = (
            TerminationCase.objects.filter(facility_id__in=staff_facility_ids(user))
            .select_related("facility")
            .defer(*encrypted_fields(TerminationCase))
        )
        returned = staff_cases.filter(stage=Stage.RETURNED).order_by("-created")
        sections.append(
            section(
                returned,
                rows=_case_rows,
                key="termination-returned",
                title=_("Returned for changes"),
                headers=case_headers,
                see_all_url=case_list_url,
                empty=_("No request of your facility is waiting for changes."),
                actions=[(_("New request"), flow.submit.reverse("execute"))],
            )
        )
        open_cases = (
            staff_cases.filter(stage__in=TerminationCase.OPEN_STAGES).exclude(stage=Stage.RETURNED).order_by("-created")
        )
        sections.append(
            section(
                open_cases,
                rows=_case_rows,
                key="termination-open",
                title=_("Your facility's open requests"),
                headers=case_headers,
                see_all_url=case_list_url,
                empty=_("Your facility has no open request."),
            )
        )

    # Tasks the user holds or may claim, on cases the user may see, four-eyes applied in bulk.
    tasks = kit_selectors.case_tasks_waiting(flow_class=TerminationFlow, case_model=TerminationCase, user=user)
    tasks = tasks.select_related("process__terminationcase__facility").defer(
        *encrypted_fields(TerminationCase, prefix="process__terminationcase__")
    )
    bureau_steps = [TerminationFlow.decide, TerminationFlow.escalate]

    def task_rows(tasks: Any) -> list[list[Cell]]:
        return kit_selectors.task_rows(tasks, deadline=_task_deadline)

    waiting = tasks.exclude(flow_task__in=bureau_steps).order_by("created")
    if roles - {Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR, Role.INSPECTOR}:
        sections.append(
            Section(
                key="termination-waiting",
                title=_("Waiting for you"),
                headers=task_headers,
                rows=task_rows(kit_selectors.one_per_step(waiting, SECTION_LIMIT)),
                total=waiting.values("process_id", "flow_task").distinct().count(),
                see_all_url=queue_url,
                empty=_("Nothing is waiting for you."),
            )
        )
    # The cases a decision waits on, walked by deadline (the index termination_decision_due_idx).
    decision = TASK_DEADLINES["decide"]
    open_decisions = cases_visible(user).filter(stage=decision.stage)
    bureau_sections = [
        (Role.BUREAU_OFFICER, TerminationFlow.decide, "termination-decisions", _("Decisions due, overdue first"),
         _("No decision is waiting for you.")),
        (Role.BUREAU_DIRECTOR, TerminationFlow.escalate, "termination-escalations", _("Escalated decisions"),
         _("No escalation is waiting for you.")),
    ]  # fmt: skip
    for role, step, key, title, empty in bureau_sections:
        if role in roles:
            waiting_step = tasks.filter(flow_task=step)
            first = kit_selectors.tasks_by_case_deadline(
                waiting_step, cases=open_decisions, due_field=decision.field, limit=SECTION_LIMIT
            )
            sections.append(
                Section(
                    key=key,
                    title=title,
                    headers=task_headers,
                    rows=task_rows(first),
                    total=capped_count(waiting_step),
                    see_all_url=queue_url,
                    empty=empty,
                )
            )
    if Role.INSPECTOR in roles:
        flagged = (
            TerminationCase.objects.filter(county_id__in=inspected_county_ids(user), flagged_for_inspection=True)
            .select_related("facility")
            .defer(*encrypted_fields(TerminationCase))
            .order_by("-created")
        )
        sections.append(
            section(
                flagged,
                rows=_case_rows,
                key="termination-flagged",
                title=_("Cases flagged for inspection"),
                headers=case_headers,
                see_all_url=case_list_url,
                empty=_("No case is flagged for inspection."),
            )
        )
    return sections


# --- The county's monthly figures for the bulletins (workflows.cases.statistics) ----------------


def monthly_figures(*, county: Any, start: Any, end: Any) -> list[Any]:
    """Requests received, approved (certificates issued), rejected and procedures recorded in ``[start, end)``."""
    from workflows.cases.statistics import figures_counted

    cases = TerminationCase.objects.filter(county=county)
    return figures_counted(
        start,
        end,
        [
            ("received", _("Requests received"), cases, "created"),
            ("approved", _("Approved: certificates issued"), cases, "certificate_issued_at"),
            ("rejected", _("Rejected"), cases.filter(stage=Stage.REJECTED), "ended_at"),
            ("completed", _("Procedures recorded"), cases.filter(stage=Stage.COMPLETED), "ended_at"),
        ],
    )
