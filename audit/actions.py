"""Human labels for what the audit trail stores as codes: actions, records, changed fields and their
values, signing steps.

Actions are stored as stable codes (``termination.decide``), changes as {field: value} with choice
codes (``pathway: fetal_defect``), signatures with the node they were given at (``bureau_decision``);
people read labels, on screen and in the CSV and PDF copies. Each procedure registers the labels of
its own actions (``register_action_labels``) and of its records (``register_record_labels``) from its
AppConfig.ready(); fields of the model need no registration.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import DateTimeField, Field
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

_LABELS: dict[str, Promise | str] = {
    "record.read": _("Record read"),
    "signature.password_refused": _("Signature refused: wrong password"),
    "task.claim": _("Task claimed"),
    "task.release": _("Task released"),
    "role.grant": _("Role granted"),
    "role.revoke": _("Role revoked"),
    "county_config.create": _("County rules created"),
    "county_config.update": _("County rules changed"),
    "audit.export_csv": _("Audit search exported as CSV"),
    "audit.export_pdf": _("Audit search exported as PDF"),
    "audit.sealed": _("Audit trail sealed"),
}


# Kinds of record the trail holds events about, beyond those with a vocabulary below (register_record_labels).
_RECORD_TYPES: set[str] = {"audit.search", "audit.chain"}
# Models whose admin saves are audited as "<model>.create" and "<model>.update" (permissions.admin).
_AUDITED_MODELS: set[str] = set()


def register_action_labels(labels: Mapping[str, Promise | str]) -> None:
    _LABELS.update(labels)


def register_audited_model(model: Any) -> None:
    """A model whose admin saves write "<model>.create"/"<model>.update" events about it."""
    _AUDITED_MODELS.add(model._meta.model_name)
    _RECORD_TYPES.add(f"{model._meta.app_label}.{model._meta.model_name}")


def registered_actions() -> list[str]:
    """Every action code the trail can hold, from the registries (the search's choices: no scan of the trail)."""
    actions = set(_LABELS)
    actions |= {f"signature.{meaning}" for meaning in signature_meanings()}
    actions |= {f"{model}.{verb}" for model in _AUDITED_MODELS for verb in ("create", "update")}
    return sorted(actions)


def registered_record_types() -> list[str]:
    """Every kind of record ('app_label.model') the trail holds events about, from the registries."""
    return sorted(_RECORD_TYPES | set(_RECORDS))


# Signature meanings beyond Signature.Meaning's shared ones, registered by procedures; and those needing a reason.
_MEANINGS: dict[str, Promise | str] = {}
_REASON_REQUIRED_MEANINGS: set[str] = set()


def register_signature_meanings(meanings: Mapping[str, Promise | str], *, reason_required: Iterable[str] = ()) -> None:
    """A procedure's own signature meanings ({code: label}), and which of them must carry a reason."""
    _MEANINGS.update(meanings)
    _REASON_REQUIRED_MEANINGS.update(reason_required)


def signature_meanings() -> dict[str, Promise | str]:
    """Every meaning a signature may have: the shared ones and those procedures registered."""
    from .models import Signature

    return {**dict(Signature.Meaning.choices), **_MEANINGS}


def signature_meaning_label(meaning: str) -> str:
    return str(signature_meanings().get(meaning, meaning))


def reason_required_meanings() -> frozenset[str]:
    """Meanings that must say why: refusals, returns, withdrawals, changes to what was submitted."""
    from .models import Signature

    shared = {
        Signature.Meaning.AMENDED,
        Signature.Meaning.WITHDRAWN,
        Signature.Meaning.CANCELLED,
        Signature.Meaning.REJECTED,
        Signature.Meaning.RETURNED,
    }
    return frozenset({str(m) for m in shared} | _REASON_REQUIRED_MEANINGS)


def action_label(action: str) -> str:
    if action in _LABELS:
        return str(_LABELS[action])
    prefix, _dot, rest = action.partition(".")
    if prefix == "signature" and rest in signature_meanings():
        return gettext("Signed: %(meaning)s") % {"meaning": signature_meaning_label(rest)}
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


# --- What the trail's records hold: field names, values and signing steps -------------------

ValueLabels = Mapping[str, Promise | str] | Callable[[Any], str]


@dataclass
class RecordVocabulary:
    """How to read the changes and signatures of one kind of record (an 'app_label.model')."""

    fields: dict[str, Promise | str] = field(default_factory=dict)
    values: dict[str, ValueLabels] = field(default_factory=dict)
    steps: dict[str, Promise | str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # a key that stands for a model field of another name


# Keys the audit layer itself writes, whatever the record.
_COMMON = RecordVocabulary(
    fields={
        "signature_id": _("signature"),
        "content_hash": _("content hash"),
        "step": _("step"),
        "filters": _("filters"),
        "events": _("events"),
    }
)
_RECORDS: dict[str, RecordVocabulary] = {}


def register_record_labels(
    object_type: str,
    *,
    fields: Mapping[str, Promise | str] | None = None,
    values: Mapping[str, ValueLabels] | None = None,
    steps: Mapping[str, Promise | str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> None:
    """Labels for the keys of ``changes`` that are not fields of the model, for their values (a
    {code: label} mapping or a function), for the signing steps, and keys that stand for a model field
    of another name (``{"method": "procedure_method"}``).

    Keys that are model fields need nothing: their verbose name and choices are used.
    """
    vocabulary = _RECORDS.setdefault(object_type, RecordVocabulary())
    vocabulary.fields.update(fields or {})
    vocabulary.values.update(values or {})
    vocabulary.steps.update(steps or {})
    vocabulary.aliases.update(aliases or {})


def _model_field(object_type: str, key: str) -> Field[Any, Any] | None:
    vocabulary = _RECORDS.get(object_type)
    key = vocabulary.aliases.get(key, key) if vocabulary is not None else key
    try:
        found = apps.get_model(object_type)._meta.get_field(key)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None
    return found if isinstance(found, Field) else None


def field_label(object_type: str, key: str) -> str:
    """The name of a key of an event's changes, as people read it: 'pathway' -> '申请类别'."""
    vocabulary = _RECORDS.get(object_type)
    if vocabulary is not None and key in vocabulary.fields:
        return str(vocabulary.fields[key])
    model_field = _model_field(object_type, key)
    if model_field is not None:
        return str(model_field.verbose_name)
    if key in _COMMON.fields:
        return str(_COMMON.fields[key])
    return key


def value_label(object_type: str, key: str, value: Any) -> str:
    """One value of an event's changes, as people read it: choice labels, yes/no, steps by their title."""
    if value is None or value == "":
        return "—"
    vocabulary = _RECORDS.get(object_type)
    labels = vocabulary.values.get(key) if vocabulary is not None else None
    if callable(labels):
        return labels(value)
    if isinstance(value, list):
        return ", ".join(value_label(object_type, key, item) for item in value) or "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if labels is not None and str(value) in labels:
        return str(labels[str(value)])
    if key == "step" and isinstance(value, str):
        return step_label(object_type, value)
    model_field = _model_field(object_type, key)
    if model_field is not None and model_field.choices and isinstance(value, str | int):
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, DateTimeField) and isinstance(value, str):
        from .display import local_datetime  # display reads labels from here

        moment = parse_datetime(value)
        return local_datetime(moment) if moment is not None and moment.tzinfo is not None else value
    return str(value)


def step_label(object_type: str, step: str) -> str:
    """The title of the step a signature was given at: 'bureau_decision' -> '卫生健康局审批'."""
    vocabulary = _RECORDS.get(object_type)
    if vocabulary is not None and step in vocabulary.steps:
        return str(vocabulary.steps[step])
    return step


def model_ref_label(value: Any) -> str:
    """'jurisdiction:3' (a reference that names the model only) -> 'jurisdiction #3', in the active language."""
    model_name, _colon, pk = str(value).partition(":")
    model = _model_for(model_name) if pk else None
    return f"{model._meta.verbose_name} #{pk}" if model is not None else str(value)


# Role grants name their scope so (permissions.services.role_grant).
register_record_labels("permissions.roleassignment", fields={"scope": _("scope")}, values={"scope": model_ref_label})
