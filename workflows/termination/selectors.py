"""Reads for the case pages. Query counts are pinned in tests/workflows/termination/test_pages.py."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.selectors import object_trail
from audit.services import audit_read, object_ref
from permissions.access import audit_county_ids_for_user, termination_read_is_oversight
from workflows.nodes import open_tasks
from workflows.visibility import redact_changes

from .models import TerminationCase
from .visibility import VISIBILITY, case_visible_fields

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


def case_page_context(*, case: TerminationCase, user: Any) -> dict[str, Any]:
    """Everything a case page shows: documents, opinions, signatures with their validity, the audit timeline."""
    from .flows import TerminationFlow

    trail = object_trail(obj=case)
    documents = list(case.documents.select_related("uploaded_by__profile").order_by("pk"))
    opinions = list(case.opinions.select_related("expert__profile", "signature").order_by("pk"))
    flow = TerminationFlow.instance
    see = case_visible_fields(user=user, case=case)
    return {
        "case": case,
        "documents": documents,
        "opinions": opinions,
        "signatures": trail.signatures,
        # The timeline shows each change; a restricted field's value only to those the table allows.
        "events": redact_changes(
            trail.events, [field for field in VISIBILITY.fields if not see[field]], placeholder=str(_("hidden"))
        ),
        "trail_check": trail.check,
        # Restricted fields, from the visibility table: templates show a field only when see.<field>.
        "see": see,
        "show_fetal_sex": see["fetal_sex"],
        "chart_url": flow.reverse("process_chart", args=[case.pk]),
        "case_url": flow.reverse("process_detail", args=[case.pk]),
        # Bureau and inspectors also get the trail's own page and its PDF and CSV copies.
        "trail_ref": object_ref(case) if case.county_id in audit_county_ids_for_user(user) else None,
        "now": timezone.now(),
    }


def case_tasks(*, case: TerminationCase, user: Any) -> list[dict[str, Any]]:
    """The case's open tasks, with what this user may do about each."""
    rows = []
    for task in open_tasks(case).exclude(flow_task_type="TIMER").order_by("pk"):
        node = task.flow_task
        can_execute = task.status == "ASSIGNED" and node.can_execute(user, task)
        can_claim = task.status == "NEW" and node.can_assign(user, task)
        rows.append(
            {
                "task": task,
                "title": node.task_title,
                "execute_url": node.reverse("execute", args=[case.pk, task.pk]) if can_execute else "",
                "claim_url": node.reverse("assign", args=[case.pk, task.pk]) if can_claim else "",
            }
        )
    return rows


def case_read_audit(*, case: TerminationCase, request: HttpRequest) -> None:
    """Bureau and inspector reads of a patient record go into the audit trail."""
    if termination_read_is_oversight(user=request.user, case=case):
        audit_read(user=request.user, obj=case, request=request)


def termination_case_list(*, cases: Any) -> Any:
    return cases.select_related("facility", "county").order_by("-created")
