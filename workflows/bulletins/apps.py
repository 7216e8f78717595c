from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulletinsConfig(AppConfig):
    name = "workflows.bulletins"
    label = "bulletins"
    verbose_name = _("Bulletins")

    def ready(self) -> None:
        from workflows.cases.registry import Procedure, procedure_register
        from workflows.events import KIND_ICONS, KIND_LABELS

        from . import demo, roles, selectors, services  # noqa: F401 - roles register on import
        from .flows import BulletinFlow
        from .models import Bulletin
        from .viewsets import BulletinViewset

        KIND_LABELS["bulletin.published"] = _("A bulletin was published")
        KIND_ICONS["bulletin.published"] = "campaign"
        procedure_register(
            Procedure(
                code="bulletins",
                label=_("Bulletins"),
                case_model=Bulletin,
                flow_class=BulletinFlow,
                viewset_class=BulletinViewset,
                visible=selectors.bulletins_for_user,
                roles=selectors.bulletin_roles,
                page_context=selectors.page_context,
                sweeps=(services.bulletins_compile_due,),
                workspace_sections=selectors.workspace_sections,
                seed_demo=demo.seed,
                action_labels=selectors.ACTION_LABELS,
                step_labels=selectors.STEP_LABELS,
                change_labels=selectors.change_labels(),
                test_scene="tests.workflows.bulletins.scene",
            )
        )
