from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UltrasoundConfig(AppConfig):
    name = "workflows.ultrasound"
    label = "ultrasound"
    verbose_name = _("Ultrasound device registry")

    def ready(self) -> None:
        from workflows.cases.persons import person_index_register
        from workflows.cases.registry import Procedure, procedure_register

        from . import api, demo, roles, selectors, services, views  # noqa: F401 - roles register on import
        from .flows import UltrasoundRegistrationFlow
        from .models import UltrasoundCase, UltrasoundDocument
        from .viewsets import UltrasoundViewset
        from .visibility import VISIBILITY

        procedure_register(
            Procedure(
                code="ultrasound",
                label=_("Ultrasound device registry"),
                case_model=UltrasoundCase,
                flow_class=UltrasoundRegistrationFlow,
                viewset_class=UltrasoundViewset,
                visible=selectors.ultrasound_cases_for_user,
                roles=selectors.ultrasound_case_roles,
                document_model=UltrasoundDocument,
                visibility=VISIBILITY,
                page_context=views.page_context,
                sweeps=(
                    services.ultrasound_deadline_reminders_send,
                    services.ultrasound_renewals_open,
                    services.ultrasound_renewals_escalate,
                ),
                workspace_sections=selectors.workspace_sections,
                certificate_kind=services.REGISTRATION_KIND,
                certificate_title=_("Ultrasound device registration certificate"),
                certificate_find=selectors.device_by_registration_number,
                certificate_lookup=selectors.cases_by_registration_number,
                seed_demo=demo.seed,
                action_labels=selectors.ACTION_LABELS,
                step_labels=selectors.STEP_LABELS,
                change_labels=selectors.change_labels(),
                figures=selectors.monthly_figures,
                test_scene="tests.workflows.ultrasound.scene",
                api=api.API,
            )
        )
        person_index_register(procedure="ultrasound", lookup=selectors.operator_person_records)
