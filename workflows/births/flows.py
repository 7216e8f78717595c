"""The monthly birth report (domain.md, "Later controls": 出生死亡登记报告).

A delivery facility's clerk or director opens the report of a month that is over; the
facility director signs the month's register (the signature binds every entry and the counts)
by the 5th; the township health centre's director checks it by the 10th (skipped when the
facility is itself the township's centre, or its township has none); the county bureau accepts
it. A return at any step sends it back to the facility, which amends the register (a new entry
replaces a signed one, with a reason) and the director signs the new revision. An accepted report
is corrected by a report of its own (the ``correct`` start, from the accepted report's page) that
takes the same steps and, once accepted, supersedes it. Whoever signed
never checks or accepts (SigningView's four-eyes rule); the bureau's staff are never the
facility's own.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from permissions.roles import ACT_FOR_BUREAU, DIRECT_FACILITY, WORK_AT_FACILITY
from workflows.cases.flows import CaseFlowMixin, case_attribute, case_county, case_decided, case_facility
from workflows.locks import flow_lock
from workflows.nodes import If, RegflowView, SigningView

from . import views
from .models import Decision, MonthlyBirthReport
from .roles import PREPARE_REPORTS


def _report(process: Any) -> MonthlyBirthReport:
    return process if isinstance(process, MonthlyBirthReport) else MonthlyBirthReport.objects.get(pk=process.pk)


def _has_township_check(activation: Any) -> bool:
    return _report(activation.process).checking_facility_id is not None


class MonthlyBirthReportFlow(CaseFlowMixin, flow.Flow):
    process_class = MonthlyBirthReport
    lock_impl = flow_lock

    process_title = _("Monthly birth reports")
    process_description = _("A delivery facility's monthly register of births and deaths: signed, checked, accepted.")
    process_summary_template = "{{ process.month|date:'Y-m' }} · {{ process.get_stage_display }}"

    # --- Facility clerk or director -------------------------------------------------------
    prepare = (
        flow.Start(views.PrepareView.as_view())
        .Annotation(title=_("Open a month's report"))
        .Permission(PREPARE_REPORTS)
        .Next(this.sign_register)
    )

    correct = (
        flow.Start(views.CorrectView.as_view())
        .Annotation(title=_("Correct an accepted report"))
        .Permission(PREPARE_REPORTS)
        .Next(this.sign_register)
    )

    amend = (
        RegflowView(views.AmendView.as_view())
        .Annotation(title=_("Amend the register"))
        .Permission(WORK_AT_FACILITY, obj=case_facility)
        .onCreate(this.on_task_created)
        .Next(this.sign_register)
    )

    # --- Facility director ---------------------------------------------------------------------
    # The director signs the facility's own register: the four-eyes rule applies to those who check it.
    sign_register = (
        SigningView(views.SignView.as_view(), approval=False, repeatable=True)
        .Annotation(title=_("Sign the month's register"))
        .Permission(DIRECT_FACILITY, obj=case_facility)
        .onCreate(this.on_task_created)
        .Next(this.check_signed)
    )

    check_signed = (
        If(case_decided(Decision.FORWARD)).Annotation(title=_("Signed?")).Then(this.route_check).Else(this.amend)
    )

    route_check = (
        If(_has_township_check)
        .Annotation(title=_("Checked by a township centre?"))
        .Then(this.township_check)
        .Else(this.accept)
    )

    # --- Township health centre's director -----------------------------------------------------
    township_check = (
        SigningView(views.TownshipCheckView.as_view(), repeatable=True)
        .Annotation(title=_("Check the report for the township"))
        .Permission(DIRECT_FACILITY, obj=case_attribute("checking_facility"))
        .onCreate(this.on_task_created)
        .Next(this.check_checked)
    )

    check_checked = (
        If(case_decided(Decision.FORWARD)).Annotation(title=_("Checked?")).Then(this.accept).Else(this.amend)
    )

    # --- County bureau ---------------------------------------------------------------------------
    accept = (
        SigningView(views.AcceptView.as_view(), bureau=True, repeatable=True)
        .Annotation(title=_("Accept the report"))
        .Permission(ACT_FOR_BUREAU, obj=case_county)
        .onCreate(this.on_task_created)
        .Next(this.check_accepted)
    )

    check_accepted = (
        If(case_decided(Decision.APPROVE)).Annotation(title=_("Accepted?")).Then(this.accepted).Else(this.amend)
    )

    accepted = flow.End().Annotation(title=_("Accepted"))
