"""Ultrasound device registration and its lifecycle (domain.md, "Flow 2"; PC-PNDT's registry rules).

A clerk of the facility that bought a device files it (late filings only with an
explanation); the facility director signs the unit undertaking; a bureau officer
reviews and sends a health supervision officer to check on site; the supervisor
signs the checklist's findings; the bureau decides under a deadline that
escalates to its director, and an approval gives the device its permanent
registration number and certificate. Relocations, operator changes, transfers
(a transfer to another county also needs the receiving bureau's acceptance),
decommissioning and scrapping go through the same steps. Every year the
facility renews the operators' pledges (overdue renewals escalate to the bureau
director: services.ultrasound_renewals_escalate), and the bureau may send a
supervisor to any registered device unannounced.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from permissions.access import bureau_county_ids
from permissions.roles import ACT_FOR_BUREAU, DIRECT_FACILITY, SUPERVISE, WORK_AT_FACILITY
from workflows.cases.flows import (
    CaseFlowMixin,
    bureau_decision_steps,
    case_attribute,
    case_county,
    case_decided,
    case_facility,
)
from workflows.locks import flow_lock
from workflows.nodes import If, RegflowView, SigningView

from . import notifications, services, views
from .models import CaseKind, Decision, UltrasoundCase
from .roles import FILE_CASES


def _case(process: Any) -> UltrasoundCase:
    return process if isinstance(process, UltrasoundCase) else UltrasoundCase.objects.get(pk=process.pk)


def _is_unannounced(activation: Any) -> bool:
    return _case(activation.process).kind == CaseKind.UNANNOUNCED_CHECK


def _awaits_receiving_county(activation: Any) -> bool:
    case = _case(activation.process)
    return case.last_decision == Decision.APPROVE and case.kind == CaseKind.TRANSFER and case.crosses_counties


def _chosen_supervisor(activation: Any) -> Any:
    return _case(activation.process).supervisor


def _acts_for_a_bureau(user: Any) -> bool:
    return bool(bureau_county_ids(user))


class UltrasoundRegistrationFlow(CaseFlowMixin, flow.Flow):
    process_class = UltrasoundCase
    lock_impl = flow_lock

    process_title = _("Ultrasound device registry")
    process_description = _("Filing, registration and every later change of an ultrasound scanner.")
    process_summary_template = "{{ process.get_kind_display }} · {{ process.get_stage_display }}"

    # --- Facility clerk -------------------------------------------------------------
    file = (
        flow.Start(views.FileView.as_view())
        .Annotation(title=_("File a new device"))
        .Permission(FILE_CASES)
        .Next(this.sign_undertaking)
    )

    file_amendment = (
        flow.Start(views.AmendmentFileView.as_view())
        .Annotation(title=_("File a change to a device"))
        .Permission(FILE_CASES)
        .Next(this.sign_undertaking)
    )

    amend = (
        RegflowView(views.AmendView.as_view())
        .Annotation(title=_("Amend the filing"))
        .Permission(WORK_AT_FACILITY, obj=case_facility)
        .onCreate(this.on_task_created)
        .Next(this.sign_undertaking)
    )

    # --- Facility director ------------------------------------------------------------
    sign_undertaking = (
        SigningView(views.UndertakingView.as_view(), repeatable=True)
        .Annotation(title=_("Sign the unit undertaking"))
        .Permission(DIRECT_FACILITY, obj=case_facility)
        .onCreate(this.on_task_created)
        .Next(this.check_undertaking)
    )

    check_undertaking = (
        If(case_decided(Decision.FORWARD)).Annotation(title=_("Signed?")).Then(this.review).Else(this.amend)
    )

    # --- Bureau officer -------------------------------------------------------------------
    # Routing signs nothing: the officer who sends a supervisor may also take the decision.
    review = (
        RegflowView(views.ReviewView.as_view())
        .Annotation(title=_("Review the filing"))
        .Permission(ACT_FOR_BUREAU, obj=case_county)
        .onCreate(this.on_task_created)
        .Next(this.check_review)
    )

    check_review = (
        flow.Switch()
        .Annotation(title=_("Review outcome"))
        .Case(this.onsite_check, case_decided(Decision.CHECK))
        .Case(this.amend, case_decided(Decision.RETURN))
        .Default(this.decide)
    )

    schedule_check = (
        flow.Start(views.ScheduleCheckView.as_view())
        .Annotation(title=_("Schedule an unannounced check"))
        .Available(_acts_for_a_bureau)
        .Next(this.onsite_check)
    )

    # --- Health supervision officer --------------------------------------------------------
    onsite_check = (
        SigningView(views.CheckView.as_view(), repeatable=True)
        .Annotation(title=_("Check on site"))
        .Permission(SUPERVISE, obj=case_county)
        .Assign(_chosen_supervisor)
        .onCreate(this.on_check_assigned)
        .Next(this.check_unannounced)
    )

    check_unannounced = (
        If(_is_unannounced).Annotation(title=_("Unannounced check?")).Then(this.checked).Else(this.decide)
    )

    # --- Bureau decision, the bureau director on escalation, the receiving county --------------
    decide, escalate = bureau_decision_steps(views.DecideView, then=this.check_decision)

    check_decision = (
        flow.Switch()
        .Annotation(title=_("Decision"))
        .Case(this.accept_transfer, _awaits_receiving_county)
        .Case(this.apply, case_decided(Decision.APPROVE))
        .Case(this.amend, case_decided(Decision.RETURN))
        .Default(this.refused)
    )

    accept_transfer = (
        SigningView(views.AcceptTransferView.as_view(), bureau=True)
        .Annotation(title=_("Accept the transferred device"))
        .Permission(ACT_FOR_BUREAU, obj=case_attribute("target_county"))
        .onCreate(this.on_task_created)
        .Next(this.check_acceptance)
    )

    check_acceptance = (
        If(case_decided(Decision.APPROVE)).Annotation(title=_("Accepted?")).Then(this.apply).Else(this.refused)
    )

    apply = flow.Function(this.do_apply).Annotation(title=_("Update the registry")).Next(this.approved)

    # --- Yearly pledge renewal (opened by services.ultrasound_renewals_open) --------------------
    open_renewal = flow.StartHandle(this.start_renewal).Annotation(title=_("Pledges due")).Next(this.renew_pledges)

    renew_pledges = (
        SigningView(views.RenewView.as_view(), approval=False)
        .Annotation(title=_("Renew the operators' pledges"))
        .Permission(DIRECT_FACILITY, obj=case_facility)
        .onCreate(this.on_task_created)
        .Next(this.renewed)
    )

    # --- Ends (a withdrawal cancels the open tasks: see services.ultrasound_withdraw) ------------
    approved = flow.End().Annotation(title=_("Approved"))
    refused = flow.End().Annotation(title=_("Refused"))
    renewed = flow.End().Annotation(title=_("Pledges renewed"))
    checked = flow.End().Annotation(title=_("Checked"))

    # --- Handlers (the rest: workflows.cases.flows.CaseFlowMixin) ---------------------------------
    def on_check_assigned(self, activation: Any) -> None:
        notifications.notify_assignee(activation)

    def decision_deadline_days(self, case: UltrasoundCase) -> int:
        return services.bureau_decision_deadline_days(county_id=case.county_id)

    def do_apply(self, activation: Any) -> None:
        services.ultrasound_apply(case=_case(activation.process))

    def start_renewal(self, activation: Any, device: Any) -> UltrasoundCase:
        return services.ultrasound_renewal_start(activation=activation, device=device)
