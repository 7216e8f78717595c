#!/usr/bin/env python3
"""Mutation testing of the modules that carry Regflow's guarantees, with mutmut 3 (docs/mutation.md).

    .ci/mutate.py                 every target, one after the other (long: run it outside CI)
    .ci/mutate.py fields chain    only these targets
    .ci/mutate.py --quick         CI's subset: the socket's session check (about a minute and a half here)

Each target runs in its own scratch copy of the tree (var/mutate/<target>/), with a mutmut
configuration naming its module and the tests that matter for it; mutmut then runs, for each
mutant, only the tests that executed the mutated function (its per-function test selection),
one mutant at a time. The results are written to docs/mutation-report.md: counts per target
and the diff of every surviving mutant. docs/mutation.md explains each survivor.

The environment passes through: with DATABASE_URL set the tests run on PostgreSQL (the lock
tests need it) against test_<name> with --reuse-db, so the database is created once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "mutate"
REPORT = ROOT / "docs" / "mutation-report.md"
MUTMUT = ROOT / ".venv" / "bin" / "mutmut"
# A pytest plugin that sets the test database up once per run instead of once per mutant (see its docstring).
PLUGIN = ROOT / ".ci" / "mutmut_django.py"
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "var", "mutants", "__pycache__", "*.pyc", "staticfiles", "db.sqlite3*", ".*_cache", "node_modules"
)
# The suite's settings (the Makefile's TEST_ENV).
TEST_ENV = {"DEBUG": "false", "SECRET_KEY": "test-only-not-secret", "SECURE_SSL_REDIRECT": "false"}


@dataclass(frozen=True)
class Target:
    source: str
    tests: tuple[str, ...]
    # mutmut names mutants <module>.x_<function>__mutmut_<n>; these globs keep the run to the guarantee's
    # functions where a module holds other things too (empty: every function of the module).
    functions: tuple[str, ...] = ()


TARGETS: dict[str, Target] = {
    "fields": Target(
        "core/fields.py",
        (
            "tests/workflows/termination/test_key_rotation.py",
            "tests/workflows/termination/test_guarantees.py::test_every_patient_identifier_is_stored_as_ciphertext",
        ),
    ),
    # Four-eyes is two targets, each with the tests that can catch its mutants: run together, mutmut ran the ~70
    # fast engine-wide refusal cases first against every task_candidates mutant, which only the whole-flow tests
    # catch (30 to 70 seconds a mutant, docs/mutation.md).
    "four_eyes": Target(
        "workflows/nodes.py",
        (
            "tests/permissions/test_four_eyes_engine_wide.py",
            "tests/workflows/termination/test_takeability.py::test_bulk_decisions_equal_can_assign_for_every_user_and_task",
            "tests/workflows/termination/test_guarantees.py::test_whoever_amended_the_case_may_not_review_it",
            "tests/workflows/termination/test_guarantees.py::test_an_amender_who_became_a_bureau_officer_may_not_decide",
            "tests/workflows/termination/test_guarantees.py::test_a_submitting_director_may_not_review_their_own_request",
            "tests/workflows/termination/test_guarantees.py::test_a_submitting_clerk_who_sits_on_the_panel_may_not_give_an_opinion",
            "tests/workflows/termination/test_guarantees.py::test_a_submitter_who_became_a_bureau_officer_may_not_decide",
            "tests/workflows/termination/test_guarantees.py::test_the_submitter_may_record_the_procedure",
        ),
        ("workflows.nodes.xǁSigningViewǁfour_eyes_refusal*",),
    ),
    "candidates": Target(
        "workflows/nodes.py",
        (
            "tests/permissions/test_four_eyes_engine_wide.py::test_a_seat_without_a_permission_or_without_a_scope_is_announced_to_nobody",
            "tests/workflows/termination/test_takeability.py",
            "tests/workflows/termination/test_guarantees.py::test_a_fresh_panel_is_announced_to_new_experts_only",
        ),
        ("workflows.nodes.x_task_candidates*",),
    ),
    # Not the page crawls (test_field_visibility's, 227 s, and the inspector's every-route test, 47 s): mutmut runs
    # every selected test against each survivor, five minutes a survivor here. The denied-request log, the admin
    # site's gate and every access function are tested directly instead (test_access_rules.py, ten seconds).
    "access": Target(
        "permissions/access.py",
        (
            "tests/permissions/test_access_rules.py",
            "tests/permissions/test_access_changes.py",
            "tests/permissions/test_denied_logging.py",
            "tests/permissions/test_admin_access.py",
            "tests/permissions/test_field_visibility.py::test_the_table_names_every_restricted_field_and_hides_fetal_sex_from_the_panel",
            "tests/workflows/termination/test_access.py",
        ),
    ),
    "chain": Target(
        "audit/chain.py",
        ("tests/audit/test_chain.py", "tests/audit/test_chain_columns.py", "tests/audit/test_chain_report.py"),
    ),
    "signatures": Target(
        "audit/services.py",
        ("tests/audit/test_signatures.py", "tests/audit/test_chain.py", "tests/audit/test_chain_columns.py"),
        (
            "audit.services.x_event_hash*",
            "audit.services.x_event_payload*",
            "audit.services.x_signature_*",
            "audit.services.x__hash_for*",
        ),
    ),
    "consumer": Target(
        "workflows/consumers.py",
        # The check itself, not the sockets that call it: the socket tests (a few seconds each) killed no
        # mutant the check's tests did not, and leaving them out keeps this CI's subset short.
        (
            "tests/workflows/test_consumer_session.py::test_a_session_is_valid_until_its_absolute_lifetime_ends",
            "tests/workflows/test_consumer_session.py::test_a_session_is_still_valid_at_the_last_second_of_its_lifetime_as_on_the_website",
            "tests/workflows/test_consumer_session.py::test_a_fresh_session_is_valid_for_each_user_who_signed_in",
            "tests/workflows/test_consumer_session.py::test_a_session_is_invalid_once_the_password_changed",
            "tests/workflows/test_consumer_session.py::test_a_session_is_invalid_for_another_user_a_missing_key_or_an_inactive_user",
            "tests/workflows/test_consumer_session.py::test_a_session_from_a_backend_no_longer_configured_is_invalid",
        ),
        ("workflows.consumers.x_session_still_valid*",),
    ),
    "certificate": Target(
        "workflows/cases/services.py",
        (
            "tests/workflows/cases/test_kit.py::test_numbers_of_one_kind_count_per_county_and_year_and_kinds_do_not_share",
            "tests/workflows/termination/test_races.py::test_two_cases_of_one_county_approved_at_once_get_consecutive_distinct_numbers",
            "tests/workflows/termination/test_races.py::test_the_first_two_certificates_of_a_county_year_race_to_create_the_sequence",
            "tests/workflows/termination/test_races.py::test_the_sequence_row_is_only_ever_read_under_a_row_lock",
        ),
        ("workflows.cases.services.x_number_draw*",),
    ),
    # The kit's services every procedure runs through: the decision, the decision clock and its reminders and
    # escalation, withdrawal (docs/mutation.md). test_kit_services.py calls them directly; the flow tests through
    # the pages.
    "kit": Target(
        "workflows/cases/services.py",
        (
            "tests/workflows/cases/test_kit.py",
            "tests/workflows/cases/test_kit_services.py",
            "tests/workflows/termination/test_paths.py",
            "tests/workflows/termination/test_time_left_and_notifications.py",
            "tests/workflows/termination/test_guarantees.py::test_an_amendment_restarts_the_decision_clock_and_rearms_its_reminder",
            "tests/workflows/termination/test_races.py::test_two_reminder_sweeps_at_once_remind_once",
            "tests/workflows/termination/test_races.py::test_withdrawal_and_approval_at_once_leave_exactly_one_outcome",
        ),
        (
            "workflows.cases.services.x_decision_reason_check*",
            "workflows.cases.services.x_case_decide*",
            "workflows.cases.services.x_case_decision_open*",
            "workflows.cases.services.x_case_deadline_reminders_send*",
            "workflows.cases.services.x_case_escalate*",
            "workflows.cases.services.x_withdrawal_reason_check*",
            "workflows.cases.services.x_case_cancel*",
            "workflows.cases.services.x_case_withdraw*",
        ),
    ),
}
# Survivors judged equivalent (no test can tell them from the original), each with the reason; docs/mutation.md
# says more. The report marks them, and gives the score without them beside the score.
EQUIVALENT: dict[str, str] = {
    **{
        f"workflows.consumers.x_session_still_valid__mutmut_{n}": (
            "the default of a missing password hash changed: refused whatever it is, no default equals a hex hash"
        )
        for n in (29, 31, 32)
    },
    "core.fields.xǁEncryptedTextFieldǁfrom_db_value__mutmut_1": (
        "`or` made `and`: every encrypted column is NOT NULL, and an empty value decrypts to empty either way"
    ),
    "core.fields.xǁEncryptedTextFieldǁfrom_db_value__mutmut_4": (
        "an empty value goes to decrypt, fails, and the unreadable-value branch returns empty too"
    ),
    "workflows.cases.services.x_number_draw__mutmut_27": (
        "update_fields=None saves every column of the locked row: the same values"
    ),
    **{
        f"workflows.cases.services.x_case_deadline_reminders_send__mutmut_{n}": (
            "the sweep's list of ids as 1-tuples or without naming pk: filter(pk=(5,)) is pk = 5, and the first "
            "column is the case's pk"
        )
        for n in (19, 20, 21, 24)
    },
    "workflows.cases.services.x_case_deadline_reminders_send__mutmut_34": (
        "update_fields=None saves every column of the row just read under its lock: the same values"
    ),
    "workflows.cases.services.x_case_decide__mutmut_38": (
        "update_fields=None: the case was read under the activation's flow lock; every other column as read"
    ),
    "workflows.cases.services.x_case_cancel__mutmut_12": (
        "update_fields=None on a task row the loop has just read, under the case's flow lock the caller holds: "
        "every other column as read"
    ),
    "workflows.nodes.x_task_candidates__mutmut_30": (
        "is_active=True dropped: assignable_users (_with_permission) keeps active users only, as can_assign does"
    ),
    **{
        f"permissions.access.x_{function}__mutmut_{n}": (
            "the per-request cache key renamed: still unlike every other key, and nothing else reads the cache"
        )
        for function, numbers in (("user_assignments", (16, 17)), ("inspected_county_ids", (13, 14)))
        for n in numbers
    },
    "permissions.access.x_inspected_county_ids__mutmut_18": (
        "values_list(flat=True) without a field: the first column, Jurisdiction's id, the same pk"
    ),
    "permissions.access.x_access_notification_for_user__mutmut_1": (
        "write defaults to True: a notification is its recipient's alone either way, write is not read"
    ),
    "permissions.access.x_log_denied__mutmut_23": "is_authenticated's default None instead of False: both false",
    **{
        f"permissions.access.x_log_denied__mutmut_{n}": (
            "the user id read without the is_authenticated guard: an AnonymousUser's pk is None, a User is always "
            "authenticated"
        )
        for n in (13, 18, 29)
    },
    "audit.chain.x__checkpoint_problems__mutmut_2": (
        "the last good checkpoint starts as '' instead of None: both false, and it is only tested for truth"
    ),
    **{
        f"audit.chain.x_checkpoint_append__mutmut_{n}": (
            "the encoding of the line changed or left to the locale: json.dumps writes pure ASCII"
        )
        for n in (3, 6, 10)
    },
    **{
        f"audit.chain.x_checkpoints_read__mutmut_{n}": (
            "the encoding left to the locale or spelt UTF-8: UTF-8 wherever this runs, and the file is ASCII"
        )
        for n in (3, 5, 7)
    },
    "audit.chain.x_event_rows__mutmut_5": "chunk_size=None: Django fetches 2000 rows at a time, same rows, same order",
    "audit.chain.x_verify_chain__mutmut_18": (
        "chunk_size=None to event_rows: Django fetches 2000 rows at a time, same rows, same order"
    ),
    **{
        f"audit.chain.x_row_hash__mutmut_{n}": (
            "zip's strict= dropped: the slice is exactly as long as PAYLOAD_FIELDS for every row of ROW_FIELDS"
        )
        for n in (5, 8, 9)
    },
    "audit.chain.x_row_hash__mutmut_31": "ensure_ascii=None is false, as False is",
    "audit.chain.x_verify_chain__mutmut_9": "the total without progress made 1: it is only read to show progress",
    "audit.chain.x_verify_chain__mutmut_15": "sealing_began starts as None: false, as False is, until it is set True",
    **{
        f"audit.chain.xǁCheckpointǁas_json__mutmut_{n}": (
            "the keys of a checkpoint line unsorted: every reader parses the JSON by key"
        )
        for n in (2, 4, 11)
    },
}
# CI's subset (.ci/run): the socket's session check, about a minute and a half on two shared cores.
QUICK = ("consumer",)


def setup_cfg(target: Target, env: dict[str, str], tree: list[str]) -> str:
    args = ["-p", "no:cacheprovider"]
    if env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        args += ["--reuse-db", "-p", PLUGIN.stem]
    lines = [
        "[mutmut]",
        f"source_paths = {target.source}",
        "also_copy =",
        *(f"    {p}" for p in tree),
        "pytest_add_cli_args =",
        *(f"    {a}" for a in args),
        "pytest_add_cli_args_test_selection =",
        *(f"    {t}" for t in target.tests),
        "use_git_change_detection = false",
    ]
    return "\n".join(lines) + "\n"


def run_target(name: str, target: Target) -> dict:
    workdir = WORK / name
    if workdir.exists():
        shutil.rmtree(workdir)
    shutil.copytree(ROOT, workdir, ignore=COPY_IGNORE, symlinks=True)
    shutil.copy2(PLUGIN, workdir / PLUGIN.name)
    env = {**os.environ, **TEST_ENV}
    # mutmut copies the tests and its own files; everything else the tests import or read is named here.
    tree = sorted(p.name for p in workdir.iterdir() if p.name not in {"tests", "docs", "setup.cfg", "mutants"})
    (workdir / "setup.cfg").write_text(setup_cfg(target, env, tree))
    started = time.monotonic()
    subprocess.run([MUTMUT, "run", "--max-children", "1", *target.functions], cwd=workdir, env=env, check=False)
    return collect(name, target, minutes=round((time.monotonic() - started) / 60, 1))


def collect(name: str, target: Target, *, minutes: float | None = None) -> dict:
    """Read a finished (or interrupted) run's results from its scratch copy."""
    workdir = WORK / name
    env = {**os.environ, **TEST_ENV}
    listing = subprocess.run(
        [MUTMUT, "results", "--all", "true"], cwd=workdir, env=env, check=True, capture_output=True, text=True
    ).stdout
    statuses = {}
    for line in listing.splitlines():
        mutant, _, status = line.strip().rpartition(": ")
        if mutant and _selected(mutant, target):
            statuses[mutant] = status
    stats: dict[str, int] = {}
    for status in statuses.values():
        key = status.replace(" ", "_")
        stats[key] = stats.get(key, 0) + 1
    survivors = {}
    for mutant, status in statuses.items():
        if status in {"survived", "no tests"}:
            diff = subprocess.run(
                [MUTMUT, "show", mutant], cwd=workdir, env=env, check=False, capture_output=True, text=True
            ).stdout
            survivors[mutant] = (status, diff.strip())
    return {
        "source": target.source,
        "functions": target.functions,
        "stats": stats,
        "survivors": survivors,
        "minutes": minutes,
    }


def _selected(mutant: str, target: Target) -> bool:
    from fnmatch import fnmatchcase

    return not target.functions or any(fnmatchcase(mutant, pattern) for pattern in target.functions)


def score(stats: dict, *, equivalent: int = 0) -> float:
    """Killed (a test failed, or the mutant hung) over every mutant, less the ``equivalent`` ones: one that was
    not checked (the run was interrupted, or pytest failed before the first mutant) counts against the score."""
    killed = stats.get("killed", 0) + stats.get("timeout", 0) + stats.get("caught_by_type_check", 0)
    total = sum(stats.values()) - equivalent
    return 100.0 * killed / total if total else 0.0


def write_report(results: dict[str, dict]) -> None:
    previous = json.loads(_embedded(REPORT)) if REPORT.exists() and _embedded(REPORT) else {}
    for name, result in results.items():  # --collect does not know how long the run took: keep what was measured
        if result["minutes"] is None and name in previous:
            result["minutes"] = previous[name].get("minutes")
    previous.update(results)
    lines = [
        "# Mutation report (generated by `make mutate`; explanations in [mutation.md](mutation.md))",
        "",
        "| target | module | functions | killed | survived | equivalent | no tests | timeout | score "
        "| score without the equivalent | minutes |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, result in sorted(previous.items()):
        s = result["stats"]
        functions = ", ".join(f"`{f}`" for f in result["functions"]) or "all"
        equivalent = sum(1 for mutant in result["survivors"] if mutant in EQUIVALENT)
        lines.append(
            f"| {name} | `{result['source']}` | {functions} | {s.get('killed', 0)} | {s.get('survived', 0)} "
            f"| {equivalent} | {s.get('no_tests', 0)} | {s.get('timeout', 0)} | {score(s):.1f}% "
            f"| {score(s, equivalent=equivalent):.1f}% | {result['minutes'] or '?'} |"
        )
    lines += ["", "## Surviving mutants", ""]
    for _name, result in sorted(previous.items()):
        for mutant, (status, diff) in sorted(result["survivors"].items()):
            verdict = f"equivalent: {EQUIVALENT[mutant]}" if mutant in EQUIVALENT else status
            lines += [f"### {mutant} ({verdict})", "", "```diff", diff, "```", ""]
    lines += ["<!-- results", json.dumps(previous, indent=1, ensure_ascii=False), "-->", ""]
    REPORT.write_text("\n".join(lines))


def _embedded(path: Path) -> str:
    text = path.read_text()
    start = text.find("<!-- results\n")
    end = text.rfind("\n-->")
    return text[start + len("<!-- results\n") : end] if start >= 0 and end > start else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", metavar="target", help="any of: " + ", ".join(TARGETS))
    parser.add_argument("--quick", action="store_true", help=f"only the fast subset ({', '.join(QUICK)})")
    parser.add_argument("--min-score", type=float, default=0.0, help="exit 1 if a target scores below this")
    parser.add_argument("--no-report", action="store_true", help="leave docs/mutation-report.md as it is")
    parser.add_argument("--collect", action="store_true", help="only read the results of earlier runs into the report")
    args = parser.parse_args()
    names = list(QUICK) if args.quick else (args.targets or list(TARGETS))
    unknown = [name for name in names if name not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {unknown}; choose from {list(TARGETS)}")
    if args.collect:
        results = {name: collect(name, TARGETS[name]) for name in names if (WORK / name / "mutants").is_dir()}
    else:
        results = {name: run_target(name, TARGETS[name]) for name in names}
    if not args.no_report:
        write_report(results)
    failed = False
    for name, result in results.items():
        value = score(result["stats"])
        print(f"{name}: {value:.1f}% killed ({result['stats']}), {len(result['survivors'])} survivor(s)")
        failed |= value < args.min_score
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
