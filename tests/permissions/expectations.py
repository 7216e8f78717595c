"""What every persona should get from every route: the authorization matrix's expectations.

One entry per route, keyed by its namespaced name (or its pattern when it has
no name). A route the resolver serves with no entry here fails
test_every_route_has_an_expectation, naming the route: adding a view means
deciding, here, who may use it.

Statuses are for targets inside the persona's scope. Outside it the matrix
expects 404 (302 to the login page for anonymous users) whatever the entry says;
405 is accepted too for a POST to a view that takes no POST from anyone. Targets
marked refused_to_all (a task or document URL naming another case's id, or a
task of another step) must be refused to everyone.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.procedures import PROCEDURES

from .matrix import (
    ANONYMOUS,
    SUPERUSER,
    WORLD_PERSONAS,
    Entry,
    Record,
    Scene,
    Target,
    rule,
)

LOGIN = 302  # LoginRequiredMiddleware sends anonymous users to the login page
ANY_CLIENT_ERROR_OR_OK = {200, 204, 302, 400, 403, 404, 405}

# --- The scene ----------------------------------------------------------------


def build_scene(world: Any) -> Scene:
    superuser = get_user_model().objects.create_superuser("root", "root@example.org", "x" * 12)
    scene = Scene(world=world, superuser=superuser)
    for key in ("hospital_a", "centre_a", "hospital_b"):
        facility = getattr(world, key)
        county = "county_a" if facility.county_id == world.county_a.pk else "county_b"
        scene.add(
            Record(
                label=key,
                obj=facility,
                facility=key,
                county=county,
                secrets=[facility.name, facility.practice_licence_number, facility.mch_licence_number],
                panel=True,  # experts see the facilities of their panel's cases
            )
        )
    for username in WORLD_PERSONAS:
        user = world.users[username]
        county = "county_a" if user.profile.jurisdiction_id == world.county_a.pk else "county_b"
        scene.add(
            Record(
                label=f"person:{username}",
                obj=user.profile,
                facility=None,
                county=county,
                secrets=[user.profile.printed_name],
                audience="county",
            )
        )
    for builder in SCENE_BUILDERS:
        builder(scene)
    return scene


# Each procedure adds its records (cases and their tasks) to the scene: tests/procedures.py.
SCENE_BUILDERS: list[Any] = [procedure.build_scene for procedure in PROCEDURES]


# --- Entries ------------------------------------------------------------------

EVERYONE_200 = rule(200, anonymous=LOGIN)
GET_ONLY = rule(405, anonymous=LOGIN)

ENTRIES: dict[str, Entry] = {}


def _password_reset_targets(scene: Scene) -> list[Target]:
    user = scene.world.clerk
    return [
        Target(
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
            record=None,
            label="clerk's reset link",
        )
    ]


ENTRIES.update(
    {
        # Authentication pages: open to anyone, they touch only the session.
        "login": Entry(get=rule(200), post=rule(200), inspector_post_allowed="shows the form's errors"),
        "logout": Entry(get=rule(405, anonymous=302), post=rule(302), inspector_post_allowed="ends the own session"),
        "password_change": Entry(
            get=EVERYONE_200, post=rule(200, anonymous=LOGIN), inspector_post_allowed="own password, form errors"
        ),
        "password_change_done": Entry(get=EVERYONE_200, post=GET_ONLY),
        "password_reset": Entry(get=rule(200), post=rule(200), inspector_post_allowed="form errors"),
        "password_reset_done": Entry(get=rule(200), post=rule(405)),
        "password_reset_confirm": Entry(
            get=rule(302),
            post=rule(302),
            targets=_password_reset_targets,
            inspector_post_allowed="redirects to the set-password step, changes nothing",
            out_of_scope_is_404=False,
        ),
        "password_reset_complete": Entry(get=rule(200), post=rule(405)),
        "set_language": Entry(get=rule(302), post=rule(302), inspector_post_allowed="sets a language cookie"),
        "javascript-catalog": Entry(get=rule(200), post=rule(405)),
        # Monitoring: no login, 200 or 503 by the state of the services (no timer dispatcher
        # runs beside the matrix, so 503 here), never a redirect; no personal data either way.
        "healthz": Entry(get=rule({200, 503}), post=rule(405)),
        # viewflow's Site and the workspace
        "index": Entry(
            get=rule(302, anonymous=LOGIN),
            post=rule(302, anonymous=LOGIN),
            inspector_post_allowed="a redirect to the first application, for any method; changes nothing",
        ),
        "workspace:index": Entry(get=EVERYONE_200, post=GET_ONLY),
    }
)


# --- The admin ----------------------------------------------------------------
# The admin is for the system's superusers, who have no jurisdiction. Nobody
# else gets past its login page, whatever their role. Each registered model is
# listed so that registering a new one is a decision made here.

ADMIN_MODELS = {
    "auth.group",
    "auth.user",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "viewflow.process",
    "viewflow.task",
    "permissions.jurisdiction",
    "permissions.facility",
    "permissions.profile",
    "permissions.countyconfig",
    "termination.terminationcountyrules",
    "termination.terminationdesignation",
    "permissions.roleassignment",
    "audit.auditevent",
    "audit.signature",
}

# Non-staff personas are sent to the admin's login page; the superuser may do
# anything the ModelAdmin allows (deleting is refused for regulated records).
ADMIN_RULE = rule(302, superuser=ANY_CLIENT_ERROR_OR_OK)


def _admin_object_targets(model_label: str) -> Any:
    def targets(scene: Scene) -> list[Target]:
        instance = apps.get_model(model_label).objects.order_by("pk").first()
        return [Target(kwargs={"object_id": instance.pk if instance else 999999}, record=None, label=model_label)]

    return targets


def _admin_entries() -> dict[str, Entry]:
    entries: dict[str, Entry] = {
        name: Entry(get=ADMIN_RULE, post=ADMIN_RULE)
        for name in (
            "admin:index",
            "admin:password_change",
            "admin:password_change_done",
            "admin:autocomplete",
            "admin:jsi18n",
        )
    }
    entries["admin:logout"] = Entry(get=ADMIN_RULE, post=ADMIN_RULE, inspector_post_allowed="ends the own session")
    entries["admin:login"] = Entry(
        get=rule(200, superuser=302), post=rule(200), inspector_post_allowed="shows the form's errors"
    )
    entries["admin:view_on_site"] = Entry(
        get=ADMIN_RULE,
        post=ADMIN_RULE,
        targets=lambda scene: [Target(kwargs={"content_type_id": 1, "object_id": 1}, record=None)],
    )
    entries["admin:app_list"] = Entry(
        get=ADMIN_RULE,
        post=ADMIN_RULE,
        targets=lambda scene: [Target(kwargs={"app_label": "permissions"}, record=None)],
    )
    entries["admin/(?P<url>.*)$"] = Entry(
        get=rule(302, superuser={301, 302, 404}),
        post=rule(302, superuser={301, 302, 404}),
        targets=lambda scene: [Target(kwargs={"url": "nowhere/"}, record=None)],
    )
    for label in ADMIN_MODELS:
        app_label, model_name = label.split(".")
        base = f"admin:{app_label}_{model_name}"
        object_targets = _admin_object_targets(label)
        entries[f"{base}_changelist"] = Entry(get=ADMIN_RULE, post=ADMIN_RULE)
        entries[f"{base}_add"] = Entry(get=ADMIN_RULE, post=ADMIN_RULE)
        for suffix in ("history", "delete", "change"):
            entries[f"{base}_{suffix}"] = Entry(get=ADMIN_RULE, post=ADMIN_RULE, targets=object_targets)
        entries[f"admin/{app_label}/{model_name}/<path:object_id>/"] = Entry(
            get=ADMIN_RULE, post=ADMIN_RULE, targets=object_targets
        )
        if label == "auth.user":
            entries["admin:auth_user_password_change"] = Entry(
                get=ADMIN_RULE,
                post=ADMIN_RULE,
                targets=lambda scene: [Target(kwargs={"id": scene.world.clerk.pk}, record=None)],
            )
    return entries


ENTRIES.update(_admin_entries())

__all__ = ["ANONYMOUS", "ENTRIES", "SUPERUSER", "build_scene"]


# --- Termination ------------------------------------------------------------------
# Case pages are open to everyone whose scope holds the case (outsiders get 404
# from the matrix's scope rule). Task pages follow the oracle in oracle.py:
# only those who may take the task may claim it, nobody may execute a task
# they do not hold, and viewflow's cancel/undo/revive are nobody's.

# What each kind of viewflow node is, by its task_type: the flows say which kind every node is.
NODE_KINDS = {
    "HUMAN_START": "start",
    "START": "start",
    "HUMAN": "human",
    "EXCLUSIVE_GATEWAY": "gateway",
    "SWITCH": "gateway",
    "JOIN": "gateway",
    "PARALLEL_GATEWAY": "split",
    "FUNCTION": "function",
    "HANDLE": "function",
    "TIMER": "timer",
    "END": "end",
}


def node_kinds(flow_class: Any) -> dict[str, str]:
    """node name -> kind, read from the flow; a node of a kind the matrix does not know stops the run."""
    kinds = {}
    for node in flow_class.instance.nodes():
        assert node.task_type in NODE_KINDS, f"{flow_class.__name__}.{node.name}: a {node.task_type} node is new here"
        kinds[node.name] = NODE_KINDS[node.task_type]
    return kinds


def _termination_flow() -> Any:
    from workflows.termination.flows import TerminationFlow

    return TerminationFlow


def _cases(scene: Scene) -> list[tuple[str, Any]]:
    return [(label, r.obj) for label, r in scene.records.items() if label.startswith("case_")]


def _case_targets(scene: Scene) -> list[Target]:
    return [Target(kwargs={"process_pk": case.pk}, record=label, label=label) for label, case in _cases(scene)]


def _document_targets(scene: Scene) -> list[Target]:
    targets = [
        Target(
            kwargs={"process_pk": case.pk, "document_pk": case.documents.order_by("pk").first().pk},
            record=label,
            label=label,
        )
        for label, case in _cases(scene)
    ]
    # A document of case B fetched under case A's id.
    case_a, case_b = scene.records["case_a_review"].obj, scene.records["case_b_decide"].obj
    targets.append(
        Target(
            kwargs={"process_pk": case_a.pk, "document_pk": case_b.documents.first().pk},
            record="case_a_review",
            label="another case's document",
            refused_to_all=True,
        )
    )
    return targets


# Personas who can reach the host cases of mismatched task URLs (hospital A, county A).
COUNTY_A_INSIDERS = ("clerk", "director", "officer", "officer2", "chief", "inspector")


def _node_of(task: Any) -> str:
    return str(task.flow_task.name)


def _node_targets(node_name: str) -> Any:
    def targets(scene: Scene) -> list[Target]:
        result = []
        counties_done: set[str] = set()
        for label, case in _cases(scene):
            # One case per county is enough: in scope for some personas, outside it for the others.
            county = scene.records[label].county
            tasks = [t for t in case.task_set.order_by("-pk") if _node_of(t) == node_name]
            if tasks and county not in counties_done:
                counties_done.add(county)
                result.append(
                    Target(kwargs={"process_pk": case.pk, "task_pk": tasks[0].pk}, record=label, label=f"{label}")
                )
        # The same URL naming an open task of another step of the same case:
        # the URL's step would lend its form and permission to the wrong task.
        host = scene.records["case_a_review" if node_name == "decide" else "case_a_decide"].obj
        other = host.task_set.filter(status="NEW", flow_task_type="HUMAN").exclude(
            pk__in=[t.pk for t in host.task_set.all() if _node_of(t) == node_name]
        )
        other_task = other.order_by("pk").first()
        host_label = "case_a_review" if node_name == "decide" else "case_a_decide"
        insiders = (*COUNTY_A_INSIDERS, "clerk_b", ANONYMOUS)
        # Refused with 404 to everyone, whoever may take the other task.
        result.append(
            Target(
                kwargs={"process_pk": host.pk, "task_pk": other_task.pk},
                record=host_label,
                label=f"{_node_of(other_task)} task under {node_name}",
                refused_to_all=True,
                personas=insiders,
            )
        )
        if node_kinds(_termination_flow())[node_name] == "human":
            # A task of case A under case B's id (the lock would be taken on the
            # wrong case). One guard serves every node's URLs; the human steps'
            # URLs, where it matters most, each prove it.
            stranger = scene.records["case_b_decide"].obj
            result.append(
                Target(
                    kwargs={"process_pk": stranger.pk, "task_pk": other_task.pk},
                    record="case_b_decide",
                    label="another case's task",
                    refused_to_all=True,
                    personas=(*insiders, "officer_b"),
                )
            )
        return result

    return targets


def _task_of(scene: Scene, target: Target) -> Any:
    from viewflow.workflow.models import Task

    return Task.objects.get(pk=target.kwargs["task_pk"])


def _claimers(scene: Scene, target: Target) -> set[str]:
    from .oracle import may_claim

    cache = scene.extra.setdefault("claimers", {})
    key = target.kwargs["task_pk"]
    if key not in cache:
        task = _task_of(scene, target)
        cache[key] = {p for p in WORLD_PERSONAS if may_claim(scene.world.users[p], task)}
    return cache[key]


def _owner(scene: Scene, target: Target) -> str | None:
    task = _task_of(scene, target)
    for persona in WORLD_PERSONAS:
        if scene.world.users[persona].pk == task.owner_id:
            return persona
    return None


def _node_status(action: str) -> Any:
    """Statuses for an in-scope persona on a task URL of the right case and step."""

    def status(scene: Scene, target: Target, method: str, persona: str) -> set[int]:
        if action == "index":
            return {302} if method == "GET" else {405}  # redirects to the page the persona may use
        if action == "detail":
            return {200} if method == "GET" else {405}
        finished = _task_of(scene, target).status in {"DONE", "CANCELED"}
        if method == "GET" and finished and action in {"assign", "unassign", "execute"}:
            return {200}  # a finished step's old link says who finished it and when, to anyone who sees the case
        if method == "POST" and persona == "inspector":
            return {404}  # changes need write access, which inspectors never have: the case "does not exist"
        if action == "assign":
            if persona in _claimers(scene, target):
                return {200} if method == "GET" else {302}
            return {403}
        if action == "unassign":
            # Only the holder of an assigned task may hand it back (its page, then the POST).
            if persona == _owner(scene, target) and _task_of(scene, target).status == "ASSIGNED":
                return {200} if method == "GET" else {302}
            return {403}
        if action == "execute":
            if persona == _owner(scene, target) and _task_of(scene, target).status in {"ASSIGNED", "STARTED"}:
                return {200}
            return {403}
        if action in {"cancel", "undo", "revive"}:
            return {403}  # administrative actions: no persona holds the flow's manage permission
        raise AssertionError(f"no rule for task action {action}")

    return status


def _case_state(scene: Scene, target: Target | None) -> Any:
    """What a refused write must leave as it was: the case's stage and revision, and its tasks."""
    from workflows.termination.models import TerminationCase

    assert target is not None
    case = TerminationCase.objects.get(pk=target.kwargs["process_pk"])
    tasks = sorted(case.task_set.values_list("pk", "status", "owner_id"))
    return (case.stage, case.revision, case.status, tasks)


def _request_fields(serial: int) -> dict[str, Any]:
    from .termination_scene import resident_id

    return {
        "patient_name": f"Patient-valid-{serial}",
        "resident_id": resident_id(serial),
        "marital_status": "divorced",
        "gestational_weeks": 18,
        "gestational_days": 2,
        "lmp_date": "2026-07-20",
        "pathway": "divorced",
    }


def _documents(doc_types: list[str]) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .termination_scene import PDF

    data: dict[str, Any] = {
        "documents-TOTAL_FORMS": len(doc_types),
        "documents-INITIAL_FORMS": 0,
        "documents-MIN_NUM_FORMS": 0,
        "documents-MAX_NUM_FORMS": 1000,
    }
    for index, doc_type in enumerate(doc_types):
        data.update(
            {
                f"documents-{index}-doc_type": doc_type,
                f"documents-{index}-number": f"VALID-{index}",
                f"documents-{index}-issuer": "Issuing Hospital",
                f"documents-{index}-issued_on": "2026-10-01",
                f"documents-{index}-file": SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf"),
            }
        )
    return data


def _valid_task_form(node_name: str) -> Any:
    """A form the node's view would accept from the task's holder (issue 17: sent by everyone else)."""
    from tests.factories import PASSWORD

    def form(scene: Scene, target: Target | None) -> dict[str, Any]:
        if node_name == "give_opinion":
            return {"agrees": "yes", "reason": "The grounds are met", "password": PASSWORD}
        if node_name in {"review", "decide", "escalate"}:
            return {"decision": "reject", "reason": "Not in order", "password": PASSWORD}
        if node_name == "record_procedure":
            assert target is not None
            case = scene.records[target.record].obj if target.record else None
            return {
                "resident_id": case.resident_id if case is not None else "",
                "procedure_date": "2026-11-01",
                "procedure_method": "medical_induction",
                "physician_name": "Dr Valid",
                "drugs": "",
                "fetal_sex": "female",
                "complications": "",
                "password": PASSWORD,
            }
        if node_name == "amend":
            return {**_request_fields(900), "emergency_justification": "", "reason": "Corrected", **_documents([])}
        raise AssertionError(f"no valid form for the {node_name} step: write one here")

    return form


def _valid_submission(scene: Scene, target: Target | None) -> dict[str, Any]:
    return {
        **_request_fields(901),
        "facility": scene.world.hospital_a.pk,
        "emergency": "",
        "emergency_justification": "",
        **_documents(["id_card", "divorce_certificate"]),
    }


def _case_count(scene: Scene, target: Target | None) -> int:
    from workflows.termination.models import TerminationCase

    return TerminationCase.objects.count()


def _termination_entries() -> dict[str, Entry]:
    everyone_in_scope_reads = rule(200, anonymous=LOGIN)
    entries: dict[str, Entry] = {
        "procedures:index": Entry(get=rule(302, anonymous=LOGIN), post=GET_ONLY),
        # Lists: everyone signed in gets the page; what it lists is the leak check's business.
        "procedures:termination:index": Entry(get=everyone_in_scope_reads, post=GET_ONLY),
        "procedures:termination:process_list": Entry(get=everyone_in_scope_reads, post=GET_ONLY),
        "procedures:termination:task_list": Entry(get=everyone_in_scope_reads, post=GET_ONLY),
        "procedures:termination:inbox": Entry(get=everyone_in_scope_reads, post=GET_ONLY),
        "procedures:termination:queue": Entry(get=everyone_in_scope_reads, post=GET_ONLY),
        "procedures:termination:archive": Entry(get=everyone_in_scope_reads, post=GET_ONLY),
        "procedures:termination:chart": Entry(get=everyone_in_scope_reads, post=GET_ONLY),
        # Bulk claim: claims nothing without task ids. Inspectors must be refused.
        "procedures:termination:tasks_assign": Entry(
            # Claims nothing without task ids; refused outright to whoever can take no task at all.
            get=rule(405, anonymous=LOGIN),
            post=rule({302, 403}, inspector=403, anonymous=LOGIN),
        ),
        # Submitting: facility staff only; the superuser holds every model permission
        # but no facility, so the form offers them none.
        "procedures:termination:submit:execute": Entry(
            get=rule(403, clerk=200, director=200, clerk_other=200, clerk_b=200, superuser=200, anonymous=LOGIN),
            post=rule(403, clerk=200, director=200, clerk_other=200, clerk_b=200, superuser=200, anonymous=LOGIN),
            valid_post=_valid_submission,
            state_of=_case_count,
        ),
        # One case.
        "procedures:termination:process_detail": Entry(get=rule(200), post=rule(405), targets=_case_targets),
        "procedures:termination:process_chart": Entry(get=rule(200), post=rule(405), targets=_case_targets),
        "procedures:termination:certificate": Entry(
            get=rule(200),
            post=rule(405, inspector={404, 405}),
            get_only=True,
            targets=lambda scene: [t for t in _case_targets(scene) if scene.records[t.record].obj.certificate_number],
        ),
        # Read-only: a POST is refused (405; 404 for inspectors when the write check runs first).
        "procedures:termination:document": Entry(
            get=rule(200), post=rule(405, inspector={404, 405}), targets=_document_targets, get_only=True
        ),
        # Withdrawal: the submitting facility's staff (400: the empty form is refused);
        # everyone else in scope is refused, inspectors as if the case did not exist.
        "procedures:termination:withdraw": Entry(
            get=rule(405),
            post=rule(403, clerk=400, director=400, clerk_b=400, inspector=404),
            targets=_case_targets,
            valid_post=lambda scene, target: {"reason": "The patient changed her mind"},
            state_of=_case_state,
        ),
    }
    # Every URL viewflow serves for a node of the flow (its actions depend on the node's kind).
    from .matrix import walk_routes

    namespace = "procedures:termination"
    kinds = node_kinds(_termination_flow())
    for route in walk_routes():
        node_name, _colon, action = route.key.removeprefix(f"{namespace}:").partition(":")
        if not route.key.startswith(f"{namespace}:") or node_name not in kinds or not action or route.key in entries:
            continue  # not a node's URL, or one with its own entry above (the start node's form)
        writes = action == "execute" and kinds[node_name] == "human"
        entries[route.key] = Entry(
            # Signed-in personas are answered by status_for; these rules serve anonymous users only.
            get=rule(set(), anonymous=LOGIN),
            post=rule(set(), anonymous=LOGIN),
            targets=_node_targets(node_name),
            status_for=_node_status(action),
            get_only=action in {"index", "detail"},
            valid_post=_valid_task_form(node_name) if writes else None,
            state_of=_case_state if writes else None,
        )
    return entries


ENTRIES.update(_termination_entries())


# --- The ultrasound registry ---------------------------------------------------------
# Cases us_a_sign, us_a_review, us_a_registered (hospital A) and us_b_sign (hospital B):
# tests/workflows/ultrasound/scene.py. Node kinds are read from the flow.

US = "procedures:ultrasoundregistration"


def _us_cases(scene: Scene) -> list[tuple[str, Any]]:
    return [(label, r.obj) for label, r in scene.records.items() if label.startswith("us_")]


def _us_case_targets(scene: Scene) -> list[Target]:
    return [Target(kwargs={"process_pk": case.pk}, record=label, label=label) for label, case in _us_cases(scene)]


def _us_device_targets(scene: Scene, *, registered: bool = False) -> list[Target]:
    return [
        Target(kwargs={"device_pk": case.device_id}, record=label, label=label)
        for label, case in _us_cases(scene)
        if not registered or case.device.registration_number
    ]


def _us_document_targets(scene: Scene) -> list[Target]:
    targets = [
        Target(
            kwargs={"process_pk": case.pk, "document_pk": case.documents.order_by("pk").first().pk},
            record=label,
            label=label,
        )
        for label, case in _us_cases(scene)
    ]
    case_a, case_b = scene.records["us_a_sign"].obj, scene.records["us_b_sign"].obj
    targets.append(
        Target(
            kwargs={"process_pk": case_a.pk, "document_pk": case_b.documents.first().pk},
            record="us_a_sign",
            label="another case's document",
            refused_to_all=True,
        )
    )
    return targets


def _us_node_kind(node: Any) -> str:
    from viewflow.workflow import flow

    kinds = [
        (flow.View, "human"),
        (flow.StartHandle, "start"),
        (flow.Start, "start"),
        (flow.Function, "function"),
        (flow.End, "end"),
        (flow.If, "gateway"),
        (flow.Switch, "gateway"),
    ]
    for cls, kind in kinds:
        if isinstance(node, cls):
            return kind
    return "timer"  # a boundary timer (decide__timeout)


def _us_node_targets(node_name: str) -> Any:
    def targets(scene: Scene) -> list[Target]:
        result, counties_done = [], set()
        for label, case in _us_cases(scene):
            county = scene.records[label].county
            task = next((t for t in case.task_set.order_by("-pk") if _node_of(t) == node_name), None)
            if task is not None and county not in counties_done:
                counties_done.add(county)
                result.append(Target(kwargs={"process_pk": case.pk, "task_pk": task.pk}, record=label, label=label))
        # Another step's task under this step's URL (every node has one, whether or not the scene reaches it):
        # refused to everyone, whoever may take that task.
        host = scene.records["us_a_review" if node_name == "sign_undertaking" else "us_a_sign"].obj
        other = next(t for t in host.task_set.filter(status="NEW", flow_task_type="HUMAN") if _node_of(t) != node_name)
        result.append(
            Target(
                kwargs={"process_pk": host.pk, "task_pk": other.pk},
                record=None,
                label=f"{_node_of(other)} task under {node_name}",
                refused_to_all=True,
                personas=(*COUNTY_A_INSIDERS, "clerk_b", ANONYMOUS),
            )
        )
        if len(result) > 1:
            # The same task under another case's id: refused to everyone, whoever may see either case.
            stranger = scene.records["us_b_sign"].obj
            first = result[0]
            if first.kwargs["process_pk"] != stranger.pk:
                result.append(
                    Target(
                        kwargs={"process_pk": stranger.pk, "task_pk": first.kwargs["task_pk"]},
                        record="us_b_sign",
                        label="another case's task",
                        refused_to_all=True,
                        personas=(*COUNTY_A_INSIDERS, "clerk_b", "officer_b", ANONYMOUS),
                    )
                )
        return result

    return targets


def _ultrasound_entries() -> dict[str, Entry]:
    from workflows.ultrasound.flows import UltrasoundRegistrationFlow

    everyone_in_scope_reads = rule(200, anonymous=LOGIN)
    facility_staff = {"clerk": 200, "director": 200, "clerk_other": 200, "clerk_b": 200}
    bureau = {"officer": 200, "officer2": 200, "chief": 200, "officer_b": 200}
    entries: dict[str, Entry] = {
        f"{US}:{name}": Entry(get=everyone_in_scope_reads, post=GET_ONLY)
        for name in ("index", "process_list", "task_list", "inbox", "queue", "archive", "chart")
    }
    entries.update(
        {
            # The registry lists only what the persona may see (the leak check's business); read-only.
            f"{US}:registry": Entry(get=everyone_in_scope_reads, post=rule(405, anonymous=LOGIN)),
            f"{US}:tasks_assign": Entry(
                get=rule(405, anonymous=LOGIN), post=rule({302, 403}, inspector=403, anonymous=LOGIN)
            ),
            # Filing: facility staff (and the superuser, who holds every model permission but no facility).
            f"{US}:file:execute": Entry(
                get=rule(403, superuser=200, anonymous=LOGIN, **facility_staff),
                post=rule(403, superuser=200, anonymous=LOGIN, **facility_staff),
            ),
            # A change names its device (?device=): without one, there is no device to change (404).
            f"{US}:file_amendment:execute": Entry(
                get=rule(403, superuser=404, anonymous=LOGIN, **dict.fromkeys(facility_staff, 404)),
                post=rule(403, superuser=404, anonymous=LOGIN, **dict.fromkeys(facility_staff, 404)),
            ),
            # Unannounced checks: the bureaus alone schedule them.
            f"{US}:schedule_check:execute": Entry(
                get=rule(403, anonymous=LOGIN, **bureau), post=rule(403, anonymous=LOGIN, **bureau)
            ),
            f"{US}:process_detail": Entry(get=rule(200), post=rule(405), targets=_us_case_targets),
            f"{US}:process_chart": Entry(get=rule(200), post=rule(405), targets=_us_case_targets),
            f"{US}:device": Entry(get=rule(200), post=rule(405), targets=_us_device_targets, get_only=True),
            # The certificate of a registered device: its facility, its county's bureau and inspectors.
            f"{US}:certificate": Entry(
                get=rule(200),
                post=rule(405, inspector={404, 405}),
                get_only=True,
                targets=lambda scene: _us_device_targets(scene, registered=True),
            ),
            f"{US}:document": Entry(
                get=rule(200), post=rule(405, inspector={404, 405}), targets=_us_document_targets, get_only=True
            ),
            f"{US}:withdraw": Entry(
                get=rule(405),
                post=rule(403, clerk=400, director=400, clerk_b=400, inspector=404),
                targets=_us_case_targets,
            ),
        }
    )
    actions = {
        "human": ("index", "detail", "assign", "unassign", "execute", "cancel", "undo", "revive"),
        "gateway": ("index", "detail", "cancel", "undo", "revive"),
        "function": ("index", "detail", "cancel", "undo", "revive"),
        "timer": ("index", "detail", "cancel"),
        "end": ("index", "detail", "undo", "revive"),
        "start": ("index", "detail", "undo"),
    }
    for node in UltrasoundRegistrationFlow.instance.nodes():
        for action in actions[_us_node_kind(node)]:
            entries[f"{US}:{node.name}:{action}"] = Entry(
                get=rule(set(), anonymous=LOGIN),
                post=rule(set(), anonymous=LOGIN),
                targets=_us_node_targets(node.name),
                status_for=_node_status(action),
                get_only=action in {"index", "detail"},
            )
    return entries


ENTRIES.update(_ultrasound_entries())


# --- The retired-practitioner registry ----------------------------------------------------
# Cases rp_a_sign, rp_a_verify (hospital A) and rp_b_sign (hospital B): tests/workflows/retired_practitioners/scene.py.

RP = "procedures:retiredpractitioner"


def _rp_cases(scene: Scene) -> list[tuple[str, Any]]:
    return [(label, r.obj) for label, r in scene.records.items() if label.startswith("rp_")]


def _rp_case_targets(scene: Scene) -> list[Target]:
    return [Target(kwargs={"process_pk": case.pk}, record=label, label=label) for label, case in _rp_cases(scene)]


def _rp_entry_targets(scene: Scene) -> list[Target]:
    return [
        Target(kwargs={"practitioner_pk": case.practitioner_id}, record=label, label=label)
        for label, case in _rp_cases(scene)
    ]


def _rp_document_targets(scene: Scene) -> list[Target]:
    targets = [
        Target(kwargs={"process_pk": case.pk, "document_pk": case.documents.first().pk}, record=label, label=label)
        for label, case in _rp_cases(scene)
    ]
    case_a, case_b = scene.records["rp_a_sign"].obj, scene.records["rp_b_sign"].obj
    targets.append(
        Target(
            kwargs={"process_pk": case_a.pk, "document_pk": case_b.documents.first().pk},
            record="rp_a_sign",
            label="another case's document",
            refused_to_all=True,
        )
    )
    return targets


def _rp_node_targets(node_name: str) -> Any:
    def targets(scene: Scene) -> list[Target]:
        result, counties_done = [], set()
        for label, case in _rp_cases(scene):
            county = scene.records[label].county
            task = next((t for t in case.task_set.order_by("-pk") if _node_of(t) == node_name), None)
            if task is not None and county not in counties_done:
                counties_done.add(county)
                result.append(Target(kwargs={"process_pk": case.pk, "task_pk": task.pk}, record=label, label=label))
        # Another step's task under this step's URL: refused to everyone, whoever may take that task.
        host = scene.records["rp_a_verify" if node_name == "sign_filing" else "rp_a_sign"].obj
        other = next(t for t in host.task_set.filter(status="NEW", flow_task_type="HUMAN") if _node_of(t) != node_name)
        result.append(
            Target(
                kwargs={"process_pk": host.pk, "task_pk": other.pk},
                record=None,
                label=f"{_node_of(other)} task under {node_name}",
                refused_to_all=True,
                personas=(*COUNTY_A_INSIDERS, "clerk_b", ANONYMOUS),
            )
        )
        return result

    return targets


def _retired_practitioner_entries() -> dict[str, Entry]:
    from workflows.retired_practitioners.flows import RetiredPractitionerFlow

    everyone_in_scope_reads = rule(200, anonymous=LOGIN)
    facility_staff = {"clerk": 200, "director": 200, "clerk_other": 200, "clerk_b": 200}
    bureau = {"officer": 200, "officer2": 200, "chief": 200, "officer_b": 200}
    entries: dict[str, Entry] = {
        f"{RP}:{name}": Entry(get=everyone_in_scope_reads, post=GET_ONLY)
        for name in ("index", "process_list", "task_list", "inbox", "queue", "archive", "chart")
    }
    entries.update(
        {
            # A county's register: its bureau and inspectors (one county each, so no ?county= needed).
            f"{RP}:register": Entry(
                get=rule(404, anonymous=LOGIN, inspector=200, **bureau), post=rule(405, anonymous=LOGIN)
            ),
            f"{RP}:practitioner": Entry(get=rule(200), post=rule(405), targets=_rp_entry_targets, get_only=True),
            f"{RP}:tasks_assign": Entry(
                get=rule(405, anonymous=LOGIN), post=rule({302, 403}, inspector=403, anonymous=LOGIN)
            ),
            f"{RP}:file:execute": Entry(
                get=rule(403, superuser=200, anonymous=LOGIN, **facility_staff),
                post=rule(403, superuser=200, anonymous=LOGIN, **facility_staff),
            ),
            # Events: the bureaus alone record them (an empty form answers with its errors).
            f"{RP}:record_event:execute": Entry(
                get=rule(403, anonymous=LOGIN, **bureau), post=rule(403, anonymous=LOGIN, **bureau)
            ),
            f"{RP}:process_detail": Entry(get=rule(200), post=rule(405), targets=_rp_case_targets),
            f"{RP}:process_chart": Entry(get=rule(200), post=rule(405), targets=_rp_case_targets),
            f"{RP}:document": Entry(
                get=rule(200), post=rule(405, inspector={404, 405}), targets=_rp_document_targets, get_only=True
            ),
            f"{RP}:withdraw": Entry(
                get=rule(405),
                post=rule(403, clerk=400, director=400, clerk_b=400, inspector=404),
                targets=_rp_case_targets,
            ),
        }
    )
    actions = {
        "human": ("index", "detail", "assign", "unassign", "execute", "cancel", "undo", "revive"),
        "gateway": ("index", "detail", "cancel", "undo", "revive"),
        "function": ("index", "detail", "cancel", "undo", "revive"),
        "timer": ("index", "detail", "cancel"),
        "end": ("index", "detail", "undo", "revive"),
        "start": ("index", "detail", "undo"),
    }
    for node in RetiredPractitionerFlow.instance.nodes():
        for action in actions[_us_node_kind(node)]:
            entries[f"{RP}:{node.name}:{action}"] = Entry(
                get=rule(set(), anonymous=LOGIN),
                post=rule(set(), anonymous=LOGIN),
                targets=_rp_node_targets(node.name),
                status_for=_node_status(action),
                get_only=action in {"index", "detail"},
            )
    return entries


ENTRIES.update(_retired_practitioner_entries())


def _verify_targets(scene: Scene) -> list[Target]:
    case = scene.records["case_a_record"].obj
    return [
        Target(
            kwargs={"kind": "termination", "number": case.certificate_number, "token": case.certificate_token},
            record=None,
        ),
        Target(
            kwargs={"kind": "termination", "number": case.certificate_number, "token": "0" * 32},
            record=None,
            label="forged token",
            refused_to_all=True,
        ),
    ]


ENTRIES["certificate_verify"] = Entry(
    # Public, for whoever scans the certificate's QR code: status only, no personal data.
    get=rule(200),
    post=rule(405),
    targets=_verify_targets,
    out_of_scope_is_404=False,
    # The page confirms the number it was asked about and names the issuing
    # county and the designated facility: no patient data.
    public_values=lambda scene, target: {str(target.kwargs["number"]), scene.world.hospital_a.name},
    out_of_scope_statuses=frozenset({404}),
)


# --- Notifications ------------------------------------------------------------------
# Each belongs to its recipient alone.


def _notification_targets(scene: Scene) -> list[Target]:
    from workflows.models import Notification

    targets = []
    for persona in WORLD_PERSONAS:
        user = scene.world.users[persona]
        notification = Notification.objects.filter(recipient=user).order_by("pk").first()
        if notification is not None:
            label = f"notification:{persona}"
            if label not in scene.records:
                scene.add(
                    Record(
                        label=label,
                        obj=notification,
                        facility=None,
                        county="",
                        secrets=[],
                        audience="owner",
                        owner=persona,
                    )
                )
            targets.append(Target(kwargs={"pk": notification.pk}, record=label, label=label))
    return targets


ENTRIES.update(
    {
        "notifications:index": Entry(get=rule(200, anonymous=LOGIN), post=GET_ONLY),
        "notifications:read_all": Entry(
            get=rule(405, anonymous=LOGIN),
            post=rule(303, anonymous=LOGIN),
            inspector_post_allowed="marks the inspector's own notifications read",
        ),
        "notifications:read": Entry(
            get=rule(405),
            post=rule(303),
            targets=_notification_targets,
            out_of_scope_statuses=frozenset({404, 405}),
            inspector_post_allowed="marks the inspector's own notification read",
        ),
    }
)


# --- Audit trail ------------------------------------------------------------------
# Bureau officers and directors and inspectors read their counties' trail; nobody
# else reads it (404), and nobody writes through it (require_safe: 405).

AUDIT_READERS = rule(404, officer=200, officer2=200, chief=200, inspector=200, officer_b=200, anonymous=LOGIN)
# The menu entry: viewflow's SiteMiddleware answers 403 to users the application is not for.
AUDIT_MENU = rule(403, officer=302, officer2=302, chief=302, inspector=302, officer_b=302, anonymous=LOGIN)


def _trail_targets(scene: Scene) -> list[Target]:
    from audit.services import object_ref

    targets = []
    for label, case in _cases(scene):
        object_type, object_id = object_ref(case)
        targets.append(Target(kwargs={"object_type": object_type, "object_id": object_id}, record=label, label=label))
    return targets


def _trail_status(scene: Scene, target: Target, method: str, persona: str) -> set[int]:
    # In the case's scope is not enough: facility staff and experts see the case, not its trail.
    return set(AUDIT_READERS(persona)) if method == "GET" else {405}


ENTRIES.update(
    {
        "audit_trail:index": Entry(
            get=AUDIT_MENU,
            post=rule(
                403, anonymous=LOGIN, **dict.fromkeys(["officer", "officer2", "chief", "inspector", "officer_b"], 405)
            ),
        ),
        "audit:search": Entry(get=AUDIT_READERS, post=GET_ONLY),
        "audit:search_csv": Entry(get=AUDIT_READERS, post=GET_ONLY),
        "audit:search_pdf": Entry(get=AUDIT_READERS, post=GET_ONLY),
        **{
            name: Entry(
                get=AUDIT_READERS,
                post=GET_ONLY,
                targets=_trail_targets,
                status_for=_trail_status,
                get_only=True,
            )
            for name in ("audit:trail", "audit:trail_csv", "audit:trail_pdf")
        },
        # Browsers ask for it on pages without an icon link: a redirect to a static file, for anyone.
        "favicon.ico": Entry(get=rule(302), post=rule(302), inspector_post_allowed="a redirect to a static file"),
    }
)


# --- The API for hospital information systems (api/, docs/api.md) --------------------------------------
# Systems call it with OAuth2 bearer tokens (tests/api); the personas here call it with their sessions,
# which may read what the pages show them and never file (403). No token, no session: 401 problem details.

API_READ = rule(200, anonymous=401)
API_NO_FILING_BY_PEOPLE = rule(403, anonymous=401)
API_OUTSIDER = frozenset({401, 403, 404})  # anonymous 401; a person's POST is refused (403) before any lookup
DIRECTOR_ONLY = rule(404, director=200, anonymous=LOGIN)
# OAuth2's endpoints answer a request without client credentials with its own 400/401 error: nothing changes.
OAUTH_REFUSES = "OAuth2 refuses a request without client credentials (400/401); nothing is written"


def _api_scene(scene: Scene) -> None:
    """A service account and a webhook of hospital A, created by its director (api.services)."""
    from api.services import api_client_create, webhook_create

    world = scene.world
    account, _secret = api_client_create(
        actor=world.director, facility=world.hospital_a, name="Matrix HIS", scopes=["termination:read"]
    )
    subscription, _hook_secret = webhook_create(
        actor=world.director, facility=world.hospital_a, url="https://his.hospital-a.example/hooks"
    )
    for label, obj, secrets in (
        ("api_client_a", account, ["Matrix HIS"]),
        ("api_webhook_a", subscription, ["his.hospital-a.example"]),
    ):
        scene.add(Record(label=label, obj=obj, facility="hospital_a", county="county_a", secrets=secrets))


SCENE_BUILDERS.append(_api_scene)


def _director_status(statuses: dict[str, int]) -> Any:
    """In the record's scope, only the facility's director manages it; anyone else is answered 404."""

    def status(scene: Scene, target: Target, method: str, persona: str) -> set[int]:
        if method == "GET":
            return {405}
        return {statuses["POST"]} if persona == "director" else {404}

    return status


def _api_record_targets(prefix: str) -> Any:
    def targets(scene: Scene) -> list[Target]:
        return [
            Target(kwargs={"pk": record.obj.pk}, record=label, label=label)
            for label, record in scene.records.items()
            if label.startswith(prefix)
        ]

    return targets


def _api_case_targets(prefix: str, *, device: bool = False) -> Any:
    def targets(scene: Scene) -> list[Target]:
        return [
            Target(kwargs={"pk": record.obj.device_id if device else record.obj.pk}, record=label, label=label)
            for label, record in scene.records.items()
            if label.startswith(prefix)
        ]

    return targets


def _api_verify_targets(scene: Scene) -> list[Target]:
    # Two personas only: the check is throttled per address, and every persona calls from the same one.
    return [
        Target(kwargs=target.kwargs, record=None, label=target.label, refused_to_all=target.refused_to_all,
               personas=(ANONYMOUS, "clerk"))
        for target in _verify_targets(scene)
    ]  # fmt: skip


def _api_entries() -> dict[str, Entry]:
    resources = {
        "termination-requests": _api_case_targets("case_"),
        "ultrasound-filings": _api_case_targets("us_"),
        "ultrasound-devices": _api_case_targets("us_", device=True),
        "retired_practitioners-filings": _api_case_targets("rp_"),
    }
    entries: dict[str, Entry] = {}
    for name, targets in resources.items():
        entries[f"api:v1:{name}-list"] = Entry(get=API_READ, post=API_NO_FILING_BY_PEOPLE)
        entries[f"api:v1:{name}-detail"] = Entry(
            get=API_READ, post=API_NO_FILING_BY_PEOPLE, targets=targets, out_of_scope_statuses=API_OUTSIDER
        )
    entries.update(
        {
            "api:v1:verify": Entry(
                get=rule(200),
                post=rule(405),
                targets=_api_verify_targets,
                out_of_scope_is_404=False,
                public_values=lambda scene, target: {str(target.kwargs["number"]), scene.world.hospital_a.name},
            ),
            # The schema is public (it describes, it holds nothing); its browsable docs are for signed-in staff.
            "api:schema": Entry(get=rule(200), post=rule(405)),
            "api:docs": Entry(get=EVERYONE_200, post=GET_ONLY),
            # OAuth2's token and revocation endpoints: POST only, and without client credentials refused.
            "api:token": Entry(get=rule(405), post=rule({400, 401}), inspector_post_allowed=OAUTH_REFUSES),
            "api:revoke": Entry(get=rule(405), post=rule({400, 401}), inspector_post_allowed=OAUTH_REFUSES),
            # Anything else under /api/v1/: a 404 problem for everyone.
            "api/^v1/": Entry(get=rule(404), post=rule(404)),
            # The director's pages.
            "api:clients": Entry(get=DIRECTOR_ONLY, post=GET_ONLY),
            "api:deliveries": Entry(get=DIRECTOR_ONLY, post=GET_ONLY),
            "api:client_create": Entry(get=rule(405, anonymous=LOGIN), post=rule(404, director=400, anonymous=LOGIN)),
            "api:webhook_create": Entry(get=rule(405, anonymous=LOGIN), post=rule(404, director=400, anonymous=LOGIN)),
            "api:client_rotate": Entry(
                get=rule(405, anonymous=LOGIN),
                post=rule(404, director=200, anonymous=LOGIN),
                targets=_api_record_targets("api_client_"),
                status_for=_director_status({"POST": 200}),
                out_of_scope_statuses=frozenset({404, 405}),
            ),
            "api:client_revoke": Entry(
                get=rule(405, anonymous=LOGIN),
                post=rule(404, director=302, anonymous=LOGIN),
                targets=_api_record_targets("api_client_"),
                status_for=_director_status({"POST": 302}),
                out_of_scope_statuses=frozenset({404, 405}),
            ),
            "api:webhook_revoke": Entry(
                get=rule(405, anonymous=LOGIN),
                post=rule(404, director=302, anonymous=LOGIN),
                targets=_api_record_targets("api_webhook_"),
                status_for=_director_status({"POST": 302}),
                out_of_scope_statuses=frozenset({404, 405}),
            ),
        }
    )
    return entries


ENTRIES.update(_api_entries())
