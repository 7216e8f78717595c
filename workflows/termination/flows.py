"""Termination approval at a designated site (domain.md, "Flow 1").

A clerk of a designated facility submits the request; medical pathways go to a
panel of three distinct senior experts (again, a fresh panel, after an amendment of
a fact the panel judged); the facility director forwards, returns
or rejects; a bureau officer of the facility's county approves (a numbered
certificate), returns or rejects, under a deadline that escalates to the bureau
director; the facility records the procedure within the certificate's validity
or the case expires. Emergencies, recorded after the fact, go straight to the
bureau. Every signing step is a SigningView (four-eyes across the whole case).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from permissions.roles import DIRECT_FACILITY, SIT_ON_PANEL, WORK_AT_FACILITY
from workflows.cases.flows import (
    CaseFlowMixin,
    bureau_decision_steps,
    case_county,
    case_decided,
    case_due,
    case_facility,
)
from workflows.locks import flow_lock
from workflows.nodes import If, RegflowView, SigningView

from . import services, views
from .models import Decision, Stage, TerminationCase
from .roles import SUBMIT_CASES
from .rules import TerminationCountyRules


def _is_emergency(activation: Any) -> bool:
    return TerminationCase.of(activation.process).emergency


def _is_medical(activation: Any) -> bool:
    return TerminationCase.of(activation.process).is_medical


def _awaits_panel(activation: Any) -> bool:
    # services.termination_amend decides whether an amendment needs a fresh panel, and says so in the stage.
    return TerminationCase.of(activation.process).stage == Stage.PANEL


class TerminationFlow(CaseFlowMixin, flow.Flow):
    process_class = TerminationCase
    lock_impl = flow_lock

    process_title = _("Termination approval")
    process_description = _("Approval of a termination of pregnancy at or beyond the county's threshold.")
    process_summary_template = "{{ process.get_stage_display }}"

    # --- Facility clerk -----------------------------------------------------
    submit = (
        flow.Start(views.SubmitView.as_view())
        .Annotation(title=_("Submit a request"))
        .Permission(SUBMIT_CASES)
        .Next(this.check_emergency)
    )

    check_emergency = If(_is_emergency).Annotation(title=_("Emergency?")).Then(this.decide).Else(this.check_medical)

    check_medical = If(_is_medical).Annotation(title=_("Medical pathway?")).Then(this.split_panel).Else(this.review)

    # --- Expert panel (three distinct senior experts, in parallel) ------------
    # Three seats: the same node three times. (The free wheel documents Split's
    # data_source but does not implement it.) SigningView keeps the seats distinct.
    split_panel = (
        flow.Split()
        .Annotation(title=_("Convene the expert panel"))
        .Always(this.give_opinion)
        .Always(this.give_opinion)
        .Always(this.give_opinion)
    )

    give_opinion = (
        SigningView(views.OpinionView.as_view(), eligible=services.sits_on_panel)
        .Annotation(title=_("Give an expert opinion"))
        .Permission(SIT_ON_PANEL, obj=case_county)
        .onCreate(this.on_task_created)
        .Next(this.join_panel)
    )

    join_panel = flow.Join().Annotation(title=_("Panel complete")).Next(this.review)

    # --- Facility director -------------------------------------------------------
    review = (
        SigningView(views.ReviewView.as_view(), repeatable=True)
        .Annotation(title=_("Facility review"))
        .Permission(DIRECT_FACILITY, obj=case_facility)
        .onCreate(this.on_task_created)
        .Next(this.check_review)
    )

    check_review = (
        flow.Switch()
        .Annotation(title=_("Review outcome"))
        .Case(this.decide, case_decided(Decision.FORWARD))
        .Case(this.amend, case_decided(Decision.RETURN))
        .Default(this.rejected)
    )

    amend = (
        RegflowView(views.AmendView.as_view())
        .Annotation(title=_("Amend the request"))
        .Permission(WORK_AT_FACILITY, obj=case_facility)
        .onCreate(this.on_task_created)
        .Next(this.check_resubmission)
    )

    # An amendment of a fact the panel judged sends a medical case to a fresh panel (never to the director
    # with the old opinions): services.termination_amend sets the stage, and the rule is in its docstring.
    check_resubmission = (
        flow.Switch()
        .Annotation(title=_("Resubmitted to"))
        .Case(this.decide, _is_emergency)
        .Case(this.split_panel, _awaits_panel)
        .Default(this.review)
    )

    # --- Bureau officer, and the bureau director on escalation --------------------
    decide, escalate = bureau_decision_steps(views.DecideView, then=this.check_decision)

    check_decision = (
        flow.Switch()
        .Annotation(title=_("Decision"))
        .Case(this.issue_certificate, case_decided(Decision.APPROVE))
        .Case(this.amend, case_decided(Decision.RETURN))
        .Default(this.rejected)
    )

    issue_certificate = (
        flow.Function(this.do_issue_certificate)
        .Annotation(title=_("Issue the certificate"))
        .Next(this.record_procedure)
    )

    # --- Designated facility, within the certificate's validity ----------------------
    record_procedure = (
        SigningView(views.RecordView.as_view(), approval=False)
        .Annotation(title=_("Record the procedure"))
        .Permission(WORK_AT_FACILITY, obj=case_facility)
        .onCreate(this.on_task_created)
        .OnTimeout(case_due("certificate_valid_until"), this.expire, title=_("Certificate validity"))
        .Next(this.completed)
    )

    expire = flow.Function(this.do_expire).Annotation(title=_("Certificate expired")).Next(this.expired)

    # --- Ends (a withdrawal cancels the open tasks: see services.termination_withdraw) ---
    completed = flow.End().Annotation(title=_("Completed"))
    rejected = flow.End().Annotation(title=_("Rejected"))
    expired = flow.End().Annotation(title=_("Expired"))

    # --- Handlers (the rest: workflows.cases.flows.CaseFlowMixin) -------------------------
    def decision_deadline_days(self, case: TerminationCase) -> int:
        return TerminationCountyRules.objects.get(county_id=case.county_id).decision_deadline_days

    def do_issue_certificate(self, activation: Any) -> None:
        services.certificate_issue(case=TerminationCase.of(activation.process))
