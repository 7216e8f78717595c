from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import get_resolver

from permissions.demo import USERS, demo_seeds, seed_base

DEFAULT_DEMO_PASSWORD = "regflow-demo"  # noqa: S105 - demo data only, printed on every run


class Command(BaseCommand):
    help = "Create the demo jurisdictions, facilities, users and cases. Safe to run again: it changes nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        get_resolver().url_patterns  # noqa: B018 - the demo's notifications link to tasks: load the URLconf first
        with transaction.atomic():
            world = seed_base(password=password, log=lambda m: self.stdout.write(f"  {m}"))
            # Each registered procedure's demo (Procedure.seed_demo, pushed down by workflows.cases.registry).
            for label, seed in demo_seeds():
                self.stdout.write(f"  {label}:")
                world.created += seed(world=world, log=lambda m: self.stdout.write(f"    {m}"))
        verdict = f"created {world.created} objects" if world.created else "nothing to do: demo data already present"
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({verdict})."))
        self.stdout.write(f"Accounts (password for all: {password}):")
        for username, printed, role, _scope, *_rest in USERS:
            self.stdout.write(f"  {username:<10} {role:<18} {printed}")
        self.stdout.write(f"  {'admin':<10} {'superuser':<18} Django admin at /admin/")
