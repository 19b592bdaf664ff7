"""Scale the demo data up for the load benchmark: thousands of products, orders and tickets.

    python manage.py seed_demo
    python manage.py seed_scaled --products 5000 --orders 50000 --tickets 20000 --messages 60000

Runs after ``seed_demo`` (it needs the demo stores, queues and SLA policies). Written in bulk, so
it takes seconds, not the hours the services would; the ledger still sums to stock on hand.
Counts are targets: running it twice adds nothing the second time.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count

from accounts.demo import SeedReport
from accounts.models import Store
from inventory.demo import STORES, seed_scaled_catalogue, seed_scaled_customers
from inventory.models import Product
from tickets.demo import seed_scaled_tickets
from tickets.models import Queue

LIMIT = 1_000_000


class Command(BaseCommand):
    help = "Scale the demo data up (products, orders, tickets, messages) for load tests. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--store", default="corner-shop", help="demo store that gets the products and orders")
        parser.add_argument("--products", type=int, default=5000, help="target number of the store's products")
        parser.add_argument("--orders", type=int, default=50000, help="target number of the store's orders")
        parser.add_argument("--customers", type=int, default=2000, help="load customers placing the orders")
        parser.add_argument("--tickets", type=int, default=20000, help="target number of tickets in the desk")
        parser.add_argument("--open-share", type=float, default=0.45, help="share of new tickets left open")
        parser.add_argument("--messages", type=int, default=60000, help="target number of ticket messages")

    def handle(self, *args, **options):
        for name in ("products", "orders", "customers", "tickets", "messages"):
            if not 0 <= options[name] <= LIMIT:
                raise CommandError(f"--{name} must be between 0 and {LIMIT:,}.")
        if not 0 <= options["open_share"] <= 1:
            raise CommandError("--open-share must be between 0 and 1.")
        if options["store"] not in STORES or not Store.objects.filter(slug=options["store"]).exists():
            raise CommandError(f"Unknown demo store {options['store']!r}; run seed_demo first.")
        if not Queue.objects.exists():
            raise CommandError("No ticket queues yet; run seed_demo first.")
        report = SeedReport()
        customers = seed_scaled_customers(report, count=options["customers"]) if options["customers"] else []
        if options["orders"] and not customers:
            raise CommandError("Orders need customers: give --customers above 0.")
        seed_scaled_catalogue(
            report,
            store_slug=options["store"],
            products=options["products"],
            orders=options["orders"],
            customer_ids=customers,
        )
        seed_scaled_tickets(
            report,
            tickets=options["tickets"],
            open_share=options["open_share"],
            messages=options["messages"],
            requester_ids=customers,
        )
        if connection.vendor == "postgresql":
            # Fresh planner statistics (bulk loads leave them stale) and, outside a transaction,
            # VACUUM too: the bulk updates leave dead rows and no visibility map, so the desk's
            # open-ticket count read 18,000 index entries and 1,200 heap pages (7 ms) instead of
            # an index-only scan (1.3 ms), until autovacuum happened to come by.
            # Raw SQL: the ORM has no way to say ANALYZE / VACUUM.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        created = {what: n for what, n in report.created.items() if n}
        if created:
            self.stdout.write(
                self.style.SUCCESS("Created " + ", ".join(f"{n:,} {w}" for w, n in created.items()) + ".")
            )
        else:
            self.stdout.write("Scaled data already present; nothing changed.")
        per_store = Product.objects.values("store__slug").annotate(n=Count("pk")).order_by("store__slug")
        self.stdout.write("Products per store: " + ", ".join(f"{r['store__slug']} {r['n']:,}" for r in per_store))
