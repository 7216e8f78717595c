"""The procedures Regflow runs, each declared once (docs/kit.md).

A procedure builds one ``Procedure`` and calls ``procedure_register`` from its
AppConfig.ready(). Registration pushes each declaration down into the hook
owned by the layer that uses it, so that no generic layer imports a procedure:

- the access rule to ``permissions.access.case_access_register`` (object access, 404 to outsiders);
- the signature meanings to ``audit.actions.register_signature_meanings``;
- the case type (and certificate lookup) to ``audit.selectors.register_case_type`` (inspectors' search);
- its labels to ``audit.actions`` (the trail's words), its monthly figures to ``workflows.cases.statistics``;
- the sweeps to ``workflows.sweeps``, the workspace sections to ``workflows.workspace``;
- the demo seeding to ``permissions.demo.register_demo_seed`` (manage.py seed_demo).

The api app (above every procedure) reads ``api`` from ``procedures()``: the endpoints for systems.

The project's URLs, the admin, ``seed_demo`` and the tests loop over ``procedures()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise

Label = Promise | str


@dataclass(frozen=True)
class Procedure:
    """What a procedure declares about itself. Everything else comes from the kit."""

    # Short stable code: the URL segment (/procedures/<code>/, /verify/<code>/...), the seed_demo name.
    code: str
    label: Label
    case_model: type[Any]  # a subclass of workflows.cases.models.Case
    flow_class: type[Any]  # its viewflow Flow
    viewset_class: type[Any]  # a workflows.viewsets.ScopedFlowAppViewset subclass (built with no arguments)
    # The access rule, as a queryset filter: visible(user, *, write=False) -> QuerySet of case_model.
    # write=True is what the user may act on (inspectors read only).
    visible: Callable[..., QuerySet[Any]]
    # roles(*, user, case) -> the roles through which the user sees this case (field visibility follows).
    roles: Callable[..., set[str]] | None = None
    document_model: type[Any] | None = None  # a subclass of workflows.cases.models.CaseDocument
    # Restricted fields and the roles that see them (workflows.visibility.FieldVisibility): the case pages,
    # the timeline and the certificate show a field only where the table allows.
    visibility: Any = None
    # page_context(*, case, user) -> what the procedure's own templates add to the kit's case context.
    page_context: Callable[..., dict[str, Any]] | None = None
    # {code: label} of the signature meanings its steps sign with, beyond audit.Signature.Meaning's shared ones,
    # and which of them need a reason.
    signature_meanings: Mapping[str, Label] = field(default_factory=dict)
    reason_required_meanings: frozenset[str] = frozenset()
    # Periodic rules over many records (workflows.sweeps): each returns how many records it acted on.
    sweeps: tuple[Callable[[], int], ...] = ()
    # provider(*, user, roles) -> list[workflows.workspace.Section]
    workspace_sections: Callable[..., list[Any]] | None = None
    # Certificates: the NumberSequence kind, and lookup(number) -> case pks (inspectors' search by number; by
    # default the case with that certificate_number).
    certificate_kind: str = ""
    certificate_title: Label = ""
    certificate_lookup: Callable[[str], Iterable[int]] | None = None
    # find(number) -> what carries that certificate (certificate_number, certificate_token, facility,
    # certificate_issued_at, certificate_valid_until, certificate_status(now)), or None. By default the case
    # with that certificate_number; a registry whose numbers live on another record (a device) says where.
    certificate_find: Callable[[str], Any] | None = None
    # seed(*, world, log) -> number of objects created (manage.py seed_demo).
    seed_demo: Callable[..., int] | None = None
    # Dotted path of the procedure's test-scene module, which the generic tests (tests/procedures.py) ask for
    # open_case(world) -> a case submitted by world.clerk at world.hospital_a (the engine-wide four-eyes test)
    # and build_scene(scene) -> its records in the authorization matrix's scene; optionally NON_SIGNING_STEPS.
    test_scene: str = ""
    # The trail's words for its audit actions ({action: label}), its signing steps ({step: label}) and the keys and
    # values of its events' changes (audit.actions.register_record_labels: fields, values, aliases).
    action_labels: Mapping[str, Label] = field(default_factory=dict)
    step_labels: Mapping[str, Label] = field(default_factory=dict)
    change_labels: Mapping[str, Any] = field(default_factory=dict)
    # figures(*, county, start, end) -> its monthly figures for the bulletins (workflows.cases.statistics).
    figures: Callable[..., list[Any]] | None = None
    # What the procedure publishes to hospital information systems (workflows.cases.api.ApiResource, docs/api.md):
    # the api app gives each resource its endpoints, scopes <code>:read and <code>:file, and its schema.
    api: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.visibility is None:
            from ..visibility import FieldVisibility

            object.__setattr__(self, "visibility", FieldVisibility([]))

    def certificate_holder(self, number: str) -> Any:
        """The record that carries certificate ``number`` (for the public verification page), or None."""
        if self.certificate_find is not None:
            return self.certificate_find(number)
        return self.case_model._default_manager.select_related("facility").filter(certificate_number=number).first()

    @property
    def templates(self) -> dict[str, str]:
        """The templates a procedure writes, by convention under templates/<code>/, that the kit's pages include."""
        return {
            "summary": f"{self.code}/_summary.html",
            "styles": f"{self.code}/_styles.html",
            "certificate_facts": f"{self.code}/_certificate_facts.html",
        }

    @property
    def object_type(self) -> str:
        """How the audit trail names its cases: 'app_label.model'."""
        meta = self.case_model._meta
        return f"{meta.app_label}.{meta.model_name}"


_PROCEDURES: dict[str, Procedure] = {}


def procedure_register(procedure: Procedure) -> Procedure:
    """Declare a procedure (from its AppConfig.ready()). Registering the same code twice replaces it."""
    from audit.actions import register_action_labels, register_record_labels, register_signature_meanings
    from audit.selectors import register_case_type
    from permissions.access import case_access_register
    from permissions.demo import register_demo_seed

    from ..sweeps import register_sweep
    from ..workspace import register_workspace_sections
    from .selectors import cases_by_certificate
    from .statistics import register_figures

    _PROCEDURES[procedure.code] = procedure
    case_access_register(
        model=procedure.case_model,
        visible=procedure.visible,
        roles=procedure.roles,
        document_model=procedure.document_model,
    )
    register_signature_meanings(procedure.signature_meanings, reason_required=procedure.reason_required_meanings)
    lookup = procedure.certificate_lookup
    if lookup is None and procedure.certificate_kind and procedure.certificate_find is None:
        lookup = partial(cases_by_certificate, procedure.case_model)  # the case with that certificate_number
    register_case_type(procedure.object_type, certificate_lookup=lookup)
    register_action_labels(procedure.action_labels)
    if procedure.step_labels or procedure.change_labels:
        register_record_labels(procedure.object_type, steps=procedure.step_labels, **procedure.change_labels)
    if procedure.figures is not None:
        register_figures(procedure.code, label=procedure.label, provider=procedure.figures)
    for sweep in procedure.sweeps:
        register_sweep(sweep)
    if procedure.workspace_sections is not None:
        register_workspace_sections(procedure.workspace_sections)
    if procedure.seed_demo is not None:
        register_demo_seed(procedure.code, label=procedure.label, seed=procedure.seed_demo)
    return procedure


def procedures() -> list[Procedure]:
    """Every registered procedure, in registration order (INSTALLED_APPS order)."""
    return list(_PROCEDURES.values())


def procedure(code: str) -> Procedure:
    """The procedure registered under ``code``; LookupError for an unknown code."""
    try:
        return _PROCEDURES[code]
    except KeyError:
        raise LookupError(f"no procedure {code!r}") from None


def procedure_for_certificate(kind: str) -> Procedure | None:
    """The procedure whose certificates are of ``kind`` (the /verify/<kind>/... segment), or None."""
    for candidate in _PROCEDURES.values():
        if candidate.certificate_kind and candidate.certificate_kind == kind:
            return candidate
    return None


def procedure_of(case: Any) -> Procedure:
    """The procedure a case (or a case model) belongs to."""
    model = case if isinstance(case, type) else type(case)
    for candidate in _PROCEDURES.values():
        if issubclass(model, candidate.case_model):
            return candidate
    raise LookupError(f"no procedure for {model.__name__}")
