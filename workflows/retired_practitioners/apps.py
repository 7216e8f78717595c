from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetiredPractitionersConfig(AppConfig):
    name = "workflows.retired_practitioners"
    label = "retired_practitioners"
    verbose_name = _("Retired practitioner registry")

    def ready(self) -> None:
        from workflows.cases.persons import person_index_register
        from workflows.cases.registry import Procedure, procedure_register

        from . import api, demo, roles, selectors, services  # noqa: F401 - roles register on import
        from .flows import RetiredPractitionerFlow
        from .models import PractitionerCase, PractitionerDocument
        from .views import page_context
        from .viewsets import RetiredPractitionerViewset
        from .visibility import VISIBILITY

        procedure_register(
            Procedure(
                code=services.CODE,
                label=_("Retired practitioner registry"),
                case_model=PractitionerCase,
                flow_class=RetiredPractitionerFlow,
                viewset_class=RetiredPractitionerViewset,
                visible=selectors.practitioner_cases_for_user,
                roles=selectors.practitioner_case_roles,
                document_model=PractitionerDocument,
                signature_meanings={
                    services.FOLLOWED_UP: _("Follow-up confirmed"),
                    services.EVENT_RECORDED: _("Event recorded"),
                    services.HANDOVER_ACCEPTED: _("Handover accepted"),
                    services.CROSS_CHECK_REVIEWED: _("Cross-check reviewed"),
                },
                reason_required_meanings=frozenset({services.CROSS_CHECK_REVIEWED}),
                sweeps=(services.practitioner_follow_ups_open,),
                visibility=VISIBILITY,
                page_context=page_context,
                seed_demo=demo.seed,
                action_labels=selectors.ACTION_LABELS,
                step_labels=selectors.STEP_LABELS,
                change_labels=selectors.change_labels(),
                figures=selectors.monthly_figures,
                test_scene="tests.workflows.retired_practitioners.scene",
                api=api.API,
            )
        )
        person_index_register(
            procedure=services.CODE,
            lookup=services.practitioner_person_records,
            on_filed=services.practitioner_person_filed,
        )
