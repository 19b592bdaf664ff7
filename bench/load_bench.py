"""Load benchmark on the scaled stack: gunicorn gthread + a Celery worker on PostgreSQL and Redis.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stockdesk_bench REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python bench/load_bench.py [--users 50] [--seconds 60]

Bounded in users and time, loopback only. It migrates and seeds the demo data into the given
(dedicated) database, starts the servers on a free port, measures the trivial /ping view as the
ceiling, then the realistic mix (bench/load/locustfile.py), prints requests/s and p50/p95/p99
per page and overall with errors, and finally runs ``check_stock`` (which must be clean).
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_locust(host: str, users: int, seconds: int, classes: list[str], out: Path) -> list[dict]:
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
            str(max(users // 5, 1)),
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
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=seconds + 120,
    )
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def table(rows: list[dict]) -> str:
    lines = [f"{'page':<18} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"]
    for row in rows:
        lines.append(
            f"{row['Name'][:18]:<18} {row['Request Count']:>8} {row['Failure Count']:>6} {float(row['Requests/s']):>8.1f} "
            f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    if not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")):
        print("Set DATABASE_URL (a dedicated PostgreSQL database) and REDIS_URL.", file=sys.stderr)
        return 2
    if not (1 <= args.users <= 200 and 5 <= args.seconds <= 600):
        print("--users must be 1..200 and --seconds 5..600 (the benchmark is bounded).", file=sys.stderr)
        return 2
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk_project.settings.base",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CHATBOT_RATE_IP": "100000/min",
        "CHATBOT_RATE_SESSION": "100000/min",
        "AXES_ENABLED": "false",
        "API_THROTTLE_USER": "100000/min",
        "API_THROTTLE_ANON": "100000/min",
        "LOG_LEVEL": "WARNING",
    }
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    web = subprocess.Popen(  # noqa: S603
        [
            PYTHON,
            "-m",
            "gunicorn",
            "helpdesk_project.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "gthread",
            "--workers",
            "3",
            "--threads",
            "8",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    worker = subprocess.Popen(  # noqa: S603
        [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "helpdesk_project",
            "worker",
            "-Q",
            "default,notifications",
            "-c",
            "2",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(4)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            ceiling_rows = run_locust(host, args.users, max(args.seconds // 3, 10), ["TrivialUser"], out)
            ceiling = float(next(r for r in ceiling_rows if r["Name"] == "Aggregated")["Requests/s"])
            mix = run_locust(host, args.users, args.seconds, ["Browser", "Customer", "Agent"], out)
        print(f"ceiling: trivial /ping at {args.users} users: {ceiling:.1f} requests/s")
        print(f"mix: {args.users} users for {args.seconds} s (3 gunicorn processes x 8 threads, 2-core machine)")
        print(table(mix))
    finally:
        web.terminate()
        worker.terminate()
        web.wait(timeout=30)
        worker.wait(timeout=30)
    check = subprocess.run([PYTHON, "manage.py", "check_stock"], cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603
    print("check_stock:", "clean" if check.returncode == 0 else "MISMATCH", "|", check.stdout.strip().splitlines()[-1:])
    return check.returncode


if __name__ == "__main__":
    sys.exit(main())
