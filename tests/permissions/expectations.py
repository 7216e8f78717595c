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
    FACILITY_STAFF,
    WORLD_PERSONAS,
    Entry,
    Record,
    Scene,
    Target,
    rule,
)
from .procedure_rules import EVERYONE_200, GET_ONLY, LOGIN

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
    "permissions.roleassignment",
    "audit.auditevent",
    "audit.signature",
    # Each procedure's own models in the admin: its scene module's ADMIN_MODELS.
    *(label for procedure in PROCEDURES for label in procedure.admin_models),
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
            "admin:password_change_done",
            "admin:autocomplete",
            "admin:jsi18n",
        )
    }
    # The admin's password page sends its users to the one throttled page (project/urls.py).
    entries["admin:password_change"] = Entry(get=rule(302), post=rule(302))
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

# --- Procedures -------------------------------------------------------------------
# Each registered procedure's test-scene module writes the entries for its routes (``matrix_entries()``), with
# the helpers of procedure_rules.py: tests/procedures.py reads them from the registry, so a procedure added to it
# is covered without editing this file. One whose scene module has none fails
# test_every_registered_procedure_has_matrix_entries, naming it.


def _procedure_entries() -> dict[str, Entry]:
    entries: dict[str, Entry] = {"procedures:index": Entry(get=rule(302, anonymous=LOGIN), post=GET_ONLY)}
    for procedure in PROCEDURES:
        if procedure.matrix_entries is None:
            continue
        own = procedure.matrix_entries()
        shared = sorted(set(own) & set(entries))
        assert not shared, f"{procedure.code}'s matrix entries name routes another entry already has: {shared}"
        entries.update(own)
    return entries


ENTRIES.update(_procedure_entries())


def _verify_targets(scene: Scene) -> list[Target]:
    """Each certifying procedure's certificates: a real token and a forged one (certificate_verify_targets)."""
    return [target for procedure in PROCEDURES for target in procedure.certificate_verify_targets(scene)]


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
    from workflows.cases.models import Case

    targets, counties_done = [], set()
    for label, record in scene.records.items():
        # One case of each procedure per county: in scope for some personas, outside it for the others.
        if not isinstance(record.obj, Case) or (type(record.obj), record.county) in counties_done:
            continue
        counties_done.add((type(record.obj), record.county))
        case = record.obj
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


def _api_outsider(method: str, persona: str) -> set[int]:
    """A record outside the caller's scope: 401 without a session; a person's read 404, as on the pages, and a
    person's POST 403, refused before any lookup as it is to those in scope."""
    if persona == ANONYMOUS:
        return {401}
    return {404} if method == "GET" else {403}


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


def _api_birth_entry_targets(scene: Scene) -> list[Target]:
    """An entry of each monthly birth report of the scene: its facility's staff read it, nobody else."""
    return [
        Target(kwargs={"pk": record.obj.entries().order_by("pk").first().pk}, record=label, label=f"entry of {label}")
        for label, record in scene.records.items()
        if label.startswith("br_")
    ]


def _api_birth_entry_status(scene: Scene, target: Target, method: str, persona: str) -> set[int]:
    if method == "POST":
        return {403}
    return {200} if FACILITY_STAFF.get(persona) == scene.records[target.record or ""].facility else {404}


def _api_entries() -> dict[str, Entry]:
    resources = {
        "termination-requests": _api_case_targets("case_"),
        "ultrasound-filings": _api_case_targets("us_"),
        "ultrasound-devices": _api_case_targets("us_", device=True),
        "retired_practitioners-filings": _api_case_targets("rp_"),
        "births-reports": _api_case_targets("br_"),
    }
    entries: dict[str, Entry] = {}
    for name, targets in resources.items():
        entries[f"api:v1:{name}-list"] = Entry(get=API_READ, post=API_NO_FILING_BY_PEOPLE)
        entries[f"api:v1:{name}-detail"] = Entry(
            get=API_READ, post=API_NO_FILING_BY_PEOPLE, targets=targets, out_of_scope_for=_api_outsider
        )
    # Birth register entries: the facility's own staff only, whoever else may see the month's report.
    entries["api:v1:births-entries-list"] = Entry(get=API_READ, post=API_NO_FILING_BY_PEOPLE)
    entries["api:v1:births-entries-detail"] = Entry(
        get=API_READ,
        post=API_NO_FILING_BY_PEOPLE,
        targets=_api_birth_entry_targets,
        status_for=_api_birth_entry_status,
        out_of_scope_for=_api_outsider,
    )
    # A batch is filed (POST) by systems only; a GET is no method of it.
    entries["api:v1:births-entries-batch"] = Entry(get=rule(405, anonymous=401), post=API_NO_FILING_BY_PEOPLE)
    # A month's status: of the caller's one delivering facility (its staff); anyone else has no register (403).
    entries["api:v1:births-reports-status"] = Entry(
        get=rule(403, anonymous=401, **dict.fromkeys(FACILITY_STAFF, 400)), post=API_NO_FILING_BY_PEOPLE
    )
    entries.update(
        {
            "api:v1:verify": Entry(
                get=rule(200),
                post=rule(405),
                targets=_verify_targets,
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
