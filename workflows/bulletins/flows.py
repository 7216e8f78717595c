"""The county's bulletin, from its compilation to its publication (issue #15; docs/bulletins.md).

The sweep compiles each county's bulletin once the period's reports are in
(services.bulletins_compile_due). A bureau officer reviews it and either has it
compiled again from the reports as they are now, or sends it to the bureau
director. The director signs it (with the password again; whoever reviewed or
recompiled it may not sign: four-eyes) or returns it to the review with a
reason. A signed bulletin is published at once: its page, PDF and Excel file
open to the county's facility directors, who hear of it with the inspectors.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from permissions.roles import ACT_FOR_BUREAU, DIRECT_BUREAU
from workflows.cases.flows import CaseFlowMixin, case_county, case_decided
from workflows.locks import flow_lock
from workflows.nodes import If, RegflowView, SigningView

from . import services, views
from .models import Bulletin, Decision


def _bulletin(process: Any) -> Bulletin:
    return process if isinstance(process, Bulletin) else Bulletin.objects.get(pk=process.pk)


class BulletinFlow(CaseFlowMixin, flow.Flow):
    process_class = Bulletin
    lock_impl = flow_lock

    process_title = _("Bulletins")
    process_description = _("The county's monthly sex-ratio bulletin and half-yearly statistics.")
    process_summary_template = (
        "{{ process.get_kind_display }} {{ process.period_label }} · {{ process.get_stage_display }}"
    )

    # --- The sweep ----------------------------------------------------------------------------
    compile = flow.StartHandle(this.start_compile).Annotation(title=_("Compile the bulletin")).Next(this.review)

    # --- Bureau officer ---------------------------------------------------------------------
    # The review signs nothing, but whoever reviews or recompiles is kept from signing (Bulletin.four_eyes_*).
    review = (
        RegflowView(views.ReviewView.as_view())
        .Annotation(title=_("Review the bulletin"))
        .Permission(ACT_FOR_BUREAU, obj=case_county)
        .onCreate(this.on_task_created)
        .Next(this.check_review)
    )

    check_review = (
        If(case_decided(Decision.RECOMPILE)).Annotation(title=_("Compiled again?")).Then(this.review).Else(this.sign)
    )

    # --- Bureau director --------------------------------------------------------------------
    sign = (
        SigningView(views.SignView.as_view(), bureau=True, repeatable=True)
        .Annotation(title=_("Sign and publish the bulletin"))
        .Permission(DIRECT_BUREAU, obj=case_county)
        .onCreate(this.on_task_created)
        .Next(this.check_signed)
    )

    check_signed = (
        If(case_decided(Decision.APPROVE)).Annotation(title=_("Signed?")).Then(this.publish).Else(this.review)
    )

    publish = flow.Function(this.do_publish).Annotation(title=_("Publish")).Next(this.published)

    published = flow.End().Annotation(title=_("Published"))

    # --- Handlers (on_task_created: workflows.cases.flows.CaseFlowMixin) ----------------------------
    def start_compile(self, activation: Any, **period: Any) -> Bulletin:
        return services.bulletin_compile_start(activation=activation, **period)

    def do_publish(self, activation: Any) -> None:
        services.bulletin_publish(bulletin=Bulletin.of(activation))
