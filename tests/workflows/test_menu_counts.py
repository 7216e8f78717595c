"""The counters of a procedure's menu (inbox, queue): capped, and read together in one query when shown."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission

from workflows.viewsets import MENU_COUNT_CAP, MenuCounts

pytestmark = pytest.mark.django_db


def test_the_counters_are_exact_below_the_cap_capped_above_and_cost_one_query(
    django_assert_num_queries: Any,
) -> None:
    many = Permission.objects.all()
    few = Permission.objects.filter(content_type__app_label="auth", codename__startswith="view_")
    assert many.count() > MENU_COUNT_CAP and 0 < few.count() <= MENU_COUNT_CAP
    expected_few = few.count()
    with django_assert_num_queries(0):  # nothing is read until the menu shows a counter
        counts = MenuCounts(many=many, few=few, nothing=Permission.objects.none())
        shown = counts["many"], counts["few"], counts["nothing"]
    with django_assert_num_queries(1):
        assert [counter.count() for counter in shown] == [f"{MENU_COUNT_CAP}+", expected_few, 0]
        assert counts["few"].count() == expected_few  # read once per page, however often it is shown


def test_a_counter_of_nothing_but_empty_querysets_asks_the_database_nothing(django_assert_num_queries: Any) -> None:
    counts = MenuCounts(inbox=Permission.objects.none(), queue=Permission.objects.filter(pk__in=[]))
    with django_assert_num_queries(0):
        assert (counts["inbox"].count(), counts["queue"].count()) == (0, 0)
