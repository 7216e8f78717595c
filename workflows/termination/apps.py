from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerminationConfig(AppConfig):
    name = "workflows.termination"
    label = "termination"
    verbose_name = _("Termination approval")

    def ready(self) -> None:
        from audit.actions import register_action_labels, register_record_labels
        from workflows.cases.registry import Procedure, procedure_register

        from . import api, demo, roles, selectors, services  # noqa: F401 - roles register on import
        from .flows import TerminationFlow
        from .models import (
            CERTIFICATE_KIND,
            REASON_REQUIRED_MEANINGS,
            Meaning,
            Pathway,
            TerminationCase,
            TerminationDocument,
        )
        from .viewsets import TerminationViewset
        from .visibility import VISIBILITY

        procedure_register(
            Procedure(
                code="termination",
                label=self.verbose_name,
                case_model=TerminationCase,
                flow_class=TerminationFlow,
                viewset_class=TerminationViewset,
                visible=selectors.cases_visible,
                roles=selectors.case_roles,
                document_model=TerminationDocument,
                visibility=VISIBILITY,
                page_context=selectors.opinions_context,
                signature_meanings=dict(Meaning.choices),
                reason_required_meanings=REASON_REQUIRED_MEANINGS,
                sweeps=(services.termination_deadline_reminders_send,),
                workspace_sections=selectors.workspace_sections,
                certificate_kind=CERTIFICATE_KIND,
                certificate_title=_("Termination authorisation certificate"),
                seed_demo=demo.seed,
                action_labels=selectors.ACTION_LABELS,
                step_labels=selectors.STEP_LABELS,
                change_labels=selectors.CHANGE_LABELS,
                figures=selectors.monthly_figures,
                test_scene="tests.workflows.termination.scene",
                api=api.API,
            )
        )
        # A county's rules name the personal pathways it accepts by their codes.
        register_record_labels(
            "termination.terminationcountyrules", values={"accepted_personal_pathways": dict(Pathway.choices)}
        )
        register_action_labels(
            {
                "termination_rules.create": _("County termination rules created"),
                "termination_rules.update": _("County termination rules changed"),
            }
        )
