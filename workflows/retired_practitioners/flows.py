"""Retired OB/GYN practitioners on file (domain.md, "Flow 3"; our own design).

When an OB/GYN doctor or ultrasound operator retires, a clerk of the former
facility files them (late filings only with an explanation, and flagged); the
facility director signs; the bureau of the practitioner's home county verifies
and puts them on file, or returns the filing. Every follow-up interval the home
county's officer gets a follow-up task (services.practitioner_follow_ups_open, a
sweep): current activity, address and the renewed pledge, signed; an overdue
follow-up goes to the bureau director. The officer records re-employment, a move
(the receiving county's bureau takes the filing over) and death (which closes
it), each signed. A person on file who turns up as a device operator, or is
re-employed at a facility without an MCH licence, gives the officer a flagged
cross-check task (services.practitioner_cross_check, workflows.cases.persons).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from permissions.access import bureau_county_ids
from permissions.roles import ACT_FOR_BUREAU, DIRECT_BUREAU, DIRECT_FACILITY, WORK_AT_FACILITY
from workflows.cases.flows import CaseFlowMixin, case_attribute, case_county, case_decided, case_facility
from workflows.cases.notifications import notify_task_created
from workflows.locks import flow_lock
from workflows.nodes import If, RegflowView, SigningView

from . import services, views
from .models import CaseKind, Decision, PractitionerCase, RetiredPractitioner
from .roles import FILE_CASES


def _case(process: Any) -> PractitionerCase:
    return PractitionerCase.of(process)


def _is_move(activation: Any) -> bool:
    return _case(activation.process).kind == CaseKind.MOVE


def _acts_for_a_bureau(user: Any) -> bool:
    return bool(bureau_county_ids(user))


def _follow_up_due(activation: Any) -> datetime:
    return services.follow_up_deadline(_case(activation.process))


class RetiredPractitionerFlow(CaseFlowMixin, flow.Flow):
    process_class = PractitionerCase
    lock_impl = flow_lock

    process_title = _("Retired practitioners")
    process_description = _("Filing, verification, yearly follow-up and events of retired OB/GYN practitioners.")
    process_summary_template = "{{ process.get_kind_display }} · {{ process.get_stage_display }}"

    # --- Former facility: clerk files, director signs -------------------------------------
    file = (
        flow.Start(views.FileView.as_view())
        .Annotation(title=_("File a retired practitioner"))
        .Permission(FILE_CASES)
        .Next(this.sign_filing)
    )

    amend = (
        RegflowView(views.AmendView.as_view())
        .Annotation(title=_("Amend the filing"))
        .Permission(WORK_AT_FACILITY, obj=case_facility)
        .onCreate(this.on_task_created)
        .Next(this.sign_filing)
    )

    sign_filing = (
        SigningView(views.SignFilingView.as_view(), repeatable=True)
        .Annotation(title=_("Sign the filing"))
        .Permission(DIRECT_FACILITY, obj=case_facility)
        .onCreate(this.on_task_created)
        .Next(this.check_signed)
    )

    check_signed = If(case_decided(Decision.FORWARD)).Annotation(title=_("Signed?")).Then(this.verify).Else(this.amend)

    # --- Bureau of the home county ----------------------------------------------------------
    verify = (
        SigningView(views.VerifyView.as_view(), bureau=True, repeatable=True)
        .Annotation(title=_("Verify the filing"))
        .Permission(ACT_FOR_BUREAU, obj=case_county)
        .onCreate(this.on_task_created)
        .Next(this.check_verified)
    )

    check_verified = (
        If(case_decided(Decision.APPROVE)).Annotation(title=_("Verified?")).Then(this.on_file).Else(this.amend)
    )

    # --- Yearly follow-up (opened by services.practitioner_follow_ups_open) ---------------------
    open_follow_up = flow.StartHandle(this.start_follow_up).Annotation(title=_("Follow-up due")).Next(this.follow_up)

    follow_up = (
        SigningView(views.FollowUpView.as_view(), step="follow_up", bureau=True)
        .Annotation(title=_("Follow up the practitioner"))
        .Permission(ACT_FOR_BUREAU, obj=case_county)
        .onCreate(this.on_task_created)
        .OnTimeout(_follow_up_due, this.escalate_follow_up, title=_("Follow-up deadline"))
        .Next(this.followed_up)
    )

    escalate_follow_up = (
        SigningView(views.FollowUpView.as_view(), step="follow_up", bureau=True)
        .Annotation(title=_("Overdue follow-up"))
        .Permission(DIRECT_BUREAU, obj=case_county)
        .onCreate(this.on_follow_up_escalated)
        .Next(this.followed_up)
    )

    # --- Events, recorded and signed by the home county's officer ------------------------------
    record_event = (
        flow.Start(views.RecordEventView.as_view())
        .Annotation(title=_("Record an event"))
        .Available(_acts_for_a_bureau)
        .Next(this.check_move)
    )

    check_move = If(_is_move).Annotation(title=_("A move?")).Then(this.take_over).Else(this.recorded)

    take_over = (
        SigningView(views.TakeOverView.as_view(), bureau=True)
        .Annotation(title=_("Take the filing over"))
        .Permission(ACT_FOR_BUREAU, obj=case_attribute("target_county"))
        .onCreate(this.on_task_created)
        .Next(this.handed_over)
    )

    # --- Cross-checks (opened by services.practitioner_cross_check) ---------------------------
    open_cross_check = (
        flow.StartHandle(this.start_cross_check)
        .Annotation(title=_("Cross-check finding"))
        .Next(this.review_cross_check)
    )

    review_cross_check = (
        SigningView(views.CrossCheckView.as_view(), bureau=True)
        .Annotation(title=_("Review the cross-check finding"))
        .Permission(ACT_FOR_BUREAU, obj=case_county)
        .onCreate(this.on_task_created)
        .Next(this.cross_checked)
    )

    # --- Ends (a withdrawal cancels the open tasks: services.practitioner_withdraw) -------------
    on_file = flow.End().Annotation(title=_("On file"))
    followed_up = flow.End().Annotation(title=_("Followed up"))
    recorded = flow.End().Annotation(title=_("Recorded"))
    handed_over = flow.End().Annotation(title=_("Handed over"))
    cross_checked = flow.End().Annotation(title=_("Cross-check reviewed"))

    # --- Handlers (on_task_created: workflows.cases.flows.CaseFlowMixin) ----------------------------
    def on_follow_up_escalated(self, activation: Any) -> None:
        services.practitioner_follow_up_escalate(case=_case(activation.process))
        notify_task_created(activation)

    def start_follow_up(self, activation: Any, entry: RetiredPractitioner) -> PractitionerCase:
        return services.practitioner_follow_up_start(activation=activation, entry=entry)

    def start_cross_check(self, activation: Any, entry: RetiredPractitioner, details: dict[str, Any]) -> Any:
        return services.practitioner_cross_check_start(activation=activation, entry=entry, details=details)
