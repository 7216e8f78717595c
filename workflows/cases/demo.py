"""What the procedures' demo seeding shares (``Procedure.seed_demo``, ``manage.py seed_demo``): it drives the real
flows and services, as people would through the pages, with a placeholder scan wherever a document is filed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Iterable
from types import SimpleNamespace
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.timers import fire_due_timers

from .services import case_step_run

DEMO_PDF = b"%PDF-1.4\n% Regflow demo scan\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def demo_scan(name: str = "demo.pdf") -> SimpleUploadedFile:
    """A minimal PDF upload, for a demo case's documents."""
    return SimpleUploadedFile(name, DEMO_PDF, content_type="application/pdf")


def demo_start(node: Any, user: Any) -> Any:
    """The start activation of ``node`` for ``user``, as the start page gets it (its service then opens the case)."""
    activation = node.activation_class.create(node, None, None)
    activation.start(SimpleNamespace(user=user))  # the start step records its "request" user
    return activation


def demo_step(case: Any, node: Any, user: Any, service: Any, **kwargs: Any) -> None:
    """Complete the case's open task at ``node`` as ``user`` through ``service`` (services.case_step_run)."""
    case_step_run(case=case, node=node, user=user, service=service, **kwargs)


def demo_timer_fire(case: Any) -> None:
    """Bring the case's scheduled timer due now, as if its time had run out, and fire it."""
    timer = case.task_set.filter(flow_task_type="TIMER", status="SCHEDULED").get()
    timer.scheduled = timezone.now() - dt.timedelta(seconds=1)
    timer.save(update_fields=["scheduled"])
    fire_due_timers()


def demo_cases_seed(
    *,
    scenarios: Iterable[tuple[Any, str, str]],
    present: Container[Any],
    create: Callable[[Any], Any],
    name: str,
    nothing: str,
    log: Callable[[str], None],
) -> int:
    """Create each scenario, (its key, its county's letter, how far it goes), whose key is not ``present`` (so that a
    demo seeded earlier gains new rows only): ``create(key)`` in a transaction of its own, logged as
    '<name> #<pk>: county <X>, <how far> (<stage>)', or ``nothing`` once if none was new. Returns how many."""
    created = 0
    for key, county, goal in scenarios:
        if key in present:
            continue
        with transaction.atomic():
            case = create(key)
        case = type(case)._default_manager.get(pk=case.pk)  # its stage once the flow has moved on
        created += 1
        log(f"{name} #{case.pk}: county {county.upper()}, {goal} ({case.get_stage_display()})")
    if not created:
        log(nothing)
    return created


def demo_county_rules_seed(*, world: Any, model: Any) -> int:
    """Each demo county's rules of ``model`` (a CountyRules: its defaults), where the county has none yet."""
    from permissions.services import county_rules_create

    created = 0
    for jurisdiction in world.jurisdictions.values():
        if jurisdiction.level == jurisdiction.Level.COUNTY and not model.objects.filter(county=jurisdiction).exists():
            county_rules_create(actor=None, model=model, county=jurisdiction)
            created += 1
    return created
