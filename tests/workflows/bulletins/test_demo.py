"""seed_demo publishes the demo county's last complete month's bulletin when births are there, else nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from workflows.bulletins import demo, services
from workflows.bulletins.models import Bulletin, Stage

pytestmark = pytest.mark.django_db


def demo_world(w: Any) -> Any:
    return SimpleNamespace(
        jurisdictions={"county_a": w.county_a}, users={"officer": w.officer, "chief": w.chief}, facilities={}
    )


def test_the_demo_publishes_last_months_bulletin_once(driver: Any, births: Any) -> None:
    w = driver.world
    last_month = services.month_add(timezone.localdate().replace(day=1), -1)
    assert demo.seed(world=demo_world(w), log=lambda _line: None) == 0  # no births yet: nothing
    assert not Bulletin.objects.exists()
    births.add(w.hospital_a, last_month, 52, 48)
    assert demo.seed(world=demo_world(w), log=lambda _line: None) == 1
    bulletin = Bulletin.objects.get()
    assert (bulletin.county, bulletin.period_start, bulletin.stage) == (w.county_a, last_month, Stage.PUBLISHED)
    assert demo.seed(world=demo_world(w), log=lambda _line: None) == 0
    assert Bulletin.objects.count() == 1


def test_the_workspace_shows_bulletins_to_the_bureau_and_published_ones_to_directors(driver: Any, births: Any) -> None:
    from django.urls import reverse

    from .test_paths import compiled

    w = driver.world
    home = reverse("workspace:index")
    bulletin = compiled(births, w)
    officer_home = driver.client(w.officer).get(home).content.decode()
    assert driver.url("process_detail", bulletin) in officer_home
    director_home = driver.client(w.director).get(home).content.decode()
    assert driver.url("process_detail", bulletin) not in director_home
    driver.publish(bulletin)
    director_home = driver.client(w.director).get(home).content.decode()
    assert driver.url("process_detail", bulletin) in director_home
