"""No input produces a 5xx, and a refused request leaves no row behind (hypothesis).

Every form any persona is shown (tests/fuzz/discovery.py finds them on the pages
themselves) is posted hostile values: arbitrary unicode, NUL, non-ASCII digits,
huge values, wrong types, lists for scalars, files for text and text for files,
missing and extra fields, as every persona, the ones it was meant for and the
rest. Every URL parameter of every route gets the same treatment, and so does
the query string. Each request runs in a transaction that is rolled back after
the checks, so examples do not disturb each other.

Checks per request: the status is below 500; and when the request was refused
(4xx, or a POST answered 200, the form again with its errors) the database holds
exactly the rows it held before, bookkeeping aside (sessions, login-attempt
records, audit events that record a read or a refusal).

Every form is first posted as it was shown, once as each persona (explicit
examples: every persona meets every form whatever the budget); then the drawn
examples. The budget goes where findings are: REGFLOW_FUZZ_EXAMPLES sets the
drawn examples per form of our own (default: 100 in CI, where
REGFLOW_REQUIRE_SERVICES=1; 25 otherwise); the Django admin's forms, stock
Django forms over our models, get REGFLOW_FUZZ_ADMIN_EXAMPLES (default: a
quarter of that, at least 5). `make fuzz` runs the deep budget (300 each)
outside CI. The run is derandomised (the same examples every time) unless
REGFLOW_FUZZ_RANDOM=1.
"""

from __future__ import annotations

import functools
import os
import time
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import NoReverseMatch, reverse
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.permissions.matrix import MATRIX_SESSION_RENEW_SECONDS, PERSONAS, PersonaClients, Scene, body_of

from .discovery import Form, Page, claim_open_tasks, discover_forms, pages, task_pages

EXAMPLES = int(
    os.environ.get("REGFLOW_FUZZ_EXAMPLES") or (100 if os.environ.get("REGFLOW_REQUIRE_SERVICES") == "1" else 25)
)
# The admin's forms are Django's own (ModelForm, changelist actions, filters), so they get a smaller share.
ADMIN_EXAMPLES = int(os.environ.get("REGFLOW_FUZZ_ADMIN_EXAMPLES") or max(EXAMPLES // 4, 5))
RANDOM = os.environ.get("REGFLOW_FUZZ_RANDOM") == "1"
# Fuzz only the forms whose key contains this text (to reproduce a finding quickly); CI leaves it unset.
ONLY = os.environ.get("REGFLOW_FUZZ_ONLY", "")

# Rows that requests write whatever their outcome, by design.
BOOKKEEPING_TABLES = {
    "django_session",
    "axes_accessattempt",
    "axes_accesslog",
    "axes_accessfailurelog",
    "axes_accessattemptexpiration",
}
# Audit events that record a read, an export or a refusal: written for refused requests too, on purpose.
BOOKKEEPING_ACTIONS = ("record.read", "signature.password_refused", "audit.export_csv", "audit.export_pdf")

# --- Values -----------------------------------------------------------------------

SPECIAL = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "1\x00",
    "\u00b2",  # ² : isdigit() but not int()
    "\u0663\u0664",  # Arabic-Indic digits: int() takes them
    "\uff11\uff12",  # full-width digits
    "-1",
    "0",
    "00",
    "1.5",
    "1e309",
    "NaN",
    "-inf",
    "9" * 19,
    "9" * 40,
    "-" + "9" * 40,
    "2026-02-30",
    "0000-00-00",
    "99999-12-31",
    "2026-13-01T25:61",
    "true",
    "on",
    "None",
    "null",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "../../../etc/passwd",
    "%00",
    "%s%s%n",
    "{{ 7*7 }}",
    "\u202eevil",
    "\ud7ff\ue000\uffff",
    "🦄" * 20,
    "测试" * 50,
    "a" * 255,
    "a" * 256,
]
text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)  # no lone surrogates: not UTF-8
hostile = st.one_of(
    st.sampled_from(SPECIAL),
    text,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.integers(min_value=256, max_value=4096).map(lambda n: "x" * n),
    st.just("\u6d4b" * 40_000),  # 120 kB of UTF-8 in one field
)
upload = st.builds(
    lambda name, content, ctype: SimpleUploadedFile(name, content, content_type=ctype),
    st.sampled_from(["scan.pdf", "scan.png", "a.exe", ".pdf", "\u6d4b.pdf", "x" * 300 + ".pdf", "a\x00.pdf"]),
    st.one_of(
        st.binary(max_size=200),
        st.sampled_from([b"%PDF-1.4\n%%EOF\n", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, b"<html>%PDF-1.4", b""]),
    ),
    st.sampled_from(["application/pdf", "image/png", "text/html", "application/octet-stream", ""]),
)


def field_value(form_field: Any) -> st.SearchStrategy[Any]:
    """A value for one field: often a valid one (so that later checks are reached), else anything."""
    valid: list[Any] = [v for v in [form_field.value, *form_field.choices] if v is not None]
    options = [hostile, st.lists(hostile, min_size=2, max_size=3)]
    if valid:
        options.insert(0, st.sampled_from(valid))
    if form_field.kind == "file":
        options = [upload, hostile]
    else:
        options.append(upload)
    return st.one_of(*options)


def form_data(form: Form) -> st.SearchStrategy[dict[str, Any]]:
    """All fields, some dropped, some hostile, plus a few that the form never had."""
    names = sorted(form.fields)
    return st.builds(
        lambda values, dropped, extra: {k: v for k, v in values.items() if k not in dropped} | extra,
        st.fixed_dictionaries({name: field_value(form.fields[name]) for name in names}),
        st.sets(st.sampled_from(names), max_size=len(names)) if names else st.just(set()),
        st.dictionaries(st.sampled_from(["extra", "id", "pk", "owner", "status", "sequence"]), hostile, max_size=2),
    )


def is_admin(form: Form) -> bool:
    return form.key.split(" ")[1].startswith("admin:")


def form_budget(form: Form) -> int:
    return ADMIN_EXAMPLES if is_admin(form) else EXAMPLES


def as_shown(form: Form) -> dict[str, Any]:
    """The form posted with the values it was shown with (the first choice where it offers some)."""
    data: dict[str, Any] = {}
    for name, form_field in form.fields.items():
        if form_field.kind == "file":
            data[name] = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
        else:
            data[name] = form_field.value or (form_field.choices[0] if form_field.choices else "")
    return data


# --- One request and its checks -------------------------------------------------------


@functools.cache
def table_counts_sql() -> str:
    tables = sorted(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model._meta.db_table not in BOOKKEEPING_TABLES
    )
    quote = connection.ops.quote_name
    parts = []
    for table in tables:
        where = ""
        if table == "audit_auditevent":
            listed = ", ".join(f"'{a}'" for a in BOOKKEEPING_ACTIONS)
            where = f" WHERE action NOT IN ({listed}) AND action NOT LIKE '%%.refused'"
        parts.append(f"SELECT '{table}', COUNT(*) FROM {quote(table)}{where}")  # noqa: S608 - model table names
    return " UNION ALL ".join(parts)


def table_counts() -> dict[str, int]:
    """Rows per table (one query), bookkeeping left out, audit events counted without reads and refusals."""
    with connection.cursor() as cursor:
        cursor.execute(table_counts_sql())
        return dict(cursor.fetchall())


# /healthz answers 503 by design when a dependency is down. Its checks run in worker threads with connections of
# their own, which cannot see a test's uncommitted rows (the dispatcher's heartbeat): here it reports "missing" and
# answers 503. tests/project/test_degraded.py checks its answers; the fuzz checks only that no input breaks it.
REPORTS_FAILING_DEPENDENCIES = frozenset({"/healthz"})


class Requester:
    def __init__(self, scene: Scene):
        self.clients = PersonaClients(scene)
        self.requests = 0
        self.failures: list[str] = []

    def __call__(self, persona: str, method: str, url: str, data: dict[str, Any] | None = None) -> int:
        client: Client = self.clients.clients[persona]
        client.cookies = SimpleCookie(self.clients.cookies[persona].output(header="", sep="\n"))
        where = f"{method} {url!r} as {persona} with {data!r}"[:600]
        self.requests += 1
        try:
            with transaction.atomic():
                before = table_counts() if method == "POST" else {}
                response: HttpResponse = client.post(url, data or {}) if method == "POST" else client.get(url, data)
                body_of(response)
                status = response.status_code
                refused = status >= 400 or (method == "POST" and status == 200)
                if refused and method == "POST":
                    after = table_counts()
                    changed = {t: (before[t], after[t]) for t in before if before[t] != after.get(t)}
                    if changed:
                        self.failures.append(f"{where}: refused with {status} but left rows: {changed}")
                transaction.set_rollback(True)
        except Exception as exc:
            self.failures.append(f"{where}: raised {type(exc).__name__}: {str(exc)[:200]}")
            return 500
        if status >= 500 and not (status == 503 and url.split("?")[0] in REPORTS_FAILING_DEPENDENCIES):
            self.failures.append(f"{where}: answered {status}")
        return status


def report(findings: dict[str, list[str]]) -> str:
    lines = [f"{len(findings)} form(s) or route(s) went wrong:"]
    for key, failures in findings.items():
        lines += [f"{key}:", *(f"    {failure}" for failure in failures)]
    return "\n".join(lines)


def fuzz_settings(examples: int) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=not RANDOM,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: report, do not minimise
        suppress_health_check=list(HealthCheck),
    )


@pytest.mark.slow
@pytest.mark.postgres
def test_no_form_input_gives_a_5xx_or_leaves_rows_behind(scene: Scene, settings: Any) -> None:
    started = time.monotonic()
    settings.SESSION_RENEW_SECONDS = MATRIX_SESSION_RENEW_SECONDS  # the logins stay renewed: no session writes
    requester = Requester(scene)
    # First as the scene stands (claim forms, the queue's bulk claim); then with every open task claimed,
    # each step's own form on its holder's task page.
    forms = discover_forms(scene, requester.clients, pages(scene))
    users = {persona: scene.world.users.get(persona) for persona in PERSONAS}
    claim_open_tasks(users)
    known = {form.key for form in forms}
    forms += [form for form in discover_forms(scene, requester.clients, task_pages(users)) if form.key not in known]
    assert len(forms) >= 10, [f.key for f in forms]
    discovered = time.monotonic() - started
    personas = st.sampled_from(PERSONAS)
    findings: dict[str, list[str]] = {}
    spent: dict[str, float] = {}
    for form in forms:
        if ONLY not in form.key:
            continue

        @fuzz_settings(form_budget(form))
        @given(data=form_data(form), persona=st.one_of(st.sampled_from(form.personas), personas))
        def post(data: dict[str, Any], persona: str) -> None:
            requester(persona, form.method, form.action, data)  # noqa: B023 - run at once, in this iteration

        for persona in PERSONAS:  # every persona posts the form as shown, whatever the budget
            post = example(data=as_shown(form), persona=persona)(post)
        form_started = time.monotonic()
        post()
        spent[form.key] = time.monotonic() - form_started
        if requester.failures:
            findings[form.key] = requester.failures[:3]
            requester.failures = []
    elapsed = time.monotonic() - started
    slowest = sorted(spent.items(), key=lambda item: -item[1])[:5]
    print(
        f"\nfuzzed {len(spent)} of {len(forms)} forms with {requester.requests} requests in {elapsed:.1f} s "
        f"(discovery {discovered:.1f} s; {EXAMPLES} examples per form, {ADMIN_EXAMPLES} per admin form, "
        f"plus each persona posting it as shown)\nslowest: "
        + "; ".join(f"{key} {seconds:.1f} s" for key, seconds in slowest)
    )
    assert any(":execute" in form.key and "submit" not in form.key for form in forms), "no task form was reached"
    assert not findings, report(findings)


def hostile_kwargs(page: Page) -> st.SearchStrategy[dict[str, str]]:
    kwargs = dict(page.target.kwargs) if page.target is not None else {}
    return st.fixed_dictionaries({name: st.one_of(st.just(str(value)), hostile) for name, value in kwargs.items()})


@pytest.mark.slow
@pytest.mark.postgres
def test_no_url_parameter_or_query_string_gives_a_5xx(scene: Scene, settings: Any) -> None:
    started = time.monotonic()
    settings.SESSION_RENEW_SECONDS = MATRIX_SESSION_RENEW_SECONDS  # the logins stay renewed: no session writes
    requester = Requester(scene)
    routes = {}
    for page in pages(scene):
        routes.setdefault(page.route.key, page)  # one object per route: the values are what varies
    personas = st.sampled_from(PERSONAS)
    findings: dict[str, list[str]] = {}
    query = st.dictionaries(
        st.sampled_from(
            ["page", "q", "next", "last_id", "ordering", "o", "_changelist_filters", "status", "date_from"]
        ),
        hostile,
        max_size=3,
    )
    for page in routes.values():
        # Routes with path parameters get a tenth of the form budget (30 in CI); the rest only a query string.
        examples = max(EXAMPLES // 10, 10) if page.target is not None and page.target.kwargs else 5

        @fuzz_settings(examples)
        @given(kwargs=hostile_kwargs(page), params=query, persona=st.one_of(st.sampled_from(page.personas), personas))
        def get(kwargs: dict[str, str], params: dict[str, str], persona: str) -> None:
            route, url = page.route, page.url  # noqa: B023 - run at once, in this iteration
            if route.name is not None and kwargs:
                try:
                    url = reverse(route.name, kwargs=kwargs)
                except NoReverseMatch:  # a value the route's converter does not take never reaches a view
                    return
            requester(persona, "GET", url, params)

        get()
        if requester.failures:
            findings[page.route.key] = requester.failures[:3]
            requester.failures = []
    elapsed = time.monotonic() - started
    print(f"\nfuzzed {len(routes)} routes with {requester.requests} requests in {elapsed:.1f} s")
    assert not findings, report(findings)
