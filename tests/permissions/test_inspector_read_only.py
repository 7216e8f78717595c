"""Inspectors read and change nothing: every non-GET route refuses them, and the database is as it was."""

from __future__ import annotations

import hashlib
from typing import Any

from django.apps import apps
from django.test import Client

from audit.models import AuditEvent

from .expectations import ENTRIES
from .matrix import Scene, build_url, iter_targets, walk_routes

# Rows an inspector's own requests may touch without changing regulated state:
# their session, django-axes' record of login attempts, and whether they have
# read their own notifications.
NOT_REGULATED = {
    "sessions.session",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "workflows.notification",
}
# Logging in stamps last_login; it says nothing about the records.
IGNORED_COLUMNS = {("auth.user", "last_login")}


def database_snapshot() -> dict[str, Any]:
    """Row count and a digest of every row of every concrete model, plus the audit chain's head."""
    snapshot: dict[str, Any] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.label_lower in NOT_REGULATED:
            continue
        columns = [f.attname for f in meta.concrete_fields if (meta.label_lower, f.attname) not in IGNORED_COLUMNS]
        rows = list(model._base_manager.order_by("pk").values_list(*columns))
        snapshot[meta.label_lower] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    snapshot["audit head"] = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    return snapshot


def is_refusal(response: Any) -> bool:
    if response.status_code in {403, 404, 405}:
        return True
    # The admin answers anyone who is not staff with its login page.
    return response.status_code == 302 and "login" in response.get("Location", "")


def test_every_non_get_route_refuses_the_inspector_and_nothing_changes(scene: Scene) -> None:
    client = Client()
    client.force_login(scene.world.inspector)
    before = database_snapshot()
    accepted: list[str] = []
    tried = 0
    for route in walk_routes():
        entry = ENTRIES.get(route.key)
        if entry is None:
            continue  # reported by the matrix test
        for target in iter_targets(entry, route, scene):
            url = build_url(route, target)
            data = entry.post_data(scene, target) if entry.post_data else {}
            for method in ("post", "delete"):
                response = getattr(client, method)(url, data)
                tried += 1
                if not is_refusal(response) and not entry.inspector_post_allowed:
                    accepted.append(f"{method.upper()} {url} [{route.key}]: {response.status_code}")
            if entry.inspector_post_allowed:  # e.g. log out: log in again for the next route
                client.force_login(scene.world.inspector)
    after = database_snapshot()
    assert tried > 0
    assert not accepted, "routes that accepted a write from the inspector:\n  " + "\n  ".join(accepted)
    changed = {label: (before[label], after.get(label)) for label in before if before[label] != after.get(label)}
    assert not changed, f"the inspector's requests changed the database: {changed}"


def test_the_snapshot_notices_a_change(scene: Scene) -> None:
    """Guard against a snapshot that cannot fail."""
    before = database_snapshot()
    facility = scene.world.hospital_b
    facility.mch_licence_number = "MCH-CHANGED"
    facility.save(update_fields=["mch_licence_number"])
    assert database_snapshot()["permissions.facility"] != before["permissions.facility"]
