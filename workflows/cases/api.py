"""What a procedure declares to publish its records to hospital information systems (the api app, docs/api.md).

A procedure lists ``ApiResource`` declarations in its ``Procedure(api=...)``; the top-level ``api`` app loops
over ``procedures()`` and gives each resource the same endpoints, authentication, scopes, pagination, errors and
idempotency. The procedure writes only what is its own: a serializer of one record (fields the reader may see,
by its FieldVisibility table), a serializer of a filing's body, and ``file()``, which validates with the page's
own forms and calls the page's own service. Nothing here writes a model.

Scopes are ``<procedure code>:read`` (every resource of the procedure) and ``<procedure code>:file``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

Label = Promise | str

READ = "read"
FILE = "file"
ACTIONS = (READ, FILE)


@dataclass(frozen=True)
class ApiAction:
    """One more endpoint of a resource, on the collection: ``/api/v1/<code>/<resource>/<name>/``.

    A ``post`` action files (scope ``<code>:file``, once per Idempotency-Key, inside one transaction); a ``get``
    action reads (scope ``<code>:read``). ``perform(*, user, data, request)`` gets the validated body (post) or
    query (get) and returns what ``response_serializer`` reads; it raises ValidationError to refuse.
    """

    name: str  # URL segment: "batch", "status"
    method: str  # "get" or "post"
    perform: Callable[..., Any]
    response_serializer: type[serializers.Serializer[Any]]
    request_serializer: type[serializers.Serializer[Any]] | None = None
    summary: str = ""
    # allowed(user): raises PermissionDenied for a caller who may not use it at all, before the body is read.
    allowed: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class ApiResource:
    """One collection a procedure publishes under ``/api/v1/<code>/<name>/``."""

    name: str  # URL segment, plural: "requests", "devices", "filings"
    label: Label
    # records(user) -> the records the user may read: the procedure's access rule (outsiders never see a row).
    records: Callable[[Any], QuerySet[Any]]
    # Reading one record (its detail) and a row of the list (no restricted field: a fixed number of queries).
    detail_serializer: type[serializers.Serializer[Any]]
    list_serializer: type[serializers.Serializer[Any]]
    # roles(*, user, record) -> the roles through which the user sees the record (field visibility follows).
    roles: Callable[..., set[str]] | None = None
    visibility: Any = None  # the procedure's FieldVisibility (None: nothing restricted)
    # Filing (POST): the body's serializer (for the schema and the shape), and
    # file(*, user, data, request) -> the record created, through the procedure's own service.
    file_serializer: type[serializers.Serializer[Any]] | None = None
    file: Callable[..., Any] | None = None
    multipart: bool = False  # the filing carries scans: multipart/form-data, else JSON
    actions: tuple[ApiAction, ...] = ()  # more endpoints on the collection (a batch, a status)

    @property
    def takes_filings(self) -> bool:
        return self.file is not None or any(action.method == "post" for action in self.actions)


def scope_of(code: str, action: str) -> str:
    return f"{code}:{action}"


def form_errors(form: Any) -> dict[str, list[str]]:
    """A page form's errors in the API's shape: field -> messages; the form-wide ones under ``non_field_errors``."""
    errors: dict[str, list[str]] = {}
    for field, messages in form.errors.items():
        errors["non_field_errors" if field == "__all__" else field] = [str(m) for m in messages]
    return errors


def refusal(error: DjangoValidationError) -> ValidationError:
    """A service's refusal (Django's ValidationError) as the API's 400, field by field."""
    if hasattr(error, "error_dict"):
        return ValidationError(
            {
                ("non_field_errors" if field == "__all__" else field): [str(m) for e in errors for m in e.messages]
                for field, errors in error.error_dict.items()
            }
        )
    return ValidationError({"non_field_errors": [str(m) for m in error.messages]})


def flow_start(*, node: Any, user: Any, request: Any) -> Any:
    """A flow's start activation, as the start page's view gets it from viewflow: for ``user``, who may start it."""
    from django.urls import get_resolver
    from rest_framework.exceptions import PermissionDenied

    get_resolver().url_patterns  # noqa: B018 - the notifications of the tasks it creates carry links
    if not node.can_execute(user):
        raise PermissionDenied
    activation = node.activation_class.create(node, None, None)
    activation.start(request)
    return activation


class VisibleFieldsSerializer(serializers.Serializer[Any]):
    """Reads one record for one reader: restricted fields only where the procedure's table allows.

    The view passes ``roles`` (the reader's roles on this record) and ``visibility`` (the table) in the
    context. A field named in the table is left out for a reader whose roles do not see it; a field not
    in the table is shown to whoever may read the record at all. Full resident IDs are never a field:
    serializers carry the masked form only.
    """

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        table = self.context.get("visibility")
        roles = self.context.get("roles") or set()
        restricted: Mapping[str, Any] = getattr(table, "fields", {}) if table is not None else {}
        for name in list(data):
            if name in restricted and not table.may_see(name, roles):
                data.pop(name)
        return data


class ScanField(serializers.FileField):
    """An uploaded scan (PDF, JPEG or PNG); the page's validators check it."""


def _field_from_form(field: Any) -> serializers.Field[Any, Any, Any, Any]:
    """The schema's view of one page-form field (the page form itself validates)."""
    from django import forms

    common: dict[str, Any] = {"required": bool(field.required), "help_text": str(field.label or "")}
    if isinstance(field, forms.FileField):
        return ScanField(**common)
    if isinstance(field, forms.ModelChoiceField):
        return serializers.IntegerField(**common)
    if isinstance(field, forms.ChoiceField):
        choices = [value for value, _label in list(field.choices) if value not in ("", None)]  # type: ignore[arg-type]
        return serializers.ChoiceField(choices=choices, **common)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(required=False, help_text=common["help_text"])
    if isinstance(field, forms.IntegerField):
        return serializers.IntegerField(min_value=field.min_value, max_value=field.max_value, **common)
    if isinstance(field, forms.DateField):
        return serializers.DateField(**common)
    max_length = getattr(field, "max_length", None)
    return serializers.CharField(max_length=max_length, allow_blank=not field.required, **common)


def serializer_from_form(
    form_class: Any, *, name: str, exclude: tuple[str, ...] = (), extra: Mapping[str, Any] | None = None
) -> type[serializers.Serializer[Any]]:
    """A filing's body, field for field the page's form: the schema documents it, the form decides."""
    form = form_class.__new__(form_class)
    fields = {key: _field_from_form(field) for key, field in form_class.base_fields.items() if key not in exclude}
    del form
    return type(name, (serializers.Serializer,), {**fields, **(extra or {})})


def facility_of(
    user: Any, facilities: QuerySet[Any], *, message: Any = "This client's facility cannot file this."
) -> Any:
    """The one facility a system acts for, among ``facilities`` (those the procedure lets it file at)."""
    found = list(facilities[:2])
    if len(found) != 1:
        raise ValidationError({"non_field_errors": [message]})
    return found[0]


def page_form(form_class: Any, *, request: Any, facility: Any, **kwargs: Any) -> Any:
    """The page's form bound to the API request's fields and files, the facility being the client's own."""
    data = request.POST.copy()
    data["facility"] = str(facility.pk)
    form = form_class(data, request.FILES, **kwargs)
    if not form.is_valid():
        raise ValidationError(form_errors(form))
    return form


@contextmanager
def service_refusals() -> Iterator[None]:
    """Around the page's service: its refusal (Django's ValidationError) is the API's 400, field by field."""
    try:
        yield
    except DjangoValidationError as error:
        raise refusal(error) from None


def formset_post(
    prefix: str, rows: Iterable[Mapping[str, Any]], files: Iterable[Any] = ()
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A page formset's POST data and files from a filing's rows (and one file per row, as ``<prefix>-<n>-file``),
    as a browser would send them: a checkbox's True as "on", its False as nothing."""
    rows = list(rows)
    data: dict[str, Any] = {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": 0}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in form_post(row).items()})
    return data, {f"{prefix}-{index}-file": upload for index, upload in enumerate(files)}


def form_post(fields: Mapping[str, Any], *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """A page form's POST data from a filing's fields, as a browser sends them: a checkbox's True as "on", its False
    as nothing."""
    return {
        key: ("on" if value else "") if isinstance(value, bool) else value
        for key, value in fields.items()
        if key not in set(exclude)
    }


def formset_errors(formset: Any, name: str) -> dict[str, list[str]]:
    """A page formset's errors in the API's shape: ``<name>[<row>].<field>``, and the formset's own under ``name``."""
    errors: dict[str, list[str]] = {}
    for index, form in enumerate(formset.forms):
        for field, messages in form_errors(form).items():
            errors[f"{name}[{index}].{field}"] = messages
    if formset.non_form_errors():
        errors[name] = [str(m) for m in formset.non_form_errors()]
    return errors


class CaseDocumentMetaSerializer(serializers.Serializer[Any]):
    """One scan's description in a filing (workflows.cases.models.CaseDocument); ``doc_type`` is set per procedure."""

    doc_type = serializers.ChoiceField(choices=())
    number = serializers.CharField(max_length=60)
    issuer = serializers.CharField(max_length=200)
    issued_on = serializers.DateField()
    is_original = serializers.BooleanField(required=False, default=False)


class CaseDocumentsFilingSerializer(serializers.Serializer[Any]):
    """The scans of a filing (multipart/form-data): ``documents``, a JSON array describing each scan, and ``scans``,
    the files in the same order. A procedure's filing serializer lists it after its own fields' serializer
    and sets ``document_types`` (its CaseDocument's choices)."""

    document_types: Any = ()
    documents = serializers.CharField(
        help_text=_("A JSON array: one object per scan (doc_type, number, issuer, issued_on, is_original).")
    )
    scans = serializers.ListField(child=ScanField(), min_length=1, max_length=10)

    def validate_documents(self, value: str) -> list[dict[str, Any]]:
        try:
            parsed = json.loads(value)
        except ValueError:
            raise ValidationError(_("Send a JSON array of documents.")) from None
        rows = CaseDocumentMetaSerializer(data=parsed, many=True)
        rows.child.fields["doc_type"].choices = self.document_types  # type: ignore[attr-defined]
        if not isinstance(parsed, list) or not rows.is_valid():
            raise ValidationError(rows.errors if isinstance(parsed, list) else _("Send a JSON array of documents."))
        return list(rows.validated_data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if len(attrs["documents"]) != len(attrs["scans"]):
            raise ValidationError({"scans": [_("Send one scan for each document described, in the same order.")]})
        return attrs
