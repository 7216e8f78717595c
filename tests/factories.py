"""Test data builders. Personas are assembled from these in conftest.py."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from permissions.models import CountyConfig, Facility, Jurisdiction, Profile
from workflows.termination.models import TerminationCountyRules, TerminationDesignation

PASSWORD = "correct horse battery staple"


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{910000 + n:06d}")
    name = factory.Sequence(lambda n: f"Jurisdiction {n}")
    level = Jurisdiction.Level.PROVINCE
    parent = None


def county(code: str, name: str, *, city: Jurisdiction | None = None) -> Jurisdiction:
    if city is None:
        province = JurisdictionFactory(code="920000", name="Test Province", level="province")
        city = JurisdictionFactory(code="920100", name="Test City", level="city", parent=province)
    result = JurisdictionFactory(code=code, name=name, level="county", parent=city)
    CountyConfig.objects.get_or_create(county=result)
    TerminationCountyRules.objects.get_or_create(county=result)
    return result


def township(code: str, name: str, *, parent: Jurisdiction) -> Jurisdiction:
    return JurisdictionFactory(code=code, name=name, level="township", parent=parent)


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Facility {n}")
    kind = Facility.Kind.COUNTY_HOSPITAL
    practice_licence_number = factory.Sequence(lambda n: f"PDY-{n:06d}")
    mch_licence_number = factory.Sequence(lambda n: f"MCH-{n:06d}")

    @factory.post_generation
    def termination_designation(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        """Designated up to week 27 unless told otherwise: termination_designation={"designated": False}."""
        if create:
            values = {"designated": True, "max_weeks": 27, **(extracted or {})}
            TerminationDesignation.objects.create(facility=self, **values)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            self.save()


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)
    printed_name = factory.Sequence(lambda n: f"Person {n}")
    rank = Profile.Rank.NONE
