"""Demo data: one city, two counties, their facilities and one user per role.

Idempotent: everything is looked up by a natural key first, so a second run
changes nothing. Procedures add their demo cases in their own demo.py, which
seed_demo calls after this one with the objects created here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from .models import CountyConfig, Facility, Jurisdiction, Profile, RoleAssignment
from .roles import Role
from .services import county_config_create, role_grant


@dataclass
class DemoWorld:
    jurisdictions: dict[str, Jurisdiction] = field(default_factory=dict)
    facilities: dict[str, Facility] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    created: int = 0


JURISDICTIONS = [
    # key, code, name, level, parent key
    ("province", "990000", "示范省 Demo Province", "province", None),
    ("city", "990100", "清河市 Qinghe City", "city", "province"),
    ("county_a", "990101", "东安县 Dong'an County", "county", "city"),
    ("county_b", "990102", "西平县 Xiping County", "county", "city"),
    ("town_a1", "990101001", "城关镇 Chengguan Town", "township", "county_a"),
    ("town_a2", "990101002", "柳河乡 Liuhe Township", "township", "county_a"),
    ("town_b1", "990102001", "西城镇 Xicheng Town", "township", "county_b"),
]

FACILITIES = [
    # key, name, kind, practice licence, mch licence, county, township, designated, max weeks
    (
        "hospital_a",
        "东安县人民医院 Dong'an County People's Hospital",
        Facility.Kind.COUNTY_HOSPITAL,
        "PDY-990101-0001",
        "MCH-990101-0001",
        "county_a",
        "town_a1",
        True,
        27,
    ),
    (
        "centre_a",
        "柳河乡卫生院 Liuhe Township Health Centre",
        Facility.Kind.TOWNSHIP_CENTRE,
        "PDY-990101-0002",
        "",
        "county_a",
        "town_a2",
        False,
        None,
    ),
    (
        "clinic_a",
        "城关康宁诊所 Kangning Clinic",
        Facility.Kind.PRIVATE_CLINIC,
        "PDY-990101-0003",
        "",
        "county_a",
        "town_a1",
        False,
        None,
    ),
    (
        "hospital_b",
        "西平县妇幼保健院 Xiping County MCH Hospital",
        Facility.Kind.MCH_HOSPITAL,
        "PDY-990102-0001",
        "MCH-990102-0001",
        "county_b",
        "town_b1",
        True,
        27,
    ),
]

USERS = [
    # username, printed name, role, scope key, rank, licence
    ("clerk", "王静 Wang Jing", Role.FACILITY_CLERK, "hospital_a", Profile.Rank.NONE, ""),
    ("director", "李建国 Li Jianguo", Role.FACILITY_DIRECTOR, "hospital_a", Profile.Rank.CHIEF, "110990101000101"),
    ("expert1", "张敏 Zhang Min", Role.EXPERT, "county_a", Profile.Rank.CHIEF, "110990101000201"),
    ("expert2", "刘洋 Liu Yang", Role.EXPERT, "county_a", Profile.Rank.DEPUTY_CHIEF, "110990101000202"),
    ("expert3", "陈芳 Chen Fang", Role.EXPERT, "county_a", Profile.Rank.DEPUTY_CHIEF, "110990101000203"),
    ("officer", "赵磊 Zhao Lei", Role.BUREAU_OFFICER, "county_a", Profile.Rank.NONE, ""),
    ("chief", "孙红 Sun Hong", Role.BUREAU_DIRECTOR, "county_a", Profile.Rank.NONE, ""),
    ("inspector", "周平 Zhou Ping", Role.INSPECTOR, "county_a", Profile.Rank.NONE, ""),
    ("clerk_b", "吴丽 Wu Li", Role.FACILITY_CLERK, "hospital_b", Profile.Rank.NONE, ""),
    ("director_b", "黄伟 Huang Wei", Role.FACILITY_DIRECTOR, "hospital_b", Profile.Rank.CHIEF, "110990102000101"),
    ("officer_b", "郑强 Zheng Qiang", Role.BUREAU_OFFICER, "county_b", Profile.Rank.NONE, ""),
    ("supervisor", "钱进 Qian Jin", Role.SUPERVISOR, "county_a", Profile.Rank.NONE, ""),
    ("supervisor_b", "冯涛 Feng Tao", Role.SUPERVISOR, "county_b", Profile.Rank.NONE, ""),
]


def seed_base(*, password: str, log: Any = None) -> DemoWorld:
    say = log or (lambda message: None)
    world = DemoWorld()
    for key, code, name, level, parent_key in JURISDICTIONS:  # type: ignore[assignment]
        parent = world.jurisdictions.get(parent_key) if parent_key else None
        jurisdiction, created = Jurisdiction.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent": parent}
        )
        world.jurisdictions[key] = jurisdiction
        world.created += created
    for county_key in ("county_a", "county_b"):
        county_obj = world.jurisdictions[county_key]
        if not CountyConfig.objects.filter(county=county_obj).exists():
            county_config_create(actor=None, county=county_obj)
            world.created += 1
    say(f"jurisdictions: {len(world.jurisdictions)}")

    for fkey, name, kind, licence, mch, county, township, designated, max_weeks in FACILITIES:  # type: ignore[assignment]
        facility, created = Facility.objects.get_or_create(
            practice_licence_number=licence,
            defaults={
                "name": name,
                "kind": kind,
                "mch_licence_number": mch,
                "county": world.jurisdictions[county],
                "township": world.jurisdictions[township],
                "designated_for_termination": designated,
                "designated_max_weeks": max_weeks,
            },
        )
        world.facilities[fkey] = facility
        world.created += created
    say(f"facilities: {len(world.facilities)}")

    User = get_user_model()
    for username, printed, role, scope_key, rank, licence in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=password)
            world.created += 1
        user_facility = world.facilities.get(scope_key)
        user_scope: Jurisdiction | None = world.jurisdictions.get(scope_key)
        Profile.objects.get_or_create(
            user=user,
            defaults={
                "printed_name": printed,
                "facility": user_facility,
                "jurisdiction": user_scope or (user_facility.county if user_facility else None),
                "rank": rank,
                "licence_number": licence,
            },
        )
        live = RoleAssignment.objects.filter(user=user, role=role, revoked_at__isnull=True)
        if not live.exists():
            role_grant(actor=None, user=user, role=role, facility=user_facility, jurisdiction=user_scope)
            world.created += 1
        world.users[username] = user
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser(username="admin", password=password)
        world.created += 1
    say(f"users: {len(world.users) + 1}")
    return world


# Procedures' demo cases, registered through workflows.cases.registry (Procedure.seed_demo): seed_demo runs
# each after seed_base, in registration order. seed(*, world, log) returns how many objects it created.
_DEMO_SEEDS: dict[str, tuple[Any, Callable[..., int]]] = {}


def register_demo_seed(code: str, *, label: Any, seed: Callable[..., int]) -> None:
    _DEMO_SEEDS[code] = (label, seed)


def demo_seeds() -> list[tuple[Any, Callable[..., int]]]:
    """(label, seed) of every registered procedure."""
    return list(_DEMO_SEEDS.values())
