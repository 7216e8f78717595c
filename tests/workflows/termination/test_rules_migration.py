"""Migration termination/0006 moves the county rules and designations out of permissions: every row, both ways."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from workflows.termination.models import TerminationCountyRules, TerminationDesignation

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("permissions", "0001_jurisdictions_facilities_roles"), ("termination", "0004_case_panel_revision")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def test_rules_and_designations_are_copied_back_and_forth_without_loss(world: Any) -> None:
    TerminationCountyRules.objects.filter(county=world.county_b).update(
        gestational_threshold_weeks=16, accepted_personal_pathways=["widowed"], certificate_validity_days=45
    )
    try:
        executor = migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        CountyConfig, Facility = old.get_model("permissions", "CountyConfig"), old.get_model("permissions", "Facility")
        # Reversed: the values are back in permissions' columns.
        config_b = CountyConfig.objects.get(county_id=world.county_b.pk)
        assert (config_b.gestational_threshold_weeks, config_b.accepted_personal_pathways) == (16, ["widowed"])
        assert (config_b.decision_deadline_days, config_b.certificate_validity_days) == (3, 45)
        designations = {f.pk: (f.designated_for_termination, f.designated_max_weeks) for f in Facility.objects.all()}
        assert designations == {
            world.hospital_a.pk: (True, 27),
            world.centre_a.pk: (False, None),
            world.hospital_b.pk: (True, 27),
        }
        # As an older version would have left them, then forward again.
        CountyConfig.objects.filter(county_id=world.county_a.pk).update(decision_deadline_days=7)
        Facility.objects.filter(pk=world.hospital_b.pk).update(designated_max_weeks=20)
        Facility.objects.filter(pk=world.centre_a.pk).update(designated_max_weeks=18)  # not designated, yet kept
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    rules = {r.county_id: r for r in TerminationCountyRules.objects.all()}
    assert set(rules) == {world.county_a.pk, world.county_b.pk}
    assert rules[world.county_a.pk].decision_deadline_days == 7
    assert rules[world.county_b.pk].gestational_threshold_weeks == 16
    assert rules[world.county_b.pk].accepted_personal_pathways == ["widowed"]
    assert rules[world.county_b.pk].certificate_validity_days == 45
    assert dict(TerminationDesignation.objects.values_list("facility_id", "designated")) == {
        world.hospital_a.pk: True,
        world.centre_a.pk: False,
        world.hospital_b.pk: True,
    }
    assert dict(TerminationDesignation.objects.values_list("facility_id", "max_weeks")) == {
        world.hospital_a.pk: 27,
        world.centre_a.pk: 18,
        world.hospital_b.pk: 20,
    }
