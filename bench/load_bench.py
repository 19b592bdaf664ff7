"""Load benchmark on the scaled stack: gunicorn gthread + a Celery worker on PostgreSQL and Redis.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stockdesk_bench REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python bench/load_bench.py [--users 50] [--seconds 20] [--mix-seconds 45] [--markdown out.md]

Bounded in users (<= 200) and time (each phase stops after its seconds; the whole run takes
about 4 minutes after seeding), loopback only. Uses a dedicated database, which it migrates, seeds with the demo data
and scales up (``seed_scaled``: 5,000 products, 50,000 orders, 20,000 tickets of which about
9,000 open, 60,000 messages). Then, against gunicorn (gunicorn.conf.py) and a Celery worker:

1. **saturation**, one page at a time, ``--users`` users with no think time: the trivial
   ``/ping`` view first (the ceiling), then the catalogue, product pages, the agent queue, ticket
   pages, and checkout (one-line orders through the API). Each is printed as requests/s and as a
   share of the ceiling, with p50/p95/p99;
2. the **realistic mix** with think time (anonymous browsing, customers signing up, buying,
   chatting and raising tickets, agents working the queue) at ``--users`` users: requests/s and
   p50/p95/p99 per page and overall, errors;
3. **capacity** (``--capacity 25,50,100,150,200``): the realistic mix again at each user count
   in turn, ``--step-seconds`` each; the capacity is the most concurrent users with think time
   that the stack serves with p95 <= 200 ms over all requests and no errors;
4. ``check_stock`` (must be clean) and the count of orders the checkout phase placed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
FAILURES: list[str] = []  # every phase's failed requests, printed with the results
CPU: dict[str, str] = {}
QUIET: list[float] = []  # seconds waited before the mix for web, worker and PostgreSQL to go quiet
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
RESTARTS: list[int] = []  # web processes that gunicorn replaced during the run (max_requests, crashes)
CAPACITY: list[tuple[int, dict]] = []  # (users, locust rows) per capacity step
PHASES = ["catalogue", "product page", "agent queue", "ticket page", "checkout", "mix", "capacity"]
CAPACITY_P95_MS = 200.0
MIX = ["Browser", "Customer", "Agent"]
CATEGORIES = ["", "kitchen", "stationery", "bathroom", "toys"]  # as in bench/load/locustfile.py
SATURATION = [
    ("CataloguePages", "catalogue", 0.50),
    ("ProductPages", "product page", 0.50),
    ("AgentQueue", "agent queue", 0.07),
    ("TicketPages", "ticket page", 0.09),
]


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes; gone ones count nothing."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_database(url: str) -> None:
    """Create the benchmark's dedicated database if this machine does not have it yet."""
    import psycopg
    from psycopg import sql

    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.get("dbname")
    if not name:
        raise SystemExit("DATABASE_URL must name a database.")
    with psycopg.connect(**{**info, "dbname": "postgres"}, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}", flush=True)


def manage(env: dict, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=not capture,
        capture_output=capture,
        text=True,
        stdout=None if capture else subprocess.DEVNULL,
    )


def run_locust(host: str, users: int, seconds: int, classes: list[str], out: Path, env: dict, spawn: int) -> dict:
    prefix = out / "_".join(classes)
    subprocess.run(  # noqa: S603
        [
            PYTHON,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "load" / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(spawn),
            "-t",
            f"{seconds}s",
            "--host",
            host,
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "5",
            *classes,
        ],
        check=False,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=seconds + 120,
    )
    with open(f"{prefix}_failures.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            FAILURES.append(f"{row['Occurrences']} x {row['Method']} {row['Name']}: {row['Error'][:300]}")
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def process_cpu(names: set[str]) -> float:
    """CPU seconds used so far by every process whose command name is in ``names``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in names:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return cpu_seconds(pids)


class CpuMeter:
    """CPU seconds per component during one phase: web, worker, PostgreSQL, Redis, locust."""

    def __init__(self, web: int, worker: int):
        self.web, self.worker = web, worker

    def read(self) -> dict[str, float]:
        import resource

        return {
            "web": cpu_seconds([self.web, *children(self.web)]),
            "worker": cpu_seconds([self.worker, *children(self.worker)]),
            "postgres": process_cpu({"postgres"}),
            "redis": process_cpu({"redis-server"}),
            "locust": sum(getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f) for f in ("ru_utime", "ru_stime")),
        }

    @staticmethod
    def per_request(before: dict, after: dict, requests: int) -> str:
        """CPU ms per request by component, e.g. ``web 9.1, worker 2.0, ... = 14.2 ms``."""
        if not requests:
            return "no requests"
        parts = {name: 1000 * (after[name] - before[name]) / requests for name in before}
        return ", ".join(f"{name} {value:.1f}" for name, value in parts.items()) + (
            f" = {sum(parts.values()):.1f} ms of CPU per request"
        )


def wait_until_idle(master: int, *, limit: float = 300) -> float:
    """Wait until the web processes are idle (each builds its chat engine as it starts)."""
    return _wait_quiet(lambda: cpu_seconds(children(master)), limit=limit)


def wait_until_quiet(web: int, worker: int, *, limit: float = 120) -> float:
    """Wait until web, worker and PostgreSQL are all near idle: the mix then starts from a quiet
    system, not inside the tail of the checkout phase (its confirmation emails still being
    delivered, autovacuum on the tables it wrote)."""

    def busy() -> float:
        return (
            cpu_seconds([web, *children(web)])
            + cpu_seconds([worker, *children(worker)])
            + process_cpu({"postgres", "redis-server"})
        )

    return _wait_quiet(busy, limit=limit, threshold=0.3)


def _wait_quiet(cpu, *, limit: float, threshold: float = 0.2) -> float:
    start = time.monotonic()
    while time.monotonic() - start < limit:
        before = cpu()
        time.sleep(2)
        if cpu() - before < threshold:
            return time.monotonic() - start
    return time.monotonic() - start


def warm_up(host: str, fixtures: dict) -> int:
    """Visit every storefront page the saturation phases ask for once, as a shop's traffic would have.

    Measured phases then show the steady state (pages served from the cache, rebuilt after
    changes), not 1,000 cold product pages in the first seconds.
    """
    urls = [f"/shop/?{f'category={c}&' if c else ''}page={p}" for c in CATEGORIES for p in range(1, 21)]
    urls += ["/", *fixtures["product_urls"]]
    for url in urls:
        with urllib.request.urlopen(host + url, timeout=30) as response:  # noqa: S310 - loopback
            response.read()
    return len(urls)


def ms(row: dict, column: str) -> str:
    value = row.get(column, "")
    return value if value not in ("", "N/A") else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=20, help="length of each saturation phase")
    parser.add_argument("--mix-seconds", type=int, default=45, help="length of the realistic mix")
    parser.add_argument("--skip-seed", action="store_true", help="reuse the already seeded database")
    parser.add_argument(
        "--capacity", default="25,50,100,150,200", help="user counts the capacity phase steps through (each <= 200)"
    )
    parser.add_argument("--step-seconds", type=int, default=30, help="length of each capacity step")
    parser.add_argument("--markdown", help="also write the results as Markdown tables to this file")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated subset of {','.join(PHASES)} (the ceiling is always measured)",
    )
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    if not phases <= set(PHASES):
        print(f"--phases: choose from {', '.join(PHASES)}", file=sys.stderr)
        return 2
    if not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")):
        print("Set DATABASE_URL (a dedicated PostgreSQL database) and REDIS_URL.", file=sys.stderr)
        return 2
    try:
        steps = [int(n) for n in args.capacity.split(",") if n.strip()]
    except ValueError:
        steps = []
    if not (
        1 <= args.users <= 200
        and 5 <= args.seconds <= 300
        and 5 <= args.mix_seconds <= 600
        and 5 <= args.step_seconds <= 120
        and steps
        and all(1 <= n <= 200 for n in steps)
    ):
        print(
            "--users must be 1..200, --seconds 5..300, --mix-seconds 5..600, --step-seconds 5..120 and "
            "--capacity a comma-separated list of 1..200 (bounded).",
            file=sys.stderr,
        )
        return 2
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk_project.settings.base",
        "ALLOWED_HOSTS": "127.0.0.1",
        # The benchmark's few identities send thousands of requests: rate limits would refuse them.
        "CHATBOT_RATE_IP": "1000000/min",
        "CHATBOT_RATE_SESSION": "1000000/min",
        "AXES_ENABLED": "false",
        "API_THROTTLE_USER": "1000000/min",
        "API_THROTTLE_ANON": "1000000/min",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    if not args.skip_seed:
        print("seeding (migrate, seed_demo, seed_scaled, collectstatic)...", flush=True)
        ensure_database(os.environ["DATABASE_URL"])
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "seed_demo")
        manage(env, "seed_scaled")
        manage(env, "collectstatic", "--noinput", "-v0")
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    env["BIND"] = f"127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        fixtures = out / "fixtures.json"
        make_fixtures = [PYTHON, str(ROOT / "bench/load/make_fixtures.py"), str(fixtures)]
        subprocess.run(make_fixtures, cwd=ROOT, env=env, check=True)  # noqa: S603
        env["BENCH_FIXTURES"] = str(fixtures)
        web = subprocess.Popen(  # noqa: S603
            [PYTHON, "-m", "gunicorn", "helpdesk_project.wsgi", "--config", "gunicorn.conf.py"], cwd=ROOT, env=env
        )
        worker = subprocess.Popen(  # noqa: S603
            [PYTHON, "-m", "celery", "-A", "helpdesk_project", "worker", "-Q", "default,notifications", "-c", "2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(60):
                try:
                    urllib.request.urlopen(f"{host}/ping", timeout=2)  # noqa: S310 - loopback
                    break
                except OSError:
                    time.sleep(1)
            waited = wait_until_idle(web.pid)
            print(f"web processes idle after {waited:.0f} s (chat engines built)", flush=True)
            # The worker too: emails left pending by an earlier run (a database reused with
            # --skip-seed) are delivered as it starts, and would otherwise eat into the ceiling.
            waited = wait_until_idle(worker.pid)
            print(f"worker idle after {waited:.0f} s", flush=True)
            warmed = warm_up(host, json.loads(fixtures.read_text()))
            print(f"warmed the storefront cache with {warmed} requests (each page the phases ask for, once)")
            meter = CpuMeter(web.pid, worker.pid)
            first_processes = set(children(web.pid))

            def sat(classes: list[str]) -> dict:
                before = meter.read()
                rows = run_locust(host, args.users, args.seconds, classes, out, env, spawn=args.users)
                row = rows.get("Aggregated") or next(iter(rows.values()))
                CPU[classes[0]] = meter.per_request(before, meter.read(), int(row["Request Count"]))
                return rows

            ceiling_row = sat(["Ping"])["trivial /ping"]
            ceiling = float(ceiling_row["Requests/s"])
            results = [("trivial /ping (ceiling)", ceiling_row, None)]
            for cls, name, target in SATURATION:
                if name in phases:
                    results.append((name, sat([cls])[name], target))
            checkout, placed, in_window, mix = None, "0", "0", {}
            started = time.time()
            if "checkout" in phases:
                checkout = sat(["Checkout"])["checkout (API order)"]
                # Orders placed, and those placed in the phase's length from its first order: the
                # rate counts the latter, so orders finished while locust stops do not inflate it.
                placed, in_window = (
                    manage(
                        env,
                        "shell",
                        "-c",
                        "from datetime import datetime, timedelta, timezone as tz; "
                        "from inventory.models import Order; "
                        "orders = Order.objects.filter(delivery_name='Bench Buyer', "
                        f"created_at__gte=datetime.fromtimestamp({started}, tz.utc)); "
                        "first = orders.order_by('created_at').values_list('created_at', flat=True).first(); "
                        "print(orders.count(), orders.filter(created_at__lt=first + "
                        f"timedelta(seconds={args.seconds})).count() if first else 0)",
                        capture=True,
                    )
                    .stdout.strip()
                    .splitlines()[-1]
                    .split()
                )
            if "mix" in phases:
                QUIET.append(wait_until_quiet(web.pid, worker.pid))
                print(f"quiet after {QUIET[0]:.0f} s; starting the mix", flush=True)
                before = meter.read()
                mix = run_locust(host, args.users, args.mix_seconds, MIX, out, env, spawn=max(args.users // 5, 1))
                if "Aggregated" in mix:
                    CPU["Mix"] = meter.per_request(before, meter.read(), int(mix["Aggregated"]["Request Count"]))
            if "capacity" in phases:
                for users in steps:
                    wait_until_quiet(web.pid, worker.pid)
                    rows = run_locust(host, users, args.step_seconds, MIX, out, env, spawn=max(users // 5, 1))
                    CAPACITY.append((users, rows))
                    print(f"capacity step {users} users: p95 {ms(rows.get('Aggregated', {}), '95%')} ms", flush=True)
            RESTARTS.append(len(set(children(web.pid)) - first_processes))
        finally:
            web.terminate()
            worker.terminate()
            web.wait(timeout=30)
            worker.wait(timeout=30)
    check = manage(env, "check_stock", capture=True)

    lines = []
    if CAPACITY:
        served = [
            users
            for users, rows in CAPACITY
            if "Aggregated" in rows
            and int(rows["Aggregated"]["Failure Count"]) == 0
            and ms(rows["Aggregated"], "95%") != "-"
            and float(rows["Aggregated"]["95%"]) <= CAPACITY_P95_MS
        ]
        capacity = max(served, default=0)
        lines += [
            f"**Capacity: {capacity} concurrent users** with think time (the realistic mix) served at p95 <= "
            f"{CAPACITY_P95_MS:.0f} ms with no errors, stepping {args.step_seconds} s per step:",
            "",
            "| users | requests | errors | req/s | p50 ms | p95 ms | p99 ms | catalogue p95 | product page p95 |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for users, rows in CAPACITY:
            row = rows.get("Aggregated", {})
            lines.append(
                f"| {users} | {row.get('Request Count', 0)} | {row.get('Failure Count', 0)} | "
                f"{float(row.get('Requests/s') or 0):.1f} | {ms(row, '50%')} | {ms(row, '95%')} | {ms(row, '99%')} | "
                f"{ms(rows.get('catalogue', {}), '95%')} | {ms(rows.get('product page', {}), '95%')} |"
            )
        lines.append("")
    lines += [
        f"Saturation: {args.users} users, no think time, {args.seconds} s per page "
        f"(gunicorn.conf.py: {os.environ.get('WEB_CONCURRENCY', '4')} processes x "
        f"{os.environ.get('GUNICORN_THREADS', '4')} threads, gthread; locust on the same 2 cores)",
        "",
        "| page | requests | errors | req/s | share of ceiling | target | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row, target in results:
        rps = float(row["Requests/s"])
        share = f"{rps / ceiling:.0%}" if target is not None else "100%"
        goal = f">= {target:.0%}" if target is not None else ""
        lines.append(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | {rps:.1f} | {share} | {goal} | "
            f"{ms(row, '50%')} | {ms(row, '95%')} | {ms(row, '99%')} |"
        )
    lines += [
        "",
        "CPU per request by process during each phase (web = gunicorn, worker = Celery; "
        "locust is the load generator; PostgreSQL and Redis include anything else using them):",
        "",
        *[f"- {cls}: {text}" for cls, text in CPU.items()],
    ]
    if checkout is not None:
        orders_per_s = int(in_window or 0) / args.seconds
        lines += [
            "",
            f"Checkout (one-line API orders, {args.users} users, {args.seconds} s): {checkout['Request Count']} "
            f"requests, {checkout['Failure Count']} errors, **{orders_per_s:.1f} orders/s** placed ({in_window} orders "
            f"in the {args.seconds} s from the first one, {placed} in all; the rest refused as sold out), "
            f"p50 {ms(checkout, '50%')} ms, p95 {ms(checkout, '95%')} ms.",
        ]
    if mix:
        lines += [
            "",
            f"Realistic mix: {args.users} users with think time for {args.mix_seconds} s, started once web, "
            f"worker and PostgreSQL were quiet ({QUIET[0] if QUIET else 0:.0f} s after the phase before)",
            "",
            "| page | requests | errors | req/s | p50 ms | p95 ms | p99 ms |",
            "|---|---|---|---|---|---|---|",
        ]
    for name, row in sorted(mix.items(), key=lambda item: item[0] == "Aggregated"):
        lines.append(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | {float(row['Requests/s']):.1f} | "
            f"{ms(row, '50%')} | {ms(row, '95%')} | {ms(row, '99%')} |"
        )
    if FAILURES:
        lines += ["", "Failed requests:", "", *[f"- {failure}" for failure in FAILURES]]
    if RESTARTS:
        lines += ["", f"Web processes replaced by gunicorn during the run: {RESTARTS[0]}"]
    verdict = "clean" if check.returncode == 0 else "MISMATCH"
    lines += ["", f"check_stock after the run: **{verdict}** ({(check.stdout.strip().splitlines() or [''])[-1]})"]
    report = "\n".join(lines)
    print(report)
    if args.markdown:
        Path(args.markdown).write_text(report + "\n")
    return check.returncode


if __name__ == "__main__":
    sys.exit(main())
