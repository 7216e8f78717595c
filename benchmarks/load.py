"""Drive one daphne (production settings, loopback) with real HTTP at 1 and 10 users; write docs/performance.md.

    .venv/bin/python benchmarks/load.py [--requests 20] [--users 1,10] [--port 8931]

Run benchmarks/generate.py first (``make bench`` runs both). Each simulated user is a thread with its own
keep-alive connection and session: it logs in through the real login form (CSRF token from the cookie),
then requests one page at a time. For every page, at 1 user and at 10, it reports p50, p95 and p99 of the
response time and the throughput, and the queries the page runs (counted in-process with Django's test
client against the same database, before the load). The approve action claims an open decision and
signs it (password re-check, signature, audit event, certificate). In the same run: a bare Django view
and viewflow's stock process list (project/bench.py), the anchors.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchenv import BENCH_PASSWORD, ENV, ROOT, setup

OFFICERS = [f"bench_officer{n}" for n in range(1, 11)]
CLERK_PAGE = "facility clerk: "  # pages requested as a clerk of the demo county's first facility, not an officer


def login_of(page: str, data: dict[str, Any]) -> str:
    """Who requests a page: bench_root the anchors, the demo county's clerk the facility's pages, else officers."""
    if page.startswith("anchor"):
        return "bench_root"
    return str(data["clerk"]) if page.startswith(CLERK_PAGE) else OFFICERS[0]


class Browser:
    """One user: a keep-alive connection and a cookie jar (Secure cookies sent over loopback HTTP too)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, data: dict[str, str] | None = None) -> tuple[int, bytes]:
        headers = {"Host": "127.0.0.1", "Accept-Language": "zh-hans"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            data = {**data, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.connection.request(method, url, body=body, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _eq, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, content

    def login(self, username: str) -> None:
        self.request("GET", "/accounts/login/")
        status, body = self.request("POST", "/accounts/login/", {"username": username, "password": BENCH_PASSWORD})
        if status != 302:
            raise SystemExit(f"login of {username} failed: {status} {body[:300]!r}")


@dataclass
class Result:
    page: str
    users: int
    times: list[float] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)

    def pct(self, p: float) -> float:
        ordered = sorted(self.times)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def run_page(browsers: list[Browser], page: str, urls: list[str], per_user: int) -> Result:
    result = Result(page, len(browsers))
    lock = threading.Lock()
    barrier = threading.Barrier(len(browsers))

    def work(index: int, browser: Browser) -> None:
        barrier.wait()
        for n in range(per_user):
            url = urls[(index * per_user + n) % len(urls)]
            began = time.perf_counter()
            status, _body = browser.request("GET", url)
            took = time.perf_counter() - began
            with lock:
                result.times.append(took)
                if status != 200:
                    result.errors += 1
                    result.statuses[status] = result.statuses.get(status, 0) + 1

    threads = [threading.Thread(target=work, args=(i, b)) for i, b in enumerate(browsers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - began
    return result


def run_approve(browsers: list[Browser], decisions: list[tuple[str, str]], per_user: int) -> Result:
    """Each user claims an open decision and signs it: the time of the signing POST is recorded."""
    result = Result("approve with e-signature (POST)", len(browsers))
    lock = threading.Lock()
    barrier = threading.Barrier(len(browsers))
    pool = decisions  # shared across levels: popped decisions are not offered again

    def work(browser: Browser) -> None:
        barrier.wait()
        for _n in range(per_user):
            with lock:
                if not pool:
                    return
                assign, execute = pool.pop()
            browser.request("POST", assign, {})
            began = time.perf_counter()
            status, _body = browser.request(
                "POST", execute, {"decision": "approve", "reason": "bench", "password": BENCH_PASSWORD}
            )
            took = time.perf_counter() - began
            with lock:
                result.times.append(took)
                if status != 302:
                    result.errors += 1
                    result.statuses[status] = result.statuses.get(status, 0) + 1

    threads = [threading.Thread(target=work, args=(b,)) for b in browsers]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - began
    return result


def procedure_pages(name: str, flow: Any, county: Any) -> dict[str, list[str]]:
    """A procedure's case list, queue and case pages (several of the county's cases) for the demo officer."""
    model = flow.process_class
    cases = list(model.objects.filter(county=county).order_by("-pk").values_list("pk", flat=True)[:200:10])
    return {
        f"{name}: case list": [flow.instance.reverse("index")],
        f"{name}: queue": [flow.instance.reverse("queue")],
        f"{name}: case page": [flow.instance.reverse("process_detail", args=[pk]) for pk in cases],
    }


def plan() -> dict[str, Any]:
    """The pages' URLs (several cases, so that no single row is measured) and their query counts."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import get_resolver, reverse
    from viewflow.workflow.models import Task

    from permissions.models import Jurisdiction
    from workflows.births.flows import MonthlyBirthReportFlow as BirthsFlow
    from workflows.bulletins.flows import BulletinFlow
    from workflows.retired_practitioners.flows import RetiredPractitionerFlow as PractitionerFlow
    from workflows.termination.flows import TerminationFlow as F
    from workflows.termination.models import TerminationCase
    from workflows.ultrasound.flows import UltrasoundRegistrationFlow as UltrasoundFlow

    get_resolver().url_patterns  # noqa: B018
    demo = Jurisdiction.objects.filter(level="county").order_by("code").first()
    if demo is None:
        raise SystemExit("no county in the benchmark database: run benchmarks/generate.py first")
    cases = list(TerminationCase.objects.filter(county=demo).order_by("-pk").values_list("pk", flat=True)[:200:10])
    pages = {
        "workspace (home)": [reverse("workspace:index")],
        "queue": [F.instance.reverse("queue")],
        "inbox": [F.instance.reverse("inbox")],
        "case list": [F.instance.reverse("index")],
        "case list, page 2 (older)": [],
        "all tasks": [F.instance.reverse("task_list")],
        "archive": [F.instance.reverse("archive")],
        "case page": [F.instance.reverse("process_detail", args=[pk]) for pk in cases],
        "audit search": [reverse("audit:search")],
        "audit trail of a case": [
            reverse("audit:trail", args=["termination.terminationcase", str(pk)]) for pk in cases
        ],
        "notifications": [reverse("notifications:index")],
        "ultrasound registry": [f"{UltrasoundFlow.instance.reverse('registry')}?county={demo.pk}"],
        "retired practitioners' register": [f"{PractitionerFlow.instance.reverse('register')}?county={demo.pk}"],
        # The other procedures' lists, queues and case pages (benchmarks/generate.py fills them all).
        **procedure_pages("ultrasound", UltrasoundFlow, demo),
        **procedure_pages("retired practitioners", PractitionerFlow, demo),
        **procedure_pages("birth reports", BirthsFlow, demo),
        "births register": [BirthsFlow.instance.reverse("register")],
        f"{CLERK_PAGE}births entries": [BirthsFlow.instance.reverse("entries")],  # the facility's own register
        **procedure_pages("bulletins", BulletinFlow, demo),
        "bulletins analysis": [BulletinFlow.instance.reverse("analysis")],
        "anchor: bare Django view": [reverse("bench_bare")],
        "anchor: viewflow stock process list": [F.instance.reverse("bench_stock")],
    }
    older = TerminationCase.objects.filter(county=demo).order_by("-pk").values_list("pk", flat=True)[50:51]
    pages["case list, page 2 (older)"] = [f"{F.instance.reverse('index')}?before={pk}" for pk in older]
    decisions = [
        (F.decide.reverse("assign", args=[t.process_id, t.pk]), F.decide.reverse("execute", args=[t.process_id, t.pk]))
        for t in Task.objects.filter(flow_task=F.decide, status="NEW", process__terminationcase__county=demo).order_by(
            "pk"
        )
    ]
    queries: dict[str, int] = {}
    User = get_user_model()
    clerk = User.objects.filter(username__startswith="clerk_", profile__facility__county=demo).order_by("pk").first()
    users = {"clerk": clerk.username if clerk else ""}
    for page, urls in pages.items():
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=login_of(page, users)))
        client.get(urls[0])  # warm the session and the per-process caches
        with CaptureQueriesContext(connection) as captured:
            status = client.get(urls[0]).status_code
        queries[page] = len(captured) if status == 200 else -status
    return {
        "pages": pages, "decisions": decisions, "queries": queries, "demo": demo.name, "cases": len(cases),
        "clerk": users["clerk"],
    }  # fmt: skip


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    mem = next(
        (line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "0"
    )
    load = os.getloadavg()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return (
        f"{os.cpu_count()} cores ({cpu}), {int(mem) // 1024 // 1024} GiB RAM, Linux {platform.release()}, "
        f"Python {platform.python_version()}, PostgreSQL {pg}; load average at the start {load[0]:.1f} "
        f"(the machine is shared with other work)"
    )


def sizes() -> str:
    from django.db import connection

    counts = []
    with connection.cursor() as cursor:
        for label, table in [
            ("cases of every procedure", "viewflow_process"),
            ("of them termination's", "termination_terminationcase"),
            ("tasks", "viewflow_task"),
            ("audit events", "audit_auditevent"),
            ("notifications", "workflows_notification"),
            ("signatures", "audit_signature"),
            ("users", "auth_user"),
            ("facilities", "permissions_facility"),
        ]:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            counts.append(f"{cursor.fetchone()[0]:,} {label}")
    return ", ".join(counts)


def say(r: Result) -> None:
    line = f"{r.users:>2} users  {r.page:<40} p50 {r.pct(50):7.0f} ms  p95 {r.pct(95):7.0f} ms  errors {errors(r)}"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=int(os.environ.get("BENCH_REQUESTS", "20")))
    parser.add_argument("--users", default="1,10")
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument("--output", default=str(ROOT / "docs" / "performance.md"))
    args = parser.parse_args()
    levels = [int(u) for u in args.users.split(",")]
    setup()
    data = plan()
    about, data_size = machine(), sizes()
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "daphne"), "-b", "127.0.0.1", "-p", str(args.port), "project.asgi:application"],
        cwd=ROOT,
        env={**os.environ, **ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    results: list[Result] = []
    try:
        for _ in range(120):
            try:
                status, _body = Browser(args.port).request("GET", "/healthz")
                if status in (200, 503):
                    break
            except OSError:
                time.sleep(0.5)
        for users in levels:
            officers = [Browser(args.port) for _ in range(users)]
            for browser, name in zip(officers, OFFICERS, strict=False):
                browser.login(name)
            roots = [Browser(args.port) for _ in range(users)]
            for browser in roots:
                browser.login("bench_root")
            clerks = [Browser(args.port) for _ in range(users)]  # one account, a session each
            for browser in clerks:
                browser.login(data["clerk"])
            per_user = max(3, args.requests // users) if users > 1 else args.requests
            for page, urls in data["pages"].items():
                login = login_of(page, data)
                browsers = roots if login == "bench_root" else clerks if login == data["clerk"] else officers
                result = run_page(browsers, page, urls, per_user)
                results.append(result)
                say(result)
            # Each level takes decisions nobody has signed yet (the pool shrinks as they are approved).
            approve = run_approve(officers, data["decisions"], max(2, per_user // 2))
            results.append(approve)
            say(approve)
    finally:
        server.terminate()
        server.wait(timeout=30)
    write_report(args, results, data, about, data_size)


def errors(r: Result) -> str:
    """The count of unexpected answers, with their status codes (e.g. "2 (200: 2)")."""
    if not r.errors:
        return "0"
    return f"{r.errors} ({', '.join(f'{code}: {n}' for code, n in sorted(r.statuses.items()))})"


def write_report(args: Any, results: list[Result], data: dict[str, Any], about: str, data_size: str) -> None:
    bare = {r.users: r.pct(95) for r in results if r.page == "anchor: bare Django view"}
    lines = [
        "| page | users | p50 ms | p95 ms | p99 ms | p95 / bare | req/s | queries | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = r.pct(95) / bare[r.users] if bare.get(r.users) else float("nan")
        rate = len(r.times) / r.wall if r.wall else 0.0
        queries = data["queries"].get(r.page, "")
        lines.append(
            f"| {r.page} | {r.users} | {r.pct(50):.0f} | {r.pct(95):.0f} | {r.pct(99):.0f} | {ratio:.1f}x | "
            f"{rate:.1f} | {queries} | {errors(r)} |"
        )
    table = "\n".join(lines)
    scale = os.environ.get("BENCH_SCALE")
    command = f"BENCH_SCALE={scale} make bench" if scale else ".venv/bin/python benchmarks/load.py (on generated data)"
    measured = (
        f"<!-- bench:start -->\n"
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `{command}` "
        f"({len(results) and args.requests} requests per page per level; {data['cases']} different cases for "
        f"the case page and the trail).\n\n"
        f"- Machine: {about}.\n- Data: {data_size}; the demo county is {data['demo']}.\n\n{table}\n"
        f"<!-- bench:end -->"
    )
    path = Path(args.output)
    text = path.read_text() if path.exists() else "# Performance\n\n<!-- bench:start -->\n<!-- bench:end -->\n"
    head, _start, rest = text.partition("<!-- bench:start -->")
    _old, _end, tail = rest.partition("<!-- bench:end -->")
    path.write_text(head + measured + tail)
    print(f"\nwrote {path}\n\n{table}")


if __name__ == "__main__":
    main()
