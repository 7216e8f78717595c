"""Field visibility is a rule: the table in workflows/termination/visibility.py, checked everywhere a persona can go.

Each persona starts at its landing page and follows every link it is shown
(bounded), then requests every route of the authorization matrix with the
objects in its scope. Pages, CSV and PDF exports (text extracted with pypdf),
notification payloads and e-mail copies are searched for the restricted values
of the seeded cases: a value may appear only where the table lets the
persona's role on that case see the field. The table is imported, not copied:
changing it changes what this test demands.
"""

from __future__ import annotations

import io
import json
import re
from collections import deque
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from permissions.models import RoleAssignment
from tests.workflows.termination.scene import (
    case_decide,
    case_opinion,
    case_review,
    case_secrets,
    case_start,
    resident_id,
    task_run,
)
from workflows.events import notification_email_render, notification_message
from workflows.models import Notification
from workflows.termination import services
from workflows.termination.flows import TerminationFlow
from workflows.termination.models import FetalSex, TerminationCase
from workflows.termination.visibility import VISIBILITY

from .expectations import ENTRIES
from .matrix import (
    ANONYMOUS,
    MATRIX_SESSION_RENEW_SECONDS,
    SUPERUSER,
    PersonaClients,
    Record,
    Scene,
    build_url,
    may_see,
    walk_routes,
)

pytestmark = pytest.mark.django_db

COMPLICATIONS = "Cervical-laceration-Q7 repaired"
PAGE_LIMIT = 400  # pages per persona: far more than the seeded world has
# One persona per role and scope (officer2, expert2 and expert3 would see what officer and expert1 see).
CRAWLED_PERSONAS = (
    "clerk",
    "director",
    "expert1",
    "officer",
    "chief",
    "inspector",
    "clerk_other",
    "clerk_b",
    "officer_b",
    SUPERUSER,
)
SKIPPED_PREFIXES = ("/admin/", "/accounts/logout", "/i18n/", "/static/", "/media/", "/jsi18n/", "/ws/", "/favicon")


def restricted_values(case: TerminationCase) -> dict[str, list[re.Pattern[str]]]:
    """What each field of the table looks like on a page, for one case."""
    case.refresh_from_db()

    def literal(value: str | None) -> list[re.Pattern[str]]:
        return [re.compile(re.escape(value))] if value else []

    fetal_sex = str(FetalSex(case.fetal_sex).label) if case.fetal_sex else ""
    values = {
        "patient_name": literal(case.patient_name),
        "resident_id": literal(case.resident_id),
        "resident_id_digest": literal(case.resident_id_digest),
        "certificate_token": literal(case.certificate_token),
        # A label is a word: match it as one ("Male" is not in "Female").
        "fetal_sex": [re.compile(rf"\b{re.escape(fetal_sex)}\b")] if fetal_sex else [],
        "complications": literal(case.complications),
    }
    assert set(values) == set(VISIBILITY.fields), "the test must know how every field of the table looks on a page"
    return values


def record_procedure(case: TerminationCase, clerk: Any, serial: int) -> None:
    data = {
        "resident_id": resident_id(serial),
        "procedure_date": timezone.localdate(),
        "procedure_method": "medical_induction",
        "physician_name": "Dr Physician",
        "physician_licence": "LIC-0001",
        "complications": COMPLICATIONS,
        "drugs": [{"name": "Mifepristone", "batch": "B-2026-01"}],
        "fetal_sex": FetalSex.MALE,
    }
    task_run(
        case,
        TerminationFlow.record_procedure,
        clerk,
        lambda activation, request: services.termination_record_procedure(
            activation=activation, user=clerk, data=data, request=request
        ),
    )


def add_completed_panel_case(scene: Scene) -> TerminationCase:
    """A medical case seen by the panel, decided, and recorded with fetal sex and complications."""
    world = scene.world
    serial = 177
    case = case_start(
        user=world.clerk, facility=world.hospital_a, pathway="fetal_defect", name="Patient-done", serial=serial
    )
    for expert in (world.expert1, world.expert2, world.expert3):
        case_opinion(case, expert)
    case_review(case, world.director)
    case_decide(case, world.officer)
    record_procedure(case, world.clerk, serial)
    case.refresh_from_db()
    assert case.stage == "completed" and case.fetal_sex == FetalSex.MALE
    scene.add(
        Record(
            label="case_a_done",
            obj=case,
            facility="hospital_a",
            county="county_a",
            secrets=case_secrets(case),
            panel=True,
        )
    )
    return case


def persona_roles(scene: Scene, persona: str) -> set[str]:
    if persona in (ANONYMOUS, SUPERUSER):
        return set()
    user = scene.world.users[persona]
    return set(RoleAssignment.objects.filter(user=user, revoked_at__isnull=True).values_list("role", flat=True))


def forbidden_patterns(scene: Scene, persona: str) -> list[tuple[str, str, re.Pattern[str]]]:
    """(case label, field, pattern) for every restricted value the persona must never be shown."""
    roles = persona_roles(scene, persona)
    result = []
    for label, record in scene.records.items():
        if not label.startswith("case_"):
            continue
        in_scope = may_see(scene, persona, record)
        for field, patterns in restricted_values(record.obj).items():
            if in_scope and VISIBILITY.may_see(field, roles):
                continue
            result.extend((label, field, pattern) for pattern in patterns)
    return result


def text_of(response: Any) -> str:
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/pdf"):
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
    return body.decode("utf-8", errors="replace")


LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"'#]+)""")


def internal(base: str, link: str) -> str | None:
    parts = urlsplit(urljoin(base, link))
    if parts.scheme and parts.netloc not in ("testserver", ""):
        return None
    path = urldefrag(parts.path + (f"?{parts.query}" if parts.query else ""))[0]
    if not path.startswith("/") or path.startswith(SKIPPED_PREFIXES):
        return None
    return path


CASE_ID = re.compile(r"(termination/|terminationcase/)(\d+)")


def shape(url: str) -> str:
    """A URL with its ids blanked, except the case's: pages of one shape render the same template."""
    case = CASE_ID.search(url)
    return re.sub(r"\d+", "N", url) + (f"@{case.group(2)}" if case else "")


def crawl(client: Client, starts: list[str]) -> dict[str, Any]:
    """GET every internal link reachable from ``starts`` (bounded, one URL per shape): url -> response."""
    seen: dict[str, Any] = {}
    shapes: set[str] = set()
    queue = deque(starts)
    while queue and len(seen) < PAGE_LIMIT:
        url = queue.popleft()
        if url in seen or shape(url) in shapes:
            continue
        shapes.add(shape(url))
        response = client.get(url)
        seen[url] = response
        if response.status_code in (301, 302, 303):
            target = internal(url, response["Location"])
            if target:
                queue.append(target)
            continue
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            for link in LINK.findall(response.content.decode("utf-8", errors="replace")):
                target = internal(url, link.replace("&amp;", "&"))
                if target and target not in seen:
                    queue.append(target)
    return seen


def matrix_urls(scene: Scene, persona: str) -> list[str]:
    """GET URLs of the authorization matrix's routes, filled with objects in the persona's scope."""
    urls = []
    for route in walk_routes():
        entry = ENTRIES.get(route.key)
        if entry is None or route.key.startswith("admin") or route.pattern.startswith("admin/"):
            continue
        if not route.kwarg_names:
            urls.append(build_url(route, None))
            continue
        for target in entry.targets(scene) if entry.targets else []:
            record = scene.records.get(target.record) if target.record else None
            if target.refused_to_all or (record is not None and not may_see(scene, persona, record)):
                continue  # refused with 404: the matrix proves it
            urls.append(build_url(route, target))
    return urls


@pytest.fixture
def visibility_scene(scene: Scene, settings: Any) -> Scene:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SESSION_RENEW_SECONDS = MATRIX_SESSION_RENEW_SECONDS  # the crawl's logins stay renewed
    add_completed_panel_case(scene)
    return scene


def test_the_table_names_every_restricted_field_and_hides_fetal_sex_from_the_panel() -> None:
    assert set(VISIBILITY.fields) == {
        "patient_name",
        "resident_id",
        "resident_id_digest",
        "certificate_token",
        "fetal_sex",
        "complications",
    }
    assert not VISIBILITY.may_see("fetal_sex", {"expert"})
    assert VISIBILITY.may_see("fetal_sex", {"facility_clerk"})
    assert not any(VISIBILITY.may_see(field, set()) for field in VISIBILITY.fields)


def test_no_page_export_or_message_shows_a_field_the_table_hides(visibility_scene: Scene) -> None:
    scene = visibility_scene
    clients = PersonaClients(scene)
    failures: list[str] = []
    pages = 0
    cache_failures: list[str] = []
    for persona in CRAWLED_PERSONAS:
        client = clients.clients[persona]
        forbidden = forbidden_patterns(scene, persona)
        responses = crawl(client, ["/", *matrix_urls(scene, persona)])
        for url, response in responses.items():
            if response.status_code != 200:
                continue
            pages += 1
            # A scan is the facility's own upload, served as it came: not a page we render.
            text = "" if "/documents/" in url else text_of(response)
            # The persona typed the URL (a certificate check's token): its echo tells nothing.
            text = text.replace(url, "")
            for label, field, pattern in forbidden:
                if pattern.search(text):
                    failures.append(f"{persona} GET {url}: shows {field} of {label}")
            # A response that shows a patient's name or ID must not be kept by any cache.
            identifying = [
                value
                for record in scene.records.values()
                if record.label.startswith("case_")
                for value in (record.obj.patient_name, record.obj.resident_id, record.obj.resident_id_masked)
            ]
            if any(value in text for value in identifying) and "no-store" not in response.get("Cache-Control", ""):
                cache_failures.append(f"{persona} GET {url}: shows a patient's name or ID without no-store")
        # Messages: the persona's notifications as pushed on the socket and as e-mailed.
        user = clients.user(persona)
        everything = forbidden_patterns(scene, ANONYMOUS)  # messages carry no restricted value, for anyone
        for notification in Notification.objects.filter(recipient=user):
            subject, body = notification_email_render(notification=notification)
            wire = json.dumps(notification_message(notification))
            for label, field, pattern in everything:
                if pattern.search(wire) or pattern.search(subject + body):
                    failures.append(f"{persona} notification {notification.kind}: carries {field} of {label}")
    everything = forbidden_patterns(scene, ANONYMOUS)
    for message in mail.outbox:
        for label, field, pattern in everything:
            if pattern.search(message.subject + message.body):
                failures.append(f"e-mail to {message.to}: carries {field} of {label}")
    assert pages > 100, pages  # the crawl reached the pages, it did not stop at a login page
    assert not failures, f"{len(failures)} restricted values shown:\n  " + "\n  ".join(sorted(set(failures))[:80])
    assert not cache_failures, "\n  ".join(cache_failures[:40])


def test_the_crawl_reaches_the_task_pages_of_a_finished_case(visibility_scene: Scene) -> None:
    """The walk above is only as good as its reach: the officer's crawl gets to finished steps' pages."""
    scene = visibility_scene
    case = scene.records["case_a_done"].obj
    client = PersonaClients(scene).clients["officer"]
    responses = crawl(client, ["/"])
    detail = [url for url in responses if url.startswith(f"/procedures/termination/{case.pk}/") and "/detail/" in url]
    assert detail, sorted(responses)[:50]
