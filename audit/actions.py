"""Human labels for audit actions and record references.

Actions are stored as stable codes (``termination.decide``); people read labels.
Each procedure registers the labels of its own actions from its AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Mapping

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

_LABELS: dict[str, Promise | str] = {
    "record.read": _("Record read"),
    "signature.password_refused": _("Signature refused: wrong password"),
    "task.claim": _("Task claimed"),
    "role.grant": _("Role granted"),
    "role.revoke": _("Role revoked"),
    "county_config.create": _("County rules created"),
    "county_config.update": _("County rules changed"),
    "audit.export_csv": _("Audit search exported as CSV"),
    "audit.export_pdf": _("Audit search exported as PDF"),
    "audit.sealed": _("Audit trail sealed"),
}


def register_action_labels(labels: Mapping[str, Promise | str]) -> None:
    _LABELS.update(labels)


def action_label(action: str) -> str:
    from .models import Signature

    if action in _LABELS:
        return str(_LABELS[action])
    prefix, _dot, rest = action.partition(".")
    if prefix == "signature" and rest in Signature.Meaning.values:
        return gettext("Signed: %(meaning)s") % {"meaning": Signature.Meaning(rest).label}
    if rest in {"create", "update"}:  # admin saves of reference data: "<model>.create"
        model = _model_for(prefix)
        if model is not None:
            template = gettext("%(model)s created") if rest == "create" else gettext("%(model)s changed")
            return template % {"model": model._meta.verbose_name}
    return action


def _model_for(model_name: str):  # type: ignore[no-untyped-def]
    for model in apps.get_models():
        if model._meta.model_name == model_name:
            return model
    return None


def record_label(object_type: str, object_id: str) -> str:
    """'termination.terminationcase', '5' -> 'termination case #5' (in the active language)."""
    if object_type == "audit.search":
        return gettext("audit search")
    if object_type == "audit.chain":
        return gettext("audit trail")
    app_label, _dot, model_name = object_type.partition(".")
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        return f"{object_type}:{object_id}"
    return f"{model._meta.verbose_name} #{object_id}"
