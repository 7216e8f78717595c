from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BirthsConfig(AppConfig):
    name = "workflows.births"
    label = "births"
    verbose_name = _("Birth and death reporting")

    def ready(self) -> None:
        from workflows.cases.registry import Procedure, procedure_register
        from workflows.cases.statistics import register_birth_counts, register_report_status

        from . import api, demo, roles, selectors, services, views  # noqa: F401 - roles register on import
        from .flows import MonthlyBirthReportFlow
        from .models import MonthlyBirthReport
        from .viewsets import BirthReportViewset
        from .visibility import VISIBILITY

        procedure_register(
            Procedure(
                code="births",
                label=_("Birth and death reporting"),
                case_model=MonthlyBirthReport,
                flow_class=MonthlyBirthReportFlow,
                viewset_class=BirthReportViewset,
                visible=selectors.reports_for_user,
                roles=selectors.report_roles,
                visibility=VISIBILITY,
                page_context=views.page_context,
                sweeps=(
                    services.births_sign_reminders_send,
                    services.births_missing_reports_send,
                    services.births_overdue_checks_send,
                ),
                workspace_sections=selectors.workspace_sections,
                seed_demo=demo.seed,
                action_labels=selectors.ACTION_LABELS,
                step_labels=selectors.STEP_LABELS,
                change_labels=selectors.change_labels(),
                test_scene="tests.workflows.births.scene",
                api=api.API,
            )
        )
        register_birth_counts(selectors.accepted_birth_counts)
        register_report_status(selectors.report_statuses)
