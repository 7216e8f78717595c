"""Two sweeps at the same moment compile each bulletin once; two directors claiming the signature at once
leave one holder and one signature (PostgreSQL, real transactions)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import time_machine
from django.db import connection

from audit.models import Signature
from workflows.bulletins import services
from workflows.bulletins.flows import BulletinFlow as F
from workflows.bulletins.models import Bulletin

from .conftest import AFTER_THE_10TH, a_month_of_births

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls: list[Any]) -> list[Any]:
    """Run the calls at the same moment, one thread (and one connection) each; return their results."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Any) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_simultaneous_sweeps_compile_each_bulletin_once(driver: Any, births: Any) -> None:
    a_month_of_births(births, driver.world)
    with time_machine.travel(AFTER_THE_10TH, tick=False):
        results = race([services.bulletins_compile_due for _ in range(3)])
    assert all(isinstance(result, int) for result in results), results
    assert sum(results) == 4  # two counties, a month and a half year each
    assert Bulletin.objects.count() == 4


def test_two_directors_claiming_at_once_leave_one_holder_and_one_signature(driver: Any, births: Any) -> None:
    from permissions.roles import Role
    from tests.conftest import make_person

    w = driver.world
    chief2 = make_person("chief2", Role.BUREAU_DIRECTOR, jurisdiction=w.county_a)
    a_month_of_births(births, w)
    with time_machine.travel(AFTER_THE_10TH, tick=False):
        services.bulletins_compile_due()
    bulletin = driver.bulletin()
    assert driver.act(w.officer, bulletin, F.review, {"decision": "forward"}).status_code == 302
    task = driver.open_task(bulletin, F.sign)
    clients = [driver.client(user) for user in (w.chief, chief2)]
    url = task.flow_task.reverse("assign", args=[task.process_id, task.pk])
    responses = race([lambda c=c: c.post(url, {}) for c in clients])
    codes = sorted(r.status_code for r in responses)
    assert codes[0] == 302 and codes[1] in {302, 403}, codes  # one claim wins; the other is refused, never a 500
    task.refresh_from_db()
    holder = w.chief if task.owner_id == w.chief.pk else chief2
    assert driver.act(holder, bulletin, F.sign, {"decision": "approve"}, sign=True).status_code == 302
    assert Signature.objects.filter(object_type="bulletins.bulletin", object_id=str(bulletin.pk)).count() == 1
    assert Bulletin.objects.get(pk=bulletin.pk).stage == "published"
