"""Time (and optionally profile) each page of ``benchmarks/load.py`` in this process, without HTTP or daphne.

    .venv/bin/python benchmarks/inprocess.py [--requests 15] [--profile PAGE] [--sql PAGE]

Run benchmarks/generate.py first. Every page is requested through Django's test client (the whole
middleware stack, production settings from benchmarks/benchenv.py, project.asgi's startup) as the demo
county's first officer, the anchors as bench_root and a facility's own pages as the clerk of the demo
county's first facility (load.login_of), after one warm-up request each. The table gives the
median, the p95 and the best time of each page, the ratios of the first two to the bare view's in the
same run, the CPU time of this process (the Python work: what the load of other processes inflates
least) and the time its queries took as seen from the connection (round trips included: on a loaded
machine each costs a scheduling delay, whatever the query). ``--profile PAGE`` prints a pyinstrument
profile of one request of that page (a dev dependency); ``--sql PAGE`` prints that page's queries,
slowest first, and ``--explain N`` the plans of its N slowest (EXPLAIN ANALYZE).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchenv import setup
from load import login_of, plan


class QueryTimer:
    """A connection wrapper (``connection.execute_wrapper``) adding up the queries' time and keeping their SQL."""

    def __init__(self) -> None:
        self.queries: list[tuple[float, str, Any]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - began, sql, params))

    @property
    def total(self) -> float:
        return sum(took for took, _sql, _params in self.queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--profile", default="")
    parser.add_argument("--sql", default="")
    parser.add_argument("--explain", type=int, default=0, help="EXPLAIN ANALYZE the N slowest queries of --sql")
    parser.add_argument("--pages", default="", help="comma-separated page names (default: all)")
    args = parser.parse_args()
    setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    import project.asgi  # noqa: F401 - what daphne loads, startup included (project.asgi.freeze_startup_objects)

    data = plan()
    User = get_user_model()
    wanted = {name.strip() for name in args.pages.split(",") if name.strip()}
    rows: list[tuple[str, float, float, float, float, float, int]] = []
    for page, urls in data["pages"].items():
        if wanted and page not in wanted and not page.startswith("anchor: bare"):
            continue
        client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(User.objects.get(username=login_of(page, data)))
        client.get(urls[0])  # warm the session and the per-process caches
        times: list[float] = []
        sql_times: list[float] = []
        cpu_times: list[float] = []
        for n in range(args.requests):
            timer = QueryTimer()
            began, cpu = time.perf_counter(), time.process_time()
            with connection.execute_wrapper(timer):
                response = client.get(urls[n % len(urls)])
            times.append(time.perf_counter() - began)
            cpu_times.append(time.process_time() - cpu)
            sql_times.append(timer.total)
            if response.status_code != 200:
                raise SystemExit(f"{page}: {urls[n % len(urls)]} answered {response.status_code}")
        p95 = sorted(times)[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        rows.append(
            (
                page,
                statistics.median(times),
                p95,
                min(times),
                statistics.median(cpu_times),
                statistics.median(sql_times),
                len(timer.queries),
            )
        )
        if page == args.sql:
            slowest = sorted(timer.queries, key=lambda query: query[0], reverse=True)
            for took, sql, _params in slowest:
                print(f"{took * 1000:8.1f} ms  {sql[:400]}")
            for _took, sql, params in slowest[: args.explain]:
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    plan_lines = [line for (line,) in cursor.fetchall()]
                    print(f"\n{cursor.mogrify(sql, params)}\n")
                    print("\n".join(plan_lines))
        if page == args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            with profiler:
                client.get(urls[0])
            print(profiler.output_text(unicode=True, color=False, show_all=False))
    bare = next(row for row in rows if row[0].startswith("anchor: bare"))
    print(f"load average {os.getloadavg()[0]:.1f}; {args.requests} requests per page")
    print(
        "| page | median ms | p95 ms | best ms | x bare (median) | x bare (p95) | CPU ms (median) | SQL ms (median) "
        "| queries |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for page, median, p95, best, cpu, sql_time, count in rows:
        print(
            f"| {page} | {median * 1000:.0f} | {p95 * 1000:.0f} | {best * 1000:.0f} | {median / bare[1]:.1f}x | "
            f"{p95 / bare[2]:.1f}x | {cpu * 1000:.0f} | {sql_time * 1000:.0f} | {count} |"
        )


if __name__ == "__main__":
    main()
