from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerminationConfig(AppConfig):
    name = "workflows.termination"
    label = "termination"
    verbose_name = _("Termination approval")

    def ready(self) -> None:
        from audit.actions import register_action_labels, register_record_labels
        from audit.selectors import register_case_type

        from . import roles  # noqa: F401 - registration on import
        from .models import Pathway
        from .selectors import ACTION_LABELS, CHANGE_LABELS, OBJECT_TYPE, STEP_LABELS, cases_by_certificate

        register_action_labels(ACTION_LABELS)
        register_record_labels(OBJECT_TYPE, steps=STEP_LABELS, **CHANGE_LABELS)
        register_case_type(OBJECT_TYPE, certificate_lookup=cases_by_certificate)
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

        from workflows.sweeps import register_sweep

        from .services import termination_deadline_reminders_send

        register_sweep(termination_deadline_reminders_send)

        from workflows.workspace import register_workspace_sections

        from .selectors import workspace_sections

        register_workspace_sections(workspace_sections)
