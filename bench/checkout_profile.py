"""Where one API order's cost goes, measured in-process (no gunicorn, no locust).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stockdesk_bench REDIS_URL=redis://127.0.0.1:6379/3 \
        .venv/bin/python bench/checkout_profile.py [--orders 300] [--profile 25]

Run it on the load benchmark's seeded database (``bench/load_bench.py`` seeds it). It places
``--orders`` one-line orders through ``POST /api/v1/orders/`` with Django's test client, as the
scaled load customers with their API tokens, then delivers the confirmation emails the way the
Celery worker does (``notifications_deliver_due``, in batches, to a throwaway directory). It prints CPU ms of this
process per order (request, and delivery), queries and PostgreSQL execution time per order
(the server's own ``pg_stat_statements``-free measure: the sum of ``EXPLAIN``-free statement
durations seen by the client), and with ``--profile N`` the top functions of a cProfile.

Orders are real (stock falls, the ledger grows); a sold-out answer counts as a refusal. CPU time,
not wall time, is what this machine's noisy neighbours disturb least.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from measure import QueryTimer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_project.settings.base")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
os.environ.setdefault("API_THROTTLE_USER", "1000000/min")
os.environ.setdefault("LOG_LEVEL", "WARNING")

DELIVERY = {
    "delivery_name": "Bench Buyer",
    "delivery_address": "1 Bench Street",
    "delivery_postcode": "1000 AA",
    "delivery_city": "Amsterdam",
    "payment_method": "pickup",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions of a cProfile")
    parser.add_argument("--dump", help="also write the cProfile stats to this file (for pstats or snakeviz)")
    parser.add_argument(
        "--no-delivery",
        action="store_true",
        help="leave the emails pending (the next worker sends them): the requests alone, e.g. for a "
        "run under valgrind whose instruction count should not depend on what earlier runs left",
    )
    args = parser.parse_args()
    if not 1 <= args.orders <= 5000:
        print("--orders must be 1..5000", file=sys.stderr)
        return 2

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from accounts.models import Notification, User
    from accounts.services import notifications_deliver_due
    from inventory import selectors
    from inventory.demo import SCALED_CUSTOMER_DOMAIN

    settings.CELERY_TASK_ALWAYS_EAGER = False
    rng = random.Random(7)
    products = list(
        selectors.product_list_for_storefront().filter(on_hand__gt=5).values_list("pk", "sale_price", "price")[:2000]
    )
    buyers = list(User.objects.filter(email__endswith=f"@{SCALED_CUSTOMER_DOMAIN}").order_by("pk")[:50])
    if not products or not buyers:
        print("Seed the database first (bench/load_bench.py or seed_demo + seed_scaled).", file=sys.stderr)
        return 2
    tokens = [Token.objects.get_or_create(user=user)[0].key for user in buyers]
    client = Client()

    def order_once() -> int:
        pk, sale, price = rng.choice(products)
        response = client.post(
            "/api/v1/orders/",
            {
                "items": [{"product": pk, "quantity": 1, "unit_price": str(sale if sale is not None else price)}],
                **DELIVERY,
            },
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {rng.choice(tokens)}",
        )
        return response.status_code

    for _ in range(10):  # warm imports, templates and the pool
        order_once()
    first_notification = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    timer = QueryTimer()
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    statuses: dict[int, int] = {}
    with connection.execute_wrapper(timer):
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for _ in range(args.orders):
            code = order_once()
            statuses[code] = statuses.get(code, 0) + 1
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    placed = statuses.get(201, 0)
    print(f"orders: {args.orders} requests, {statuses}")
    print(
        f"request: {1000 * cpu / args.orders:.2f} ms CPU, {1000 * wall / args.orders:.2f} ms wall, "
        f"{timer.count / args.orders:.1f} queries, {1000 * timer.seconds / args.orders:.2f} ms in the database driver"
    )

    if args.no_delivery:
        print(f"placed {placed} orders (emails left pending)")
        return 0
    pending = list(
        Notification.objects.filter(pk__gt=first_notification, status=Notification.Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    with tempfile.TemporaryDirectory() as mail:
        settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        settings.EMAIL_FILE_PATH = mail
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            cpu, wall = time.process_time(), time.perf_counter()
            sent = notifications_deliver_due()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if sent:
        print(
            f"delivery ({sent} emails of {len(pending)} pending, as the worker's batch task): "
            f"{1000 * cpu / sent:.2f} ms CPU, {1000 * wall / sent:.2f} ms wall, {timer.count / sent:.1f} queries each"
        )
    print(f"placed {placed} orders")
    if profiler:
        if args.dump:
            profiler.dump_stats(args.dump)
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(args.profile)
        stats.sort_stats("tottime").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
