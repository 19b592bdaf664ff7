"""What one agent desk page costs, measured in-process: CPU, wall time, queries, PostgreSQL time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/desk_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/desk_profile.py [--rounds 300] [--tickets 100] [--profile ticket] [--sort tottime]

Meant for the database ``bench/load_bench.py`` seeds (``migrate``, ``seed_demo``, ``seed_scaled``;
20,000 tickets, about 9,000 open, 60,000 messages). Requests go through the whole middleware stack
with ``django.test.Client``, signed in as the demo agent (``force_login``, as the load benchmark's
agent cookie), with the settings the load benchmark gives gunicorn (``settings.base``, DEBUG off).
For each of ``/ping``, the queue page (``/desk/?view=open``) and ``--tickets`` different open
ticket pages (``/desk/tickets/<pk>/``, visited in turn) it prints, per request:

- **cpu ms**: this process's CPU time (``time.process_time``): Django, templates, the ORM, psycopg;
- **pg ms**: CPU time of the PostgreSQL server processes behind the connection pool
  (``/proc/<pid>/stat``; PostgreSQL must run on this machine), which shares the same cores;
- **total ms**: the two added, the page's core time (gunicorn and the HTTP client come on top);
- **wall ms**, and the **queries** per request with their summed round-trip time (a separate
  pass with an execute wrapper, so counting costs nothing in the figures above).

CPU time, not wall time, is the figure to compare on a shared machine: it does not count the time
other jobs take from the cores. ``--profile PAGE`` runs that page's requests under cProfile and
prints the top functions.

Reads only (every page here is a GET); it never writes to the database.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_project.settings.base")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,testserver")
os.environ["DEBUG"] = "False"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from measure import QueryTimer, cpu_seconds  # noqa: E402  (bench/measure.py)

from accounts.models import User  # noqa: E402
from tickets import selectors  # noqa: E402


def backend_pids() -> list[int]:
    """The PostgreSQL server processes behind this process's connections (pool or persistent)."""
    if connection.vendor != "postgresql":
        return []
    connection.ensure_connection()
    # The test client keeps its connection across requests (it does not close it at the end of
    # each one as a server does); count the pool's idle connections too, in case it changes.
    pids = {connection.connection.info.backend_pid}
    pool = getattr(connection, "pool", None)
    if pool is not None:
        pids |= {conn.info.backend_pid for conn in list(pool._pool)}
    return sorted(pids)


def get(client: Client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")


def measure(client: Client, urls: list[str], rounds: int) -> dict:
    for url in urls:  # warm every URL once: template loaders, URL resolver, pool connections
        get(client, url)
    pids = backend_pids()
    walls = []
    pg_before = cpu_seconds(pids)
    cpu_before = time.process_time()
    for i in range(rounds):
        start = time.perf_counter()
        get(client, urls[i % len(urls)])
        walls.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu_before
    pg = cpu_seconds(pids) - pg_before if pids else float("nan")
    queries, query_ms = [], []
    for url in urls[: min(len(urls), 50)]:
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            get(client, url)
        queries.append(timer.count)
        query_ms.append(timer.seconds * 1000)
    return {
        "cpu": cpu / rounds * 1000,
        "pg": pg / rounds * 1000,
        "wall": statistics.median(walls) * 1000,
        "queries": (min(queries), max(queries)),
        "query_ms": statistics.mean(query_ms),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300, help="requests per page (default 300)")
    parser.add_argument("--tickets", type=int, default=100, help="different open ticket pages, visited in turn")
    parser.add_argument("--agent", default="agent@stockdesk.local")
    parser.add_argument("--pages", default="ping,queue,ticket", help="comma-separated: ping, queue, ticket")
    parser.add_argument("--profile", choices=["ping", "queue", "ticket"], help="run this page under cProfile")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key (cumulative, tottime, ...)")
    parser.add_argument("--top", type=int, default=40, help="functions to print with --profile")
    args = parser.parse_args()

    agent = User.objects.get(email=args.agent)
    open_ids = list(selectors.ticket_list_for_agent(agent, view="open").values_list("pk", flat=True)[:5000])
    step = max(len(open_ids) // max(args.tickets, 1), 1)
    pages = {
        "ping": ["/ping"],
        "queue": ["/desk/?view=open"],
        "ticket": [f"/desk/tickets/{pk}/" for pk in open_ids[::step][: args.tickets]],
    }
    client = Client()
    client.force_login(agent)
    db = settings.DATABASES["default"]
    print(
        f"{connection.vendor} {db.get('NAME')}, cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}, "
        f"DEBUG={settings.DEBUG}; {len(open_ids):,} open tickets seen by {args.agent} (first 5,000 counted); "
        f"{args.rounds} requests per page, {len(pages['ticket'])} ticket pages"
    )

    if args.profile:
        urls = pages[args.profile]
        for url in urls:
            get(client, url)
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(args.rounds):
            get(client, urls[i % len(urls)])
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
        return

    print(f"{'page':<8} {'cpu ms':>8} {'pg ms':>8} {'total ms':>9} {'wall ms':>8} {'queries':>8} {'query ms':>9}")
    for name in args.pages.split(","):
        r = measure(client, pages[name], args.rounds)
        lo, hi = r["queries"]
        count = str(lo) if lo == hi else f"{lo}-{hi}"
        print(
            f"{name:<8} {r['cpu']:8.2f} {r['pg']:8.2f} {r['cpu'] + r['pg']:9.2f} {r['wall']:8.2f} "
            f"{count:>8} {r['query_ms']:9.2f}"
        )


if __name__ == "__main__":
    main()
